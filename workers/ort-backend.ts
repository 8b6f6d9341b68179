/**
 * Opening an ONNX Runtime Web session on the backend a load asks for, and resolving
 * `'auto'`:
 * - no WebGPU, or a WebGPU session that fails to build: WASM, and why;
 * - a software adapter (SwiftShader: WebGPU on the CPU): WASM, unless the runtime allows it;
 * - a hardware adapter: both sessions are built and timed on synthetic inputs at the batch
 *   sizes the model will see (`backend-choice.ts`); the faster stays, the other is released.
 *   When no synthetic input can be made or a probe call fails, WebGPU stays, and the reason
 *   says the choice was not measured.
 */
import type * as ort from 'onnxruntime-web';
import { BackendUnavailableError, messageOf, ModelLoadError } from '../src/errors';
import type { Backend, BackendProbe, BackendTiming, LoadRequest, TensorMap } from '../src/protocol';
import { applyShapeOverrides } from '../src/signature';
import { chooseBackend, median, probeFeeds } from './backend-choice';
import { loadOrtBuild, type Ort } from './ort-builds';
import { specsOf, toOrt } from './ort-tensors';
import { adapterName, probeWebGpu, softwareAdapterReason } from './webgpu-probe';
import { watchDevice } from './device-loss';

/** A session and why it runs where it does. */
export interface OpenedSession {
  readonly session: ort.InferenceSession;
  readonly backend: Backend;
  /** The build the session runs on (`ort-builds.ts`): its feeds must be made by it. */
  readonly ort: Ort;
  readonly reason: string;
  /** Set when `'auto'` did not get WebGPU. */
  readonly fallbackReason?: string;
  readonly timings?: readonly BackendTiming[];
}

/** Warm calls timed per backend and batch size (after one untimed call that compiles shaders). */
const timedCalls = 3;
const defaultProbe: BackendProbe = { batchSizes: [1] };

/** Whether output `name` matches one of `patterns` (a name, or a prefix ending in `*`). */
export function keepsOnDevice(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern));
}

/**
 * ORT's `preferredOutputLocation` for `patterns`: `'gpu-buffer'` for every matching output.
 * The names are known only once the session exists, so this is a read-only view that
 * answers each name ORT looks up (onnxruntime-web reads `preferredOutputLocation[name]`
 * per output, `'cpu'` when absent; were it ever to list keys instead, the view lists none
 * and every output simply comes back on the CPU).
 */
function gpuBufferOutputs(patterns: readonly string[]): Readonly<Record<string, 'gpu-buffer'>> {
  return new Proxy<Record<string, 'gpu-buffer'>>(
    {},
    {
      get: (_target, name) => (typeof name === 'string' && keepsOnDevice(patterns, name) ? 'gpu-buffer' : undefined),
    },
  );
}

/** A session and the build it runs on. */
interface Session {
  readonly session: ort.InferenceSession;
  readonly ort: Ort;
}

/** Make a session of `model` on `build`, the build of `backend` (loaded by the caller, so a missing engine file stays an `AssetError`). */
async function create(build: Ort, model: Uint8Array, backend: 'webgpu' | 'wasm', keepOnDevice: readonly string[] = []): Promise<Session> {
  // On WebGPU the kept outputs stay in GPU buffers (fed back as the next call's inputs); WASM has no such location.
  const preferredOutputLocation = backend === 'webgpu' && keepOnDevice.length > 0 ? gpuBufferOutputs(keepOnDevice) : undefined;
  const session = await build.InferenceSession.create(model, {
    executionProviders: [backend],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(preferredOutputLocation === undefined ? {} : { preferredOutputLocation }),
  });
  if (backend === 'webgpu') watchOrtDevice(build);
  return { session, ort: build };
}

/** Watch ORT's device for loss. It exists once a WebGPU session does (the getter returns it rather than making one). */
function watchOrtDevice(build: Ort): void {
  try {
    // Typed as a promise; the JSEP build returns the device itself.
    void Promise.resolve(build.env.webgpu.device).then(
      (device) => watchDevice(device, 'ONNX Runtime Web'),
      () => undefined,
    );
  } catch {
    // No device to watch: a loss then shows as failing calls instead.
  }
}

async function timeCalls({ session, ort: build }: Session, feeds: TensorMap): Promise<number> {
  const run = async (): Promise<number> => {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(build, t);
    const started = performance.now();
    const outputs = await session.run(ortFeeds);
    const ms = performance.now() - started;
    for (const value of Object.values(outputs)) value.dispose();
    return ms;
  };
  await run();
  const samples: number[] = [];
  for (let i = 0; i < timedCalls; i += 1) samples.push(await run());
  return median(samples);
}

