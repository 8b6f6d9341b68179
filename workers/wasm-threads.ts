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

/** The default thread count for `cores` logical cores (see the file comment). */
export function defaultOrtThreads(cores: number): number {
  if (!Number.isFinite(cores) || cores <= 2) return 1;
  return Math.min(8, Math.floor(cores / 2));
}

/** The threads ORT uses in this worker for a requested count (0: the default). */
export function ortThreads(requested: number, isolated: boolean = globalThis.crossOriginIsolated, cores: number = navigator.hardwareConcurrency): number {
  if (!isolated) return 1;
  return requested > 0 ? requested : defaultOrtThreads(cores);
}
