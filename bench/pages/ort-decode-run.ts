/**
 * Greedy decoding of a GPT-2-layout decoder with ONNX Runtime Web driven directly, on a
 * page or in a worker (`bench/decode-ort-builds.bench.ts`): no inpage queue, batcher or transfer,
 * one sequence, in each build of ORT Web (`Flavor`). What a decode step costs in each
 * engine, so the choice of build can be made on numbers.
 *
 * The graph takes Optimum's names (`input_ids`, `attention_mask`, optional `position_ids`,
 * `past_key_values.N.key|value`) and gives `logits` and `present.N.key|value`. On WebGPU
 * the `present.*` outputs stay in GPU buffers and go back in as the next step's past, as
 * inpage's decode loop keeps them; only the logits come back. Each round generates the
 * same tokens from the same prompt ids; the first round compiles shaders and is not timed.
 * With `profile` (JSEP only: the native EP has no profiling hook) one more round counts
 * the GPU kernels per step and their summed GPU time.
 */
import type * as Ort from 'onnxruntime-web';
import { adapterOf, loadOrt, message, profileKernels, quantile, type Flavor } from './ort-flavors';

/** What to decode and how often. */
export interface DecodeOptions {
  /** New tokens per round (the first comes from the prefill). */
  readonly tokens: number;
  /** Timed rounds, after one untimed warm-up round. */
  readonly rounds: number;
  /** ORT WASM threads (the `wasm` build's compute; the WebGPU builds' CPU fallbacks). */
  readonly threads: number;
  /** The prompt's token ids. */
  readonly prompt: readonly number[];
  /** Count JSEP's GPU kernels per decode step and their GPU time. */
  readonly profile?: boolean;
  /** The execution provider: WebGPU by default in the WebGPU builds; `'wasm'` runs a WebGPU build on its CPU provider (as inpage's WASM workers do with JSEP's build). */
  readonly ep?: 'webgpu' | 'wasm';
}

/** One build's decode of one model. */
export interface DecodeResult {
  readonly flavor: Flavor;
  readonly kv: 'gpu-buffer' | 'cpu';
  readonly adapter: string;
  readonly sessionMs?: number;
  /** Median over the timed rounds: the prefill call and its argmax (time to first token). */
  readonly prefillMs?: number;
  /** Median and p90 over every timed decode step (one token, the cache growing). */
  readonly stepMs?: number;
  readonly stepP90Ms?: number;
  readonly tokenIds?: readonly number[];
  readonly kernelsPerStep?: number;
  readonly gpuMsPerStep?: number;
  readonly error?: string;
}

interface Layout {
  readonly layers: number;
  readonly heads: number;
  readonly headDim: number;
  readonly positionIds: boolean;
}

function layoutOf(session: Ort.InferenceSession): Layout {
  const names = session.inputNames;
  const past = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  if (past === undefined || !past.isTensor) throw new Error(`no past_key_values.0.key input: inputs are ${names.join(', ')}`);
  const [, heads, , headDim] = past.shape;
  if (typeof heads !== 'number' || typeof headDim !== 'number')
    throw new Error(`past_key_values.0.key has symbolic heads or head size: ${past.shape.join(', ')}`);
  const layers = names.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
  for (const name of names)
    if (!/^(input_ids|attention_mask|position_ids|past_key_values\.\d+\.(key|value))$/.test(name)) throw new Error(`input "${name}" is not a GPT-2 layout's`);
  return { layers, heads, headDim, positionIds: names.includes('position_ids') };
}

/** The arg max of the last row of `logits` [1, S, V]. */
function lastArgmax(logits: Float32Array, vocab: number): number {
  const row = logits.subarray(logits.length - vocab);
  let best = 0;
  for (let i = 1; i < row.length; i += 1) if ((row[i] ?? -Infinity) > (row[best] ?? -Infinity)) best = i;
  return best;
}

