/**
 * The builds of ONNX Runtime Web a bench page can drive directly (`ort-call.ts`,
 * `ort-decode.ts`), and where each one's WASM and loader are served from.
 */
import type * as Ort from 'onnxruntime-web';
// The other builds' WASM and loaders, emitted by Vite beside the page (the app serves only JSEP's).
import asyncifyMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import asyncifyWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import jspiMjs from 'onnxruntime-web/ort-wasm-simd-threaded.jspi.mjs?url';
import jspiWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jspi.wasm?url';
import plainMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import plainWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';

/**
 * Which build of ONNX Runtime Web runs the page: `jsep` (the default import, WebGPU
 * kernels written in TypeScript, what inpage ships today), `webgpu-ep` (the
 * `onnxruntime-web/webgpu` import: the native C++ WebGPU execution provider, Asyncify) or
 * `jspi` (the same EP suspended with JavaScript Promise Integration instead of Asyncify),
 * `wasm` (`onnxruntime-web/wasm`: CPU only, without Asyncify).
 */
export type Flavor = 'jsep' | 'webgpu-ep' | 'jspi' | 'wasm';

const imports: Record<Flavor, () => Promise<typeof Ort>> = {
  jsep: () => import('onnxruntime-web'),
  wasm: () => import('onnxruntime-web/wasm'),
  'webgpu-ep': () => import('onnxruntime-web/webgpu'),
  jspi: () => import('onnxruntime-web/jspi'),
};
/** Where each build's WASM and loader are served: JSEP's by the app (`public/ort/`), the others by Vite. */
const wasmPaths: Record<Flavor, string | { readonly mjs: string; readonly wasm: string }> = {
  jsep: '/ort/',
  'webgpu-ep': { mjs: asyncifyMjs, wasm: asyncifyWasm },
  jspi: { mjs: jspiMjs, wasm: jspiWasm },
  wasm: { mjs: plainMjs, wasm: plainWasm },
};

/** Import `flavor`'s build and point it at its served WASM, with `threads` WASM threads. */
export async function loadOrt(flavor: Flavor, threads = 1): Promise<typeof Ort> {
  const ort = await imports[flavor]();
  const paths = wasmPaths[flavor];
  ort.env.wasm.wasmPaths = typeof paths === 'string' ? paths : { mjs: paths.mjs, wasm: paths.wasm };
  ort.env.wasm.numThreads = threads;
  return ort;
}

/** The `q` quantile of `values` (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** An error's message, cut to a table cell's length. */
export function message(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 300) : String(error);
}

/** The WebGPU adapter a build's sessions run on, in words. */
export function adapterOf(ort: typeof Ort): string {
  const info = (ort.env.webgpu.adapter as GPUAdapter | undefined)?.info;
  return info === undefined ? 'not exposed by this build (see webgpu above)' : `${info.vendor} ${info.architecture} ${info.description}`;
}

/**
 * Run `work` with JSEP's WebGPU profiling on (timestamp queries; the native EP has no such
 * hook): the GPU kernels it dispatched and their summed GPU time, in ms.
 */
export async function profileKernels<T>(ort: typeof Ort, work: () => Promise<T>): Promise<{ result: T; kernels: number; gpuMs: number }> {
  let kernels = 0;
  let gpuNs = 0;
  ort.env.webgpu.profiling = {
    mode: 'default',
    ondata: (data) => {
      kernels += 1;
      gpuNs += data.endTime - data.startTime;
    },
  };
  try {
    return { result: await work(), kernels, gpuMs: gpuNs / 1e6 };
  } finally {
    ort.env.webgpu.profiling = { mode: 'off' };
  }
}
