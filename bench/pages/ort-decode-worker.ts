/**
 * A dedicated worker that runs one `decode` (`ort-decode-run.ts`) for the bench page and
 * posts its result back: ONNX Runtime Web in a worker, as inpage hosts it.
 */
import { decode, type DecodeOptions } from './ort-decode-run';
import type { Flavor } from './ort-flavors';

interface DecodeRequest {
  readonly modelUrl: string;
  readonly flavor: Flavor;
  readonly options: DecodeOptions;
}

self.onmessage = async (event: MessageEvent<DecodeRequest>) => {
  const { modelUrl, flavor, options } = event.data;
  self.postMessage(await decode(modelUrl, flavor, options));
};