/** Decode `options.tokens` tokens greedily, once; step times in ms (the first is the prefill). */
async function generate(ort: typeof Ort, session: Ort.InferenceSession, layout: Layout, options: DecodeOptions): Promise<{ ids: number[]; ms: number[] }> {
  const int64 = (values: readonly number[], dims: readonly number[]): Ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
  let past: Record<string, Ort.Tensor> = {};
  for (let l = 0; l < layout.layers; l += 1)
    for (const kind of ['key', 'value'])
      past[`past_key_values.${l}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, layout.heads, 0, layout.headDim]);
  const ids: number[] = [];
  const ms: number[] = [];
  let step = [...options.prompt];
  let length = 0;
  while (ids.length < options.tokens) {
    const start = performance.now();
    const feeds: Record<string, Ort.Tensor> = {
      ...past,
      input_ids: int64(step, [1, step.length]),
      attention_mask: int64(new Array<number>(length + step.length).fill(1), [1, length + step.length]),
    };
    if (layout.positionIds)
      feeds.position_ids = int64(
        step.map((_, i) => length + i),
        [1, step.length],
      );
    const out = await session.run(feeds);
    const logits = out.logits;
    if (logits === undefined) throw new Error('no logits output');
    const data = await logits.getData();
    if (!(data instanceof Float32Array)) throw new Error(`logits are ${logits.type}, not float32`);
    const next = lastArgmax(data, logits.dims.at(-1) ?? data.length);
    ms.push(performance.now() - start);
    for (const tensor of Object.values(past)) tensor.dispose();
    past = {};
    for (const [name, value] of Object.entries(out)) if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = value;
    length += step.length;
    ids.push(next);
    step = [next];
  }
  for (const tensor of Object.values(past)) tensor.dispose();
  return { ids, ms };
}

/** Greedy-decode `modelUrl` with `flavor`'s build; a failure becomes `error`. */
export async function decode(modelUrl: string, flavor: Flavor, options: DecodeOptions): Promise<DecodeResult> {
  const gpu = flavor !== 'wasm' && options.ep !== 'wasm';
  const kv = gpu ? 'gpu-buffer' : 'cpu';
  let adapter = 'none (CPU)';
  try {
    const ort = await loadOrt(flavor, options.threads);
    const model = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
    const created = performance.now();
    const session = await ort.InferenceSession.create(model, {
      executionProviders: [gpu ? 'webgpu' : 'wasm'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // Every present.* output stays on the GPU; the logits come back.
      ...(gpu
        ? {
            preferredOutputLocation: new Proxy<Record<string, 'gpu-buffer'>>(
              {},
              { get: (_t, name) => (typeof name === 'string' && name.startsWith('present.') ? 'gpu-buffer' : undefined) },
            ),
          }
        : {}),
    });
    const sessionMs = performance.now() - created;
    if (gpu) adapter = adapterOf(ort);
    const layout = layoutOf(session);
    const first = await generate(ort, session, layout, options);
    const prefills: number[] = [];
    const steps: number[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      const { ids, ms } = await generate(ort, session, layout, options);
      if (ids.join() !== first.ids.join()) throw new Error(`round ${round + 1} decoded other tokens than the first: ${ids.join()} vs ${first.ids.join()}`);
      prefills.push(ms[0] ?? Number.NaN);
      steps.push(...ms.slice(1));
    }
    let profiled: Pick<DecodeResult, 'kernelsPerStep' | 'gpuMsPerStep'> = {};
    if (options.profile === true && flavor === 'jsep' && gpu) {
      const { result, kernels, gpuMs } = await profileKernels(ort, () => generate(ort, session, layout, options));
      profiled = { kernelsPerStep: kernels / result.ms.length, gpuMsPerStep: gpuMs / result.ms.length };
    }
    await session.release();
    return {
      flavor,
      kv,
      adapter,
      sessionMs,
      prefillMs: quantile(prefills, 0.5),
      stepMs: quantile(steps, 0.5),
      stepP90Ms: quantile(steps, 0.9),
      tokenIds: first.ids,
      ...profiled,
    };
  } catch (error) {
    return { flavor, kv, adapter, error: message(error) };
  }
}
