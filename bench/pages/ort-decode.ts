/**
 * The page of `bench/decode-ort-builds.bench.ts`: greedy decoding with ONNX Runtime Web
 * driven directly (`ort-decode-run.ts`), on this page's main thread or in a dedicated
 * worker of its own (where inpage runs its sessions), so the two can be told apart.
 */
import { decode, type DecodeOptions, type DecodeResult } from './ort-decode-run';
import type { Flavor } from './ort-flavors';

/** The same decode in a fresh module worker, which ends with it. */
function decodeInWorker(modelUrl: string, flavor: Flavor, options: DecodeOptions): Promise<DecodeResult> {
  const worker = new Worker(new URL('./ort-decode-worker.ts', import.meta.url), { type: 'module' });
  return new Promise<DecodeResult>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<DecodeResult>) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(`decode worker: ${event.message}`));
    worker.postMessage({ modelUrl, flavor, options });
  }).finally(() => worker.terminate());
}

declare global {
  interface Window {
    ortDecode: { decode: typeof decode; decodeInWorker: typeof decodeInWorker };
  }
}

window.ortDecode = { decode, decodeInWorker };
const status = document.getElementById('status');
if (status !== null) status.textContent = 'ready';
