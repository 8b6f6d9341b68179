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
 *   answer the CPU needs;
 * - `floor`: 29 dependent tiny kernels (as many as ORT runs per frame) between that write
 *   and read, in raw WebGPU: what the browser and adapter charge for the kernel count alone.
 * Each GPU variant's first answer is checked against WASM's (`|Δ| vs wasm`), and the whole
 * page runs once per ORT Web build (`Flavor`).
 */
import type * as Ort from 'onnxruntime-web';
import { withConstantInput } from './onnx-constant';
import { adapterOf, loadOrt, message, profileKernels, quantile, type Flavor } from './ort-flavors';

export type { Flavor } from './ort-flavors';
let ort: typeof Ort;
interface Variant {
  readonly variant: string;
  readonly medianMs?: number;
  readonly p90Ms?: number;
  readonly note?: string;
}

const calls = 60;

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

function vadFeeds(batch: number): Record<string, Ort.Tensor> {
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

/** The speech probability of the first frame in a call's outputs, read back if it sits on the GPU. */
async function probability(out: Ort.InferenceSession.OnnxValueMapType): Promise<number> {
  const output = out.output;
  if (output === undefined) return Number.NaN;
  const data = await output.getData();
  return data instanceof Float32Array ? (data[0] ?? Number.NaN) : Number.NaN;
}

/**
 * The WebGPU floor of a call like Silero's: `kernels` small dependent compute dispatches
 * (each reads the previous one's output, 4096 floats), the frame written in first and 4
 * bytes read back after, in one submit or in a submit per kernel. What any engine running
 * that many kernels per frame pays at least, on this browser and adapter.
 */
async function dispatchChain(kernels: number, submitEach: boolean): Promise<Variant> {
  const device = await ort.env.webgpu.device;
  const floats = 4096;
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&b)) { b[id.x] = a[id.x] * 0.5 + 1.0; }
}`,
  });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers = [device.createBuffer({ size: floats * 4, usage }), device.createBuffer({ size: floats * 4, usage })] as const;
  const read = device.createBuffer({ size: 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const group = (from: GPUBuffer, to: GPUBuffer): GPUBindGroup =>
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: from } },
        { binding: 1, resource: { buffer: to } },
      ],
    });
  const groups = [group(buffers[0], buffers[1]), group(buffers[1], buffers[0])] as const;
  const frame = new Float32Array(576).map((_, i) => Math.sin(i / 7));
  const result = await timed(async () => {
    device.queue.writeBuffer(buffers[0], 0, frame);
    let encoder = device.createCommandEncoder();
    for (let k = 0; k < kernels; k += 1) {
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, groups[k % 2]);
      pass.dispatchWorkgroups(floats / 64);
      pass.end();
      if (submitEach) {
        device.queue.submit([encoder.finish()]);
        encoder = device.createCommandEncoder();
      }
    }
    encoder.copyBufferToBuffer(kernels % 2 === 0 ? buffers[0] : buffers[1], 0, read, 0, 4);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    read.unmap();
  });
  for (const buffer of [...buffers, read]) buffer.destroy();
  return { variant: `floor: ${kernels} dependent kernels, ${submitEach ? 'a submit per kernel' : 'one submit'}, then read 4 bytes (raw WebGPU)`, ...result };
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
async function graphCapture(
  model: Uint8Array,
  inputs: Record<string, Ort.Tensor>,
  variant: string,
  agreement: (out: Ort.InferenceSession.OnnxValueMapType) => Promise<string>,
): Promise<Variant> {
  try {
    const session = await ort.InferenceSession.create(model, {
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      executionProviders: ['webgpu'],
      enableGraphCapture: true,
      preferredOutputLocation: 'gpu-buffer',
    });
    const device = await ort.env.webgpu.device;
    const upload = (t: Ort.Tensor): Ort.Tensor => {
      const data = t.data as Float32Array | BigInt64Array; // the VAD feeds: float32 and int64
      const buffer = device.createBuffer({
        size: Math.max(16, data.byteLength),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
      return ort.Tensor.fromGpuBuffer(buffer, { dataType: t.type as 'float32', dims: t.dims }); // float32 or int64, as uploaded
    };
    const feeds = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, upload(v)]));
    const note = await agreement(await session.run(feeds));
    const result = await timed(async () => {
      const out = await session.run(feeds);
      await out.output?.getData(false);
    });
    await session.release();
    return { variant, ...result, note };
  } catch (error) {
    return { variant, note: `failed: ${message(error)}` };
  }
}

async function experiment(modelUrl: string, flavor: Flavor = 'jsep'): Promise<{ variants: Variant[]; cpuNodes: string[]; adapter: string }> {
  ort = await loadOrt(flavor);
  const model = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const variants: Variant[] = [];
  const base = { graphOptimizationLevel: 'all' as const, logSeverityLevel: 3 as const };
  // Each step stands alone: one that throws becomes a "failed: …" row, the rest still run.
  // Every GPU variant's first answer is compared with WASM's on the same frame.
  let reference = Number.NaN;
  const agreement = async (out: Ort.InferenceSession.OnnxValueMapType): Promise<string> =>
    `|Δ| vs wasm = ${Math.abs((await probability(out)) - reference).toExponential(1)}`;
  const step = async (name: string, run: () => Promise<void>): Promise<void> => {
    console.log(`ort-call step: ${name}`);
    try {
      await run();
    } catch (error) {
      variants.push({ variant: name, note: `failed: ${message(error)}` });
    }
  };

  await step('wasm', async () => {
    const wasm = await ort.InferenceSession.create(model, { ...base, executionProviders: ['wasm'] });
    reference = await probability(await wasm.run(vadFeeds(1)));
    for (const batch of [1, 32])
      variants.push({
        variant: `wasm, batch ${batch}`,
        ...(await timed(() => wasm.run(vadFeeds(batch)))),
        ...(batch === 1 ? { note: `speech probability of the test frame: ${reference.toFixed(6)}` } : {}),
      });
    await wasm.release();
  });
  if (flavor === 'wasm') return { variants, cpuNodes: [], adapter: 'none (CPU-only build)' };

  // Verbose logs say which nodes ORT placed on the CPU: ORT's WASM prints them to the
  // console it captured at start-up, so the bench collects them from the page's console.
  // This session stays open to the end: the native EP gives its device up with its last session.
  const cpuNodes: string[] = [];
  ort.env.logLevel = 'verbose';
  const gpu = await ort.InferenceSession.create(model, { ...base, logSeverityLevel: 0, logVerbosityLevel: 0, executionProviders: ['webgpu'] });
  ort.env.logLevel = 'error';
  console.log('ort-call: session created');
  await step('webgpu', async () => {
    const note = await agreement(await gpu.run(vadFeeds(1)));
    for (const batch of [1, 32])
      variants.push({ variant: `webgpu, batch ${batch}`, ...(await timed(() => gpu.run(vadFeeds(batch)))), ...(batch === 1 ? { note } : {}) });
  });

  // The same session with a second session of the model alive on the same device: once
  // idle, once taking turns call by call (as a worker hosting two models does).
  await step('webgpu, a second session', async () => {
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
  });

  // Kernels per call and their GPU time (JSEP's profiling hook; the native EP has none).
  if (flavor === 'jsep')
    await step('webgpu kernels, batch 1', async () => {
      const profiled = 20;
      await gpu.run(vadFeeds(1));
      const {
        result: wall,
        kernels,
        gpuMs,
      } = await profileKernels(ort, async () => {
        const wall: number[] = [];
        for (let i = 0; i < profiled; i += 1) {
          const start = performance.now();
          await gpu.run(vadFeeds(1));
          wall.push(performance.now() - start);
        }
        return wall;
      });
      variants.push({
        variant: 'webgpu kernels, batch 1',
        medianMs: quantile(wall, 0.5),
        note: `${(kernels / profiled).toFixed(0)} GPU kernels per call, ${(gpuMs / profiled).toFixed(3)} ms of GPU time per call`,
      });
    });

  await step('webgpu, outputs on GPU, then read', async () => {
    const session = await ort.InferenceSession.create(model, { ...base, executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer' });
    const agrees = await agreement(await session.run(vadFeeds(1)));
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
    variants.push({
      variant: 'webgpu, outputs on GPU, then read',
      ...result,
      note: `reading "output" back: ${(readMs / reads).toFixed(2)} ms mean; ${agrees}`,
    });
    await session.release();
  });

  await step('webgpu, state kept on GPU, batch 1', async () => {
    const session = await ort.InferenceSession.create(model, {
      ...base,
      executionProviders: ['webgpu'],
      preferredOutputLocation: { stateN: 'gpu-buffer', output: 'cpu' },
    });
    const agrees = await agreement(await session.run(vadFeeds(1)));
    let state: Ort.Tensor = vadFeeds(1).state as Ort.Tensor;
    const result = await timed(async () => {
      const feeds = { ...vadFeeds(1), state };
      const out = await session.run(feeds);
      if (state.location === 'gpu-buffer') state.dispose();
      state = out.stateN as Ort.Tensor;
    });
    variants.push({ variant: 'webgpu, state kept on GPU, batch 1', ...result, note: agrees });
    await session.release();
  });

  await step('webgpu, graph capture, batch 1', async () => {
    variants.push(await graphCapture(model, vadFeeds(1), 'webgpu, graph capture, batch 1', agreement));
  });

  // Silero's network sits in an `If` on `sr == 16000`: with `sr` a constant, ORT can fold
  // the condition, and the graph may lose its control flow (and its CPU round trips).
  const folded = withConstantInput(model, 'sr', 16000);
  const withoutSr = (batch: number): Record<string, Ort.Tensor> => {
    const feeds = vadFeeds(batch);
    delete feeds.sr;
    return feeds;
  };
  await step('webgpu, sr folded into the graph', async () => {
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
  });
  await step('webgpu, sr folded, graph capture, batch 1', async () => {
    variants.push(await graphCapture(folded, withoutSr(1), 'webgpu, sr folded, graph capture, batch 1', agreement));
  });

  // Every free dimension pinned (`freeDimensionOverrides`: batch 1, 576 samples), so that
  // ORT can fold the shape arithmetic it otherwise runs on the CPU between kernels.
  await step('webgpu, sr folded, static shapes, batch 1', async () => {
    const overrides: Record<string, number> = {};
    for (const meta of gpu.inputMetadata)
      if (meta.isTensor)
        meta.shape.forEach((dim, axis) => {
          if (typeof dim === 'string') overrides[dim] = meta.name === 'input' && axis === 1 ? 576 : 1;
        });
    if (Object.keys(overrides).length === 0) {
      variants.push({
        variant: 'webgpu, sr folded, static shapes, batch 1',
        note: 'nothing to pin: the session reports no named free dimensions (freeDimensionOverrides works by name)',
      });
      return;
    }
    const session = await ort.InferenceSession.create(folded, { ...base, executionProviders: ['webgpu'], freeDimensionOverrides: overrides });
    const note = `${await agreement(await session.run(withoutSr(1)))}; pinned ${JSON.stringify(overrides)}`;
    variants.push({ variant: 'webgpu, sr folded, static shapes, batch 1', ...(await timed(() => session.run(withoutSr(1)))), note });
    await session.release();
  });

  await step('round trip (raw WebGPU, 4 bytes)', async () => {
    variants.push(await roundTrip());
  });
  for (const submitEach of [false, true])
    await step(`floor, ${submitEach ? 'a submit per kernel' : 'one submit'}`, async () => {
      variants.push(await dispatchChain(29, submitEach));
    });
  const adapter = adapterOf(ort);
  await gpu.release();
  return { variants, cpuNodes, adapter };
}

declare global {
  interface Window {
    ortCall: { experiment: typeof experiment };
  }
}

window.ortCall = { experiment };
const status = document.getElementById('status');
if (status !== null) status.textContent = 'ready';
