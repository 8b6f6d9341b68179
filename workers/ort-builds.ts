/**
 * The ONNX Runtime Web build each backend's sessions run on, imported and configured once
 * per worker, the first time a session needs it:
 * - `webgpu` sessions: the JSEP build (`onnxruntime-web`, served as
 *   `ort-wasm-simd-threaded.jsep.{mjs,wasm}`, 28 MB), the one with the WebGPU provider;
 * - `wasm` sessions: the CPU-only build (`onnxruntime-web/wasm`, served as
 *   `ort-wasm-simd-threaded.{mjs,wasm}`, 14 MB). The JSEP binary (compiled with Asyncify,
 *   so its kernels may await WebGPU) is slower on the CPU: ORT driven directly, a greedy
 *   decode step on the CPU-only build took 0.84× (4-layer fixture) and 0.92× (124M fused
 *   decoder) the JSEP build's time on 16 cores (`bench/decode-ort-builds`, `jsep-cpu`
 *   against `wasm`).
 *
 * A worker that runs both kinds of session (or `'auto'`, which times both) holds both
 * builds: each is its own module with its own `env`, WASM instance, thread pool and
 * `Tensor` class, so a feed is always made by the build of the session it goes to.
 */
import type * as OrtModule from 'onnxruntime-web';
import type { EngineAssetPaths } from '../src/protocol';
import { verifyOrtFiles, type OrtBuildName } from './engine-files';
import { ortThreads } from './wasm-threads';

/** What `import('onnxruntime-web')` gives; the CPU-only build has the same API (and types). */
export type Ort = typeof OrtModule;

/** The build whose sessions run on `backend`. */
export function buildFor(backend: 'webgpu' | 'wasm'): OrtBuildName {
  return backend === 'webgpu' ? 'jsep' : 'cpu';
}

let assetPaths: EngineAssetPaths | undefined;
const builds = new Map<OrtBuildName, Promise<Ort>>();

/** Where the builds find their WASM and how many threads they use. Must run before the first {@link loadOrtBuild}. */
export function configureOrt(paths: EngineAssetPaths): void {
  assetPaths = paths;
}

function importBuild(name: OrtBuildName): Promise<Ort> {
  // Two literal specifiers, so every bundler sees (and bundles) both.
  return name === 'jsep' ? import('onnxruntime-web') : import('onnxruntime-web/wasm');
}

/**
 * The build for `backend`, imported, its served files checked (`engine-files.ts`) and
 * configured, once per worker. A failure is not remembered: the next load tries again.
 */
export function loadOrtBuild(backend: 'webgpu' | 'wasm'): Promise<Ort> {
  const name = buildFor(backend);
  let build = builds.get(name);
  if (build === undefined) {
    const paths = assetPaths;
    if (paths === undefined) throw new Error('configureOrt() must run before the first ONNX Runtime session.');
    build = Promise.all([importBuild(name), verifyOrtFiles(paths.ortWasmPrefix, name)]).then(([ort]) => {
      // Serve ORT's own WASM + glue from this app; ORT would otherwise resolve them relative
      // to its bundle URL, which breaks once a bundler renames or inlines the bundle.
      ort.env.wasm.wasmPaths = paths.ortWasmPrefix;
      // Threads need SharedArrayBuffer, i.e. a cross-origin-isolated page (COOP + COEP).
      ort.env.wasm.numThreads = ortThreads(paths.ortNumThreads);
      ort.env.logLevel = 'error';
      return ort;
    });
    build.catch(() => builds.delete(name));
    builds.set(name, build);
  }
  return build;
}
