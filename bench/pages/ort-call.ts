/**
 * Where one WebGPU call of a small recurrent model goes (`bench/webgpu-call.bench.ts`):
 * ONNX Runtime Web driven directly on this page, without inpage's worker, queue or
 * transfers, in variants that each remove one cost:
 * - `wasm`: the same call on the CPU (1 thread), the bar to beat;
 * - `webgpu`: inputs uploaded, outputs read back, as inpage runs it today;
 * - `gpu outputs`: outputs left on the GPU (`preferredOutputLocation: 'gpu-buffer'`), then
 *   read back separately: what the readback costs;
 * - `state on GPU`: the recurrent state output fed back as the next call's GPU input, only
 *   the small output read back (a stream kept on the GPU between frames);
 * - `graph capture`: `enableGraphCapture` with every input and output in GPU buffers (works
 *   only when every node runs on WebGPU and shapes are static);
 * - `kernels`: ORT's WebGPU profiling (timestamp queries): GPU kernels per call and their
 *   summed GPU time, against the call's wall time;
 * - `sr folded`: the model with its `sr` input made a constant (`onnx-constant.ts`), so ORT
 *   can fold the `If` on it; plain, and with graph capture;
 * - `round trip`: a 4-byte write → copy → map of raw WebGPU: the floor of any GPU call whose
 *   answer the CPU needs.
 */
import * as ort from 'onnxruntime-web';
import { withConstantInput } from './onnx-constant';

interface Variant {
  readonly variant: string;
  readonly medianMs?: number;
  readonly p90Ms?: number;
  readonly note?: string;
}

const calls = 60;

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

async function timed(run: () => Promise<unknown>, count = calls): Promise<{ medianMs: number; p90Ms: number }> {
  for (let i = 0; i < 5; i += 1) await run();
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return { medianMs: quantile(samples, 0.5), p90Ms: quantile(samples, 0.9) };
}

function vadFeeds(batch: number): Record<string, ort.Tensor> {
  return {
    input: new ort.Tensor(
      'float32',
      new Float32Array(batch * 576).map((_, i) => Math.sin(i / 7) * 0.1),
      [batch, 576],
    ),
    state: new ort.Tensor('float32', new Float32Array(2 * batch * 128), [2, batch, 128]),
    sr: new ort.Tensor('int64', BigInt64Array.of(16000n), []),
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 300) : String(error);
}

