/**
 * How many WASM threads ONNX Runtime gets. Threads need `SharedArrayBuffer`, so a page
 * that is not cross-origin isolated (COOP + COEP) runs one. Otherwise an explicit
 * `ortNumThreads` wins, and the default follows the core count as measured with
 * `bench/threads.bench.ts`:
 * - 2 cores (this project's CI machines): 1 thread. A second thread competes with the page,
 *   the scheduler and the other workers for the only other core.
 * - more cores: half of them, at most 4. A worker's session is one of several (each task
 *   has its own worker, and replicas add more), so a session taking every core starves the rest.
 */

/** The default thread count for `cores` logical cores (see the file comment). */
export function defaultOrtThreads(cores: number): number {
  if (!Number.isFinite(cores) || cores <= 2) return 1;
  return Math.min(4, Math.floor(cores / 2));
}

/** The threads ORT uses in this worker for a requested count (0: the default). */
export function ortThreads(requested: number, isolated: boolean = globalThis.crossOriginIsolated, cores: number = navigator.hardwareConcurrency): number {
  if (!isolated) return 1;
  return requested > 0 ? requested : defaultOrtThreads(cores);
}
