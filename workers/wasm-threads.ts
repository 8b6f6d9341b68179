/**
 * How many WASM threads ONNX Runtime gets. Threads need `SharedArrayBuffer`, so a page
 * that is not cross-origin isolated (COOP + COEP) runs one. Otherwise an explicit
 * `ortNumThreads` wins, and the default follows the core count as measured with
 * `bench/threads.bench.ts`:
 * - 2 cores (this project's CI machines): 1 thread. A second thread competes with the page,
 *   the scheduler and the other workers for the only other core.
 * - more cores: half of them, at most 8. On the H200 machine's 16 cores, 8 threads were the
 *   fastest for every model measured (× 1 thread: PP-OCR detector 5.1, classifier 2.6,
 *   Silero VAD 1.1–1.2; 4 threads: 3.3, 1.7, 1.1). Half, not all: a worker's session is one
 *   of several (each task has its own worker, and replicas add more), and the page needs a core.
 */

import type { BackendPreference } from '../src/protocol';

/** The default thread count for `cores` logical cores (see the file comment). */
export function defaultOrtThreads(cores: number): number {
  if (!Number.isFinite(cores) || cores <= 2) return 1;
  return Math.min(8, Math.floor(cores / 2));
}

/**
 * The threads ORT uses in this worker for a requested count (0: the default), given the
 * backend of the worker's first ONNX model (ORT reads the count once, when its WASM
 * starts: at that model's session).
 *
 * A worker whose first model asks for `'webgpu'` gets 1 by default: its kernels run on the
 * GPU, and ORT's WASM thread pool (global, spinning between parallel sections) only slows
 * the CPU work between them. On the H200 machine a GPT-2-small-shaped decoder decoded one
 * request at 81 tokens/s on WebGPU with 1 thread against 44 with the 8 of the default
 * (`bench/decode-backends.bench.ts`). `'auto'` keeps the default: its WASM candidate needs
 * the threads to be timed fairly. An explicit count wins either way.
 */
export function ortThreads(
  requested: number,
  backend: BackendPreference | undefined = undefined,
  isolated: boolean = globalThis.crossOriginIsolated,
  cores: number = navigator.hardwareConcurrency,
): number {
  if (!isolated) return 1;
  if (requested > 0) return requested;
  return backend === 'webgpu' ? 1 : defaultOrtThreads(cores);
}
