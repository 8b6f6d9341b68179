/**
 * The ONNX Runtime Web engine: `webgpu` and `wasm` execution providers.
 *
 * Runs inside a worker. The host validates inputs before calling `run`, so this file
 * only converts tensors and talks to ONNX Runtime.
 */
import * as ort from 'onnxruntime-web';
import { BackendUnavailableError, InferenceError, messageOf, ModelLoadError, ModelNotFoundError } from '../src/errors';
import type { Backend, Dim, Engine, EngineAssetPaths, LoadRequest, ModelInfo, RunResult, Tensor, TensorDType, TensorMap, TensorSpec } from '../src/protocol';
import { ownedTensor } from '../src/tensor';
import { expectedFor, fetchChecked } from '../src/cache/response-check';
import { probeWebGpu } from './webgpu-probe';

interface OrtModel {
  readonly session: ort.InferenceSession;
  readonly backend: Backend;
}

const ortTypeToDType: Partial<Record<ort.Tensor.Type, TensorDType>> = {
  float32: 'float32',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  int8: 'int8',
  bool: 'bool',
};

/** Configure ONNX Runtime's WASM paths and threads. Must run before the first session. */
export function configureOrt(paths: EngineAssetPaths): void {
  // Serve ORT's own WASM + glue from this app; ORT would otherwise resolve them relative
  // to its bundle URL, which breaks once a bundler renames or inlines the bundle.
  ort.env.wasm.wasmPaths = paths.ortWasmPrefix;
  // Threads need SharedArrayBuffer, i.e. a cross-origin-isolated page (COOP + COEP).
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? paths.ortNumThreads : 1;
  ort.env.logLevel = 'error';
}

function specsOf(metadata: readonly ort.InferenceSession.ValueMetadata[], names: readonly string[]): TensorSpec[] {
  return names.map((name, i) => {
    const meta = metadata[i];
    if (meta === undefined || !meta.isTensor) return { name, dtype: 'float32', shape: null };
    const dtype = ortTypeToDType[meta.type];
    if (dtype === undefined) {
      throw new ModelLoadError(`Tensor "${name}" has element type ${meta.type}, which inpage does not support yet.`, {
        input: name,
        expected: Object.keys(ortTypeToDType).join(', '),
        got: meta.type,
      });
    }
    // ONNX encodes an unknown dimension as a symbolic name or -1, and ORT Web reports
    // -1 as 4294967295 (an unsigned wrap); both become `null`. `[]` is a scalar.
    const shape: Dim[] = meta.shape.map((d) => (typeof d === 'number' ? (d < 0 || d > 0x7fffffff ? null : d) : d === '' ? null : d));
    return { name, dtype, shape };
  });
}

function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(t.dtype, t.data, t.dims);
}

function fromOrt(name: string, value: ort.OnnxValue): Tensor {
  const dims = [...value.dims];
  const owned = (t: Tensor): Tensor => ownedTensor(t);
  switch (value.type) {
    case 'float32':
      return owned({ dtype: 'float32', dims, data: value.data as Float32Array }); // ORT guarantees the array type per `type`
    case 'int32':
      return owned({ dtype: 'int32', dims, data: value.data as Int32Array });
    case 'int64':
      return owned({ dtype: 'int64', dims, data: value.data as BigInt64Array });
    case 'uint8':
      return owned({ dtype: 'uint8', dims, data: value.data as Uint8Array });
    case 'int8':
      return owned({ dtype: 'int8', dims, data: value.data as Int8Array });
    case 'bool':
      return owned({ dtype: 'bool', dims, data: value.data as Uint8Array });
    default:
      throw new InferenceError(`Output "${name}" has element type ${value.type}, which inpage does not support yet.`);
  }
}

/** ONNX Runtime Web behind the {@link Engine} interface. */
export class OrtEngine implements Engine {
  private readonly models = new Map<string, OrtModel>();

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
    let fallbackReason: string | undefined;
    let session: ort.InferenceSession | undefined;
    let chosen: Backend = 'wasm';
    if (backend === 'webgpu' || backend === 'auto') {
      const gpu = await probeWebGpu();
      if (!gpu.available) {
        if (backend === 'webgpu') {
          throw new BackendUnavailableError(
            `WebGPU is not available in this worker (${gpu.reason ?? 'no adapter'}), so model "${modelId}" cannot load on "webgpu". Use backend "auto" or "wasm".`,
            {
              model: modelId,
              backend,
              detail: gpu.reason,
            },
          );
        }
        fallbackReason = `WebGPU unavailable: ${gpu.reason ?? 'no adapter'}`;
      } else {
        try {
          session = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
          chosen = 'webgpu';
        } catch (error) {
          if (backend === 'webgpu') {
            throw new BackendUnavailableError(`Model "${modelId}" could not build a WebGPU session: ${messageOf(error)}`, {
              model: modelId,
              backend,
              detail: messageOf(error),
            });
          }
          fallbackReason = `WebGPU session failed: ${messageOf(error)}`;
        }
      }
    }
    if (session === undefined) {
      try {
        session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
        chosen = 'wasm';
      } catch (error) {
        throw new ModelLoadError(`Model "${modelId}" could not be loaded by ONNX Runtime Web: ${messageOf(error)}`, {
          model: modelId,
          backend: 'wasm',
          detail: messageOf(error),
        });
      }
    }
    this.models.set(modelId, { session, backend: chosen });
    return {
      modelId,
      format: 'onnx',
      backend: chosen,
      inputs: specsOf(session.inputMetadata, session.inputNames),
      outputs: specsOf(session.outputMetadata, session.outputNames),
      ...(fallbackReason === undefined ? {} : { fallbackReason }),
      loadMs: performance.now() - started,
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
    const { session } = this.get(modelId);
    const prepareStart = performance.now();
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(inputs)) feeds[name] = toOrt(t);
    const inferenceStart = performance.now();
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(feeds);
    } catch (error) {
      throw new InferenceError(`Model "${modelId}" failed to run: ${messageOf(error)}`, { model: modelId, detail: messageOf(error) });
    }
    const outputs: TensorMap = {};
    for (const [name, value] of Object.entries(results)) outputs[name] = fromOrt(name, value);
    const done = performance.now();
    return { outputs, timings: { prepareMs: inferenceStart - prepareStart, inferenceMs: done - inferenceStart } };
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
}
