/**
 * The ONNX Runtime Web engine: `webgpu` sessions on its JSEP build, `wasm` sessions on its
 * CPU-only build (`ort-builds.ts`).
 *
 * Runs inside a worker. The host validates inputs before calling `run`, so this file
 * only converts tensors and talks to ONNX Runtime.
 */
import type * as ort from 'onnxruntime-web';
import { BackendUnavailableError, InferenceError, messageOf, ModelLoadError, ModelNotFoundError } from '../src/errors';
import type { Backend, DeviceTensor, Engine, EngineResources, KeepingRunResult, LoadRequest, ModelInfo, RunResult, TensorMap } from '../src/protocol';
import { expectedFor, fetchChecked } from '../src/cache/response-check';
import { openSession } from './ort-backend';
import { onnxOperators } from './onnx-operators';
import { deviceTensorCount, fromOrtAnywhere, OrtDeviceTensor, specsOf, toOrt } from './ort-tensors';
import type { Ort } from './ort-builds';

interface OrtModel {
  readonly session: ort.InferenceSession;
  readonly backend: Backend;
  /** The build the session runs on, which makes its feeds. */
  readonly ort: Ort;
}

export { configureOrt } from './ort-builds';

/** ONNX Runtime Web behind the {@link Engine} interface. */
export class OrtEngine implements Engine {
  private readonly models = new Map<string, OrtModel>();

  /** @param allowSoftwareWebGpu let `'auto'` consider a software WebGPU adapter */
  constructor(private readonly allowSoftwareWebGpu = false) {}

  async load(request: LoadRequest): Promise<ModelInfo> {
    const started = performance.now();
    const { modelId, backend } = request;
    if (backend === 'cpu') {
      throw new BackendUnavailableError(`ONNX Runtime Web has no "cpu" backend; use "wasm" (its CPU backend) or "webgpu" for model "${modelId}".`, {
        model: modelId,
        backend,
        expected: 'webgpu | wasm | auto',
        got: backend,
      });
    }
    const model = await this.source(request);
    const operators = onnxOperators(model);
    const opened = await openSession(model, request, this.allowSoftwareWebGpu);
    this.models.set(modelId, { session: opened.session, backend: opened.backend, ort: opened.ort });
    const { session } = opened;
    return {
      modelId,
      format: 'onnx',
      backend: opened.backend,
      inputs: specsOf(session.inputMetadata, session.inputNames),
      outputs: specsOf(session.outputMetadata, session.outputNames),
      backendReason: opened.reason,
      ...(opened.fallbackReason === undefined ? {} : { fallbackReason: opened.fallbackReason }),
      ...(opened.timings === undefined ? {} : { backendTimings: opened.timings }),
      loadMs: performance.now() - started,
      ...(operators === undefined ? {} : { operators }),
    };
  }

  private async source(request: LoadRequest): Promise<Uint8Array> {
    const { source, modelId } = request;
    switch (source.kind) {
      case 'bytes':
        return new Uint8Array(source.bytes);
      case 'url': {
        // The weights store is bypassed (caching off): the same checks as its downloads.
        const expectedBytes = expectedFor(request.expectedBytes, source.url, source.url);
        const bytes = await fetchChecked({ model: modelId, url: source.url, kind: 'onnx', ...(expectedBytes === undefined ? {} : { expectedBytes }) });
        return new Uint8Array(bytes);
      }
      case 'tfjs-artifacts':
        throw new ModelLoadError(`Model "${modelId}" is ONNX but was given TF.js graph artifacts.`, {
          model: modelId,
          expected: 'a URL or ONNX bytes',
          got: 'TF.js artifacts',
        });
    }
  }

  private get(modelId: string): OrtModel {
    const model = this.models.get(modelId);
    if (model === undefined)
      throw new ModelNotFoundError(`No ONNX model "${modelId}" is loaded in this worker (never loaded, or released).`, { model: modelId });
    return model;
  }

  async run(modelId: string, inputs: TensorMap): Promise<RunResult> {
    const { outputs, timings } = await this.runKeeping(modelId, inputs, {}, []);
    return { outputs, timings };
  }

  /** Run with `resident` inputs fed as they are, keeping the outputs named in `keep` as {@link OrtDeviceTensor}s. */
  async runKeeping(modelId: string, inputs: TensorMap, resident: Readonly<Record<string, DeviceTensor>>, keep: readonly string[]): Promise<KeepingRunResult> {
    const { session, ort: build } = this.get(modelId);
    const prepareStart = performance.now();
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(inputs)) feeds[name] = toOrt(build, t);
    for (const [name, t] of Object.entries(resident)) {
      if (!(t instanceof OrtDeviceTensor))
        throw new InferenceError(`Input "${name}" of model "${modelId}" is a device tensor another engine made.`, { model: modelId, input: name });
      feeds[name] = t.ort;
    }
    const inferenceStart = performance.now();
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(feeds);
    } catch (error) {
      throw new InferenceError(`Model "${modelId}" failed to run: ${messageOf(error)}`, { model: modelId, detail: messageOf(error) });
    }
    const kept: Record<string, DeviceTensor> = {};
    const outputs: TensorMap = {};
    const keeping = new Set(keep);
    for (const [name, value] of Object.entries(results)) {
      if (keeping.has(name)) kept[name] = new OrtDeviceTensor(name, value);
      else outputs[name] = await fromOrtAnywhere(name, value);
    }
    const done = performance.now();
    return { outputs, kept, timings: { prepareMs: inferenceStart - prepareStart, inferenceMs: done - inferenceStart } };
  }

  async release(modelId: string): Promise<void> {
    const model = this.models.get(modelId);
    if (model === undefined) return;
    this.models.delete(modelId);
    await model.session.release();
  }

  async backendOf(modelId: string): Promise<Backend> {
    return this.get(modelId).backend;
  }

  /** Ids of the models this engine holds. */
  modelIds(): string[] {
    return [...this.models.keys()];
  }

  /** The sessions this engine holds (each released one leaves the map). */
  async engineResources(): Promise<EngineResources> {
    return { sessions: this.models.size, deviceTensors: deviceTensorCount() };
  }
}
