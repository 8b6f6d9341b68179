/**
 * The session worker of the npm package: `dist/worker.js`, one self-contained ES module
 * (inpage's worker code with ONNX Runtime Web's and TF.js's JS bundled in; no imports).
 *
 * The URL is made apart from `new Worker(…)` on purpose: bundlers then treat the file as an
 * asset and copy it as it is (Vite: `assets/worker-<hash>.js`, webpack 5: an asset module),
 * instead of bundling it again as a worker entry with their own settings (Vite's default
 * worker format is `iife`, which cannot hold `import.meta`). Vite's dev server and dependency
 * optimizer keep the URL pointing at the file in `node_modules`, so it is evaluated once.
 */
import type { StartedWorker } from './default-worker';

/** Start a session worker named `inpage:<name>` from the package's `worker.js`. */
export function startDefaultWorker(name: string): StartedWorker {
  const url = new URL('./worker.js', import.meta.url);
  return { worker: new Worker(url, { type: 'module', name: `inpage:${name}` }), url: url.href };
}
