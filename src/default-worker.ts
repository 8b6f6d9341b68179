/**
 * The session worker the runtime starts when no `createWorker` is given.
 *
 * This file serves the repository (demo, tests, benches), where Vite builds the worker from
 * `workers/session-worker.ts`. The package build (`scripts/build-lib.mjs`) swaps it for
 * `default-worker.package.ts`, which starts the prebuilt, self-contained `dist/worker.js`.
 */

/** A started worker and, when known, the URL of its script (for error messages). */
export interface StartedWorker {
  readonly worker: Worker;
  readonly url: string | undefined;
}

/** Start a session worker named `inpage:<name>`. */
export function startDefaultWorker(name: string): StartedWorker {
  // Vite recognises this exact `new Worker(new URL(…, import.meta.url))` form and bundles the worker.
  return { worker: new Worker(new URL('../workers/session-worker.ts', import.meta.url), { type: 'module', name: `inpage:${name}` }), url: undefined };
}