/** Time both sessions on the probe; a string says why they could not be timed. */
async function measure(request: LoadRequest, gpuSession: Session, cpuSession: Session): Promise<BackendTiming[] | string> {
  const probe = request.probe ?? defaultProbe;
  let inputs;
  try {
    const { inputMetadata, inputNames } = cpuSession.session;
    inputs = applyShapeOverrides(request.modelId, specsOf(inputMetadata, inputNames), request.shapes);
  } catch (error) {
    return messageOf(error);
  }
  const timings: BackendTiming[] = [];
  for (const batchSize of probe.batchSizes) {
    const feeds = probeFeeds(inputs, probe, batchSize);
    if (typeof feeds === 'string') return feeds;
    for (const [backend, session] of [
      ['webgpu', gpuSession],
      ['wasm', cpuSession],
    ] as const) {
      try {
        timings.push({ backend, batchSize, ms: await timeCalls(session, feeds) });
      } catch (error) {
        return `a synthetic call at batch ${batchSize} failed on ${backend}: ${messageOf(error)}`;
      }
    }
  }
  return timings;
}

async function openWasm(model: Uint8Array, modelId: string): Promise<Session> {
  const build = await loadOrtBuild('wasm');
  try {
    return await create(build, model, 'wasm');
  } catch (error) {
    throw new ModelLoadError(`Model "${modelId}" could not be loaded by ONNX Runtime Web: ${messageOf(error)}`, {
      model: modelId,
      backend: 'wasm',
      detail: messageOf(error),
    });
  }
}

async function openWebGpu(model: Uint8Array, modelId: string, keepOnDevice: readonly string[] | undefined): Promise<Session> {
  const gpu = await probeWebGpu();
  if (!gpu.available) {
    throw new BackendUnavailableError(
      `WebGPU is not available in this worker (${gpu.reason ?? 'no adapter'}), so model "${modelId}" cannot load on "webgpu". Use backend "auto" or "wasm".`,
      { model: modelId, backend: 'webgpu', detail: gpu.reason },
    );
  }
  const build = await loadOrtBuild('webgpu');
  try {
    return await create(build, model, 'webgpu', keepOnDevice);
  } catch (error) {
    throw new BackendUnavailableError(`Model "${modelId}" could not build a WebGPU session: ${messageOf(error)}`, {
      model: modelId,
      backend: 'webgpu',
      detail: messageOf(error),
    });
  }
}

/** Open `model` for `request`, resolving `'auto'` as the file comment says. */
export async function openSession(model: Uint8Array, request: LoadRequest, allowSoftwareWebGpu: boolean): Promise<OpenedSession> {
  const { modelId, backend } = request;
  if (backend === 'wasm') return { ...(await openWasm(model, modelId)), backend, reason: 'asked for "wasm"' };
  if (backend === 'webgpu') return { ...(await openWebGpu(model, modelId, request.keepOnDevice)), backend, reason: 'asked for "webgpu"' };
  const wasmBecause = async (why: string): Promise<OpenedSession> => {
    const reason = `auto: ${why}`;
    return { ...(await openWasm(model, modelId)), backend: 'wasm', reason, fallbackReason: why };
  };
  const gpu = await probeWebGpu();
  if (!gpu.available) return wasmBecause(`WebGPU unavailable: ${gpu.reason ?? 'no adapter'}`);
  const adapter = adapterName(gpu);
  if (gpu.software === true && !allowSoftwareWebGpu) return wasmBecause(softwareAdapterReason(gpu));
  // Both builds are loaded outside the tries below: a missing engine file is an AssetError, not a reason to fall back.
  const [gpuBuild, cpuBuild] = await Promise.all([loadOrtBuild('webgpu'), loadOrtBuild('wasm')]);
  let gpuSession: Session;
  try {
    gpuSession = await create(gpuBuild, model, 'webgpu', request.keepOnDevice);
  } catch (error) {
    return wasmBecause(`WebGPU session failed: ${messageOf(error)}`);
  }
  let cpuSession: Session;
  try {
    cpuSession = await create(cpuBuild, model, 'wasm');
  } catch (error) {
    return { ...gpuSession, backend: 'webgpu', reason: `auto: WebGPU (${adapter}); WASM could not load the model to compare: ${messageOf(error)}` };
  }
  const timings = await measure(request, gpuSession, cpuSession);
  if (typeof timings === 'string') {
    await cpuSession.session.release();
    return { ...gpuSession, backend: 'webgpu', reason: `auto: WebGPU (${adapter}), not measured: ${timings}` };
  }
  const choice = chooseBackend(timings, adapter);
  const [kept, dropped] = choice.backend === 'webgpu' ? [gpuSession, cpuSession] : [cpuSession, gpuSession];
  await dropped.session.release();
  return {
    ...kept,
    backend: choice.backend,
    reason: choice.reason,
    timings,
    ...(choice.backend === 'wasm' ? { fallbackReason: choice.reason } : {}),
  };
}
