/**
 * `backend: 'auto'` by measurement: synthetic inputs for a model's signature, and the
 * decision between the backends' timings. Pure functions; the engine builds the sessions
 * and runs them (`ort-engine.ts`).
 *
 * The rule: the backend with the lower sum of median call times over the batch sizes the
 * model will see (1, and the batcher's largest batch when it batches) wins. That weighs
 * one request alone (latency when idle) and one full batch (cost under load) equally, which
 * is what separates Silero VAD (a flat ~20 ms per call on a GPU, ~1.6 ms on WASM) from OCR
 * (3× faster on the GPU at any size).
 */
import type { Backend, BackendProbe, BackendTiming, TensorMap, TensorSpec } from '../src/protocol';
import { formatShape, zerosTensor } from '../src/tensor';

/** The dims of `spec` at `batch`: its batch axis → `batch`, named dims from `probe.dims`, other free dims → 1. */
function probeDims(spec: TensorSpec, probe: BackendProbe, batch: number): number[] | string {
  if (spec.shape === null) return `input "${spec.name}" declares no shape; give it one with \`shapes\``;
  const declaredAxis = probe.batchAxes?.[spec.name];
  const axis = declaredAxis === undefined ? (spec.shape.length > 0 && typeof spec.shape[0] !== 'number' ? 0 : null) : declaredAxis;
  return spec.shape.map((d, i) => {
    if (i === axis) return batch;
    if (typeof d === 'number') return d;
    if (typeof d === 'string') return probe.dims?.[d] ?? 1;
    return 1;
  });
}

/** Synthetic inputs for one probe call at `batch`, or why none can be made. */
export function probeFeeds(inputs: readonly TensorSpec[], probe: BackendProbe, batch: number): TensorMap | string {
  const feeds: TensorMap = {};
  for (const spec of inputs) {
    const dims = probeDims(spec, probe, batch);
    if (typeof dims === 'string') return dims;
    const t = zerosTensor(spec.dtype, dims);
    const fill = probe.fill?.[spec.name];
    if (fill !== undefined && fill !== 0) {
      if (t.dtype === 'int64') t.data.fill(BigInt(Math.trunc(fill)));
      else t.data.fill(fill);
    }
    feeds[spec.name] = t;
  }
  return feeds;
}

/** A short description of the feeds at one batch size, for reasons: `input [1,576], sr []`. */
export function describeFeeds(feeds: TensorMap): string {
  return Object.entries(feeds)
    .map(([name, t]) => `${name} ${formatShape(t.dims)}`)
    .join(', ');
}

/** The outcome of {@link chooseBackend}. */
export interface BackendChoice {
  readonly backend: Backend;
  readonly reason: string;
}

function total(timings: readonly BackendTiming[], backend: Backend): number {
  return timings.filter((t) => t.backend === backend).reduce((sum, t) => sum + t.ms, 0);
}

function formatMs(ms: number): string {
  return ms >= 10 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(2);
}

/** Pick between WebGPU and WASM from their timings at the same batch sizes. */
export function chooseBackend(timings: readonly BackendTiming[], adapter: string): BackendChoice {
  const gpu = total(timings, 'webgpu');
  const cpu = total(timings, 'wasm');
  const sizes = [...new Set(timings.map((t) => t.batchSize))];
  const per = (backend: Backend): string =>
    sizes.map((b) => `${formatMs(timings.find((t) => t.backend === backend && t.batchSize === b)?.ms ?? NaN)} ms at batch ${b}`).join(', ');
  const backend: Backend = gpu <= cpu ? 'webgpu' : 'wasm';
  const ratio = backend === 'webgpu' ? cpu / gpu : gpu / cpu;
  return {
    backend,
    reason: `auto: measured at load, ${backend} ${ratio.toFixed(1)}× faster (webgpu on ${adapter}: ${per('webgpu')}; wasm: ${per('wasm')})`,
  };
}

/** The median of `values` (they are few; sorting a copy is fine). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}
