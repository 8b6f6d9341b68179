/**
 * How many times the worker module was evaluated in this worker. Must be 1: a bundler
 * that reaches the worker under two URLs (seen with Vite's dev server and a worker built
 * from TypeScript sources) evaluates it twice and registers two message handlers, so
 * every call is answered twice. `runtime.environment()` reports it; the e2e tests of the
 * examples assert it.
 */
declare global {
  // A global declaration must be `var`.
  var __inpageWorkerEvaluations: number | undefined;
}

/** Count one evaluation of the worker module; returns the count so far. */
export function countEvaluation(): number {
  globalThis.__inpageWorkerEvaluations = (globalThis.__inpageWorkerEvaluations ?? 0) + 1;
  return globalThis.__inpageWorkerEvaluations;
}

/** Evaluations so far (0 outside a worker). */
export function evaluations(): number {
  return globalThis.__inpageWorkerEvaluations ?? 0;
}