async function roundTrip(): Promise<Variant> {
  const device = await ort.env.webgpu.device;
  const src = device.createBuffer({ size: 4, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const dst = device.createBuffer({ size: 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const result = await timed(async () => {
    device.queue.writeBuffer(src, 0, Float32Array.of(1));
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(src, 0, dst, 0, 4);
    device.queue.submit([encoder.finish()]);
    await dst.mapAsync(GPUMapMode.READ);
    dst.unmap();
  });
  src.destroy();
  dst.destroy();
  return { variant: 'round trip (raw WebGPU, 4 bytes)', ...result };
}

/** `enableGraphCapture` with every input uploaded to a GPU buffer and outputs left there; the note says why it failed. */
async function graphCapture(model: Uint8Array, inputs: Record<string, ort.Tensor>, variant: string): Promise<Variant> {
  try {
    const session = await ort.InferenceSession.create(model, {
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      executionProviders: ['webgpu'],
      enableGraphCapture: true,
      preferredOutputLocation: 'gpu-buffer',
    });
    const device = await ort.env.webgpu.device;
    const upload = (t: ort.Tensor): ort.Tensor => {
      const data = t.data as Float32Array | BigInt64Array; // the VAD feeds: float32 and int64
      const buffer = device.createBuffer({
        size: Math.max(16, data.byteLength),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
      return ort.Tensor.fromGpuBuffer(buffer, { dataType: t.type as 'float32', dims: t.dims }); // float32 or int64, as uploaded
    };
    const feeds = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, upload(v)]));
    const result = await timed(async () => {
      const out = await session.run(feeds);
      await out.output?.getData(false);
    });
    await session.release();
    return { variant, ...result };
  } catch (error) {
    return { variant, note: `failed: ${message(error)}` };
  }
}

async function experiment(modelUrl: string): Promise<{ variants: Variant[]; cpuNodes: string[]; adapter: string }> {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const model = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const variants: Variant[] = [];
  const base = { graphOptimizationLevel: 'all' as const, logSeverityLevel: 3 as const };

  const wasm = await ort.InferenceSession.create(model, { ...base, executionProviders: ['wasm'] });
  for (const batch of [1, 32]) variants.push({ variant: `wasm, batch ${batch}`, ...(await timed(() => wasm.run(vadFeeds(batch)))) });
  await wasm.release();

  // Verbose logs say which nodes ORT placed on the CPU: ORT's WASM prints them to the
  // console it captured at start-up, so the bench collects them from the page's console.
  const cpuNodes: string[] = [];
  ort.env.logLevel = 'verbose';
  const gpu = await ort.InferenceSession.create(model, { ...base, logSeverityLevel: 0, logVerbosityLevel: 0, executionProviders: ['webgpu'] });
  ort.env.logLevel = 'error';
  console.log('ort-call: session created');
  for (const batch of [1, 32]) variants.push({ variant: `webgpu, batch ${batch}`, ...(await timed(() => gpu.run(vadFeeds(batch)))) });

  // The same session with a second session of the model alive on the same device: once
  // idle, once taking turns call by call (as a worker hosting two models does).
  {
    const other = await ort.InferenceSession.create(model, { ...base, executionProviders: ['webgpu'] });
    await other.run(vadFeeds(1));
    variants.push({ variant: 'webgpu, batch 1, a second session idle', ...(await timed(() => gpu.run(vadFeeds(1)))) });
    variants.push({
      variant: 'webgpu, batch 1, two sessions taking turns',
      ...(await timed(async () => {
        await gpu.run(vadFeeds(1));
        await other.run(vadFeeds(1));
      })),
      note: 'per pair of calls',
    });
    await other.release();
  }

  // Kernels per call and their GPU time.
  let kernels = 0;
  let gpuNs = 0;
  ort.env.webgpu.profiling = {
    mode: 'default',
    ondata: (data) => {
      kernels += 1;
      gpuNs += data.endTime - data.startTime;
    },
  };
  const profiled = 20;
  await gpu.run(vadFeeds(1));
  kernels = 0;
  gpuNs = 0;
  const wall: number[] = [];
  for (let i = 0; i < profiled; i += 1) {
    const start = performance.now();
    await gpu.run(vadFeeds(1));
    wall.push(performance.now() - start);
  }
  ort.env.webgpu.profiling = { mode: 'off' };
  variants.push({
    variant: 'webgpu kernels, batch 1',
    medianMs: quantile(wall, 0.5),
    note: `${(kernels / profiled).toFixed(0)} GPU kernels per call, ${(gpuNs / profiled / 1e6).toFixed(3)} ms of GPU time per call`,
  });
  await gpu.release();

  try {
    const session = await ort.InferenceSession.create(model, { ...base, executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer' });
    let readMs = 0;
    let reads = 0;
    const result = await timed(async () => {
      const out = await session.run(vadFeeds(1));
      const start = performance.now();
      await out.output?.getData();
      readMs += performance.now() - start;
      reads += 1;
      for (const value of Object.values(out)) value.dispose();
    });
    variants.push({ variant: 'webgpu, outputs on GPU, then read', ...result, note: `reading "output" back: ${(readMs / reads).toFixed(2)} ms mean` });
    await session.release();
  } catch (error) {
    variants.push({ variant: 'webgpu, outputs on GPU, then read', note: `failed: ${message(error)}` });
  }

  try {
    const session = await ort.InferenceSession.create(model, {
      ...base,
      executionProviders: ['webgpu'],
      preferredOutputLocation: { stateN: 'gpu-buffer', output: 'cpu' },
    });
    let state: ort.Tensor = vadFeeds(1).state as ort.Tensor;
    const result = await timed(async () => {
      const feeds = { ...vadFeeds(1), state };
      const out = await session.run(feeds);
      if (state.location === 'gpu-buffer') state.dispose();
      state = out.stateN as ort.Tensor;
    });
    variants.push({ variant: 'webgpu, state kept on GPU, batch 1', ...result });
    await session.release();
  } catch (error) {
    variants.push({ variant: 'webgpu, state kept on GPU, batch 1', note: `failed: ${message(error)}` });
  }

  variants.push(await graphCapture(model, vadFeeds(1), 'webgpu, graph capture, batch 1'));

  // Silero's network sits in an `If` on `sr == 16000`: with `sr` a constant, ORT can fold
  // the condition, and the graph may lose its control flow (and its CPU round trips).
  const folded = withConstantInput(model, 'sr', 16000);
  const withoutSr = (batch: number): Record<string, ort.Tensor> => {
    const feeds = vadFeeds(batch);
    delete feeds.sr;
    return feeds;
  };
  try {
    const reference = await ort.InferenceSession.create(model, { ...base, executionProviders: ['wasm'] });
    const session = await ort.InferenceSession.create(folded, { ...base, executionProviders: ['webgpu'] });
    const expected = (await reference.run(vadFeeds(1))).output?.data as Float32Array;
    const got = (await session.run(withoutSr(1))).output?.data as Float32Array;
    const difference = Math.abs((expected[0] ?? Number.NaN) - (got[0] ?? Number.NaN));
    for (const batch of [1, 32])
      variants.push({
        variant: `webgpu, sr folded into the graph, batch ${batch}`,
        ...(await timed(() => session.run(withoutSr(batch)))),
        ...(batch === 1 ? { note: `speech probability vs the original on wasm: |Δ| = ${difference.toExponential(1)}` } : {}),
      });
    await session.release();
    await reference.release();
  } catch (error) {
    variants.push({ variant: 'webgpu, sr folded into the graph', note: `failed: ${message(error)}` });
  }
  variants.push(await graphCapture(folded, withoutSr(1), 'webgpu, sr folded, graph capture, batch 1'));

  variants.push(await roundTrip());
  const info = (ort.env.webgpu.adapter as GPUAdapter | undefined)?.info;
  return { variants, cpuNodes, adapter: info === undefined ? 'unknown' : `${info.vendor} ${info.architecture} ${info.description}` };
}

declare global {
  interface Window {
    ortCall: { experiment: typeof experiment };
  }
}

window.ortCall = { experiment };
const status = document.getElementById('status');
if (status !== null) status.textContent = 'ready';
