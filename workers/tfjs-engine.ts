/**
 * The TensorFlow.js engine: graph models on the `webgpu`, `wasm` and `cpu` backends.
 *
 * TF.js has one active backend per instance, and weights live on the backend that
 * created them, so one worker runs TF.js on one backend: the first model's choice.
 * The runtime keys TF.js workers by requested backend so this never conflicts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { BackendUnavailableError, InferenceError, messageOf, ModelLoadError, ModelNotFoundError } from '../src/errors';
import type {
  Backend,
  Dim,
  Engine,
  EngineAssetPaths,
  EngineResources,
  LoadRequest,
  ModelInfo,
  RunResult,
  Tensor,
  TensorDType,
  TensorMap,
  TensorSpec,
} from '../src/protocol';
import { verifyTfjsWasm } from './engine-files';
import { adapterName, probeWebGpu, softwareAdapterReason } from './webgpu-probe';
import { watchDevice } from './device-loss';
import { GpuPoolBudget } from './tfjs-gpu-pool';

const tfDTypeToDType: Partial<Record<tf.DataType, TensorDType>> = { float32: 'float32', int32: 'int32', bool: 'bool' };

/** Where this app serves TF.js's WASM binaries (set by {@link configureTfjs}). */
let wasmPrefix = '/tfjs/';

/** Point TF.js's WASM backend at this app's copy of its binaries. */
export function configureTfjs(paths: EngineAssetPaths): void {
  wasmPrefix = paths.tfjsWasmPrefix;
  setWasmPaths(paths.tfjsWasmPrefix);
  // Quirk: the threaded TF.js WASM build starts pthread workers from a Blob of its
  // Emscripten glue, and that glue breaks once a bundler minifies it ("e is not
  // defined" inside the blob worker, which then crashes ours). Use the single-threaded
  // SIMD build; on the 2-core machines we target, threads gained little anyway.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
}

/**
 * Quirk (TF.js WebGPU on SwiftShader): graph models with dynamic shapes, such as USE-lite
 * with its sparse input, read small int32 tensors back synchronously while they run (the
 * converter's `dataSync` on shape, begin/end and axis parameters). TF.js's WebGPU backend
 * reads synchronously through an OffscreenCanvas copy that here returns zeros for larger
 * buffers and leaves the device broken ("Failed to execute 'mapAsync' on 'GPUBuffer': A
 * valid external Instance reference no longer exists"). Two changes keep those reads on
 * the CPU:
 * - int32 weights keep their CPU copy when uploaded (TF.js drops it; it keeps both after
 *   any read, so the state is one it knows). Weights are never written in place.
 * - ops whose inputs all live on the CPU run there up to 65536 elements (TF.js: 1000), so
 *   the shape arithmetic of a batch of a few thousand tokens never moves to the GPU.
 */
const webgpuCpuHandoffElements = 65_536;
const pinnedOnCpu = new WeakSet<object>();

function keepShapeArithmeticOnCpu(backend: WebGPUBackend): void {
  const upload = backend.uploadToGPU.bind(backend);
  backend.uploadToGPU = (dataId) => {
    const data = backend.tensorMap.get(dataId);
    const values = data?.values;
    upload(dataId);
    if (data !== undefined && values != null && pinnedOnCpu.has(dataId)) data.values = values;
  };
  const onCpu = backend.shouldExecuteOnCPU.bind(backend);
  backend.shouldExecuteOnCPU = (inputs, sizeThreshold = webgpuCpuHandoffElements) => onCpu(inputs, sizeThreshold);
}

type GraphTensorInfo = GraphModel['inputs'][number];

function specsOf(infos: readonly GraphTensorInfo[], kind: 'input' | 'output'): TensorSpec[] {
  return infos.map((info) => {
    // Graphs converted without a signature leave output dtypes undefined; TF.js then
    // produces float32, which is what every such graph we know of returns.
    const dtype = info.dtype === undefined && kind === 'output' ? 'float32' : tfDTypeToDType[info.dtype];
    if (dtype === undefined)
      throw new ModelLoadError(`Graph ${kind} "${info.name}" has dtype ${info.dtype}, which inpage does not support.`, { input: info.name, got: info.dtype });
    const shape: Dim[] | null = info.shape === undefined ? null : info.shape.map((d) => (d < 0 ? null : d));
    return { name: info.name, dtype, shape };
  });
}

function toTf(t: Tensor): tf.Tensor {
  switch (t.dtype) {
    case 'float32':
      return tf.tensor(t.data, [...t.dims], 'float32');
    case 'int32':
      return tf.tensor(t.data, [...t.dims], 'int32');
    case 'bool':
      return tf.tensor(t.data, [...t.dims], 'bool');
    default:
      // Validation rejects these first: TF.js graph signatures only declare float32, int32 and bool.
      throw new InferenceError(`TF.js cannot take a ${t.dtype} tensor.`);
  }
}

async function fromTf(t: tf.Tensor): Promise<Tensor> {
  const dims = [...t.shape];
  const data = await t.data();
  if (data instanceof Float32Array) return { dtype: 'float32', dims, data };
  if (data instanceof Int32Array) return { dtype: 'int32', dims, data };
  if (data instanceof Uint8Array) return { dtype: 'bool', dims, data };
  throw new InferenceError(`TF.js returned an output of dtype ${t.dtype}, which inpage does not support.`);
}

/** TensorFlow.js graph models behind the {@link Engine} interface. */
export class TfjsEngine implements Engine {
  private readonly models = new Map<string, GraphModel>();
  /** Models whose graph has control flow or dynamic shapes: they run with `executeAsync`. */
  private readonly needsAsync = new Set<string>();
  private backend: Backend | undefined;
  private fallbackReason: string | undefined;
  /** Why `'auto'` chose this worker's backend. */
  private autoReason = '';
  /** On WebGPU: the byte budget on TF.js's buffer pool, trimmed after each run. */
  private gpuPool: GpuPoolBudget | undefined;

  /** @param allowSoftwareWebGpu let `'auto'` take a software WebGPU adapter */
  constructor(private readonly allowSoftwareWebGpu = false) {}

  /** Activate a TF.js backend for this worker, once. */
  private async activate(requested: LoadRequest['backend'], modelId: string): Promise<Backend> {
    if (this.backend !== undefined) {
      if (requested !== 'auto' && requested !== this.backend) {
        throw new BackendUnavailableError(
          `This worker's TF.js already runs on "${this.backend}"; model "${modelId}" asked for "${requested}". Load it into another worker.`,
          {
            model: modelId,
            backend: requested,
            expected: this.backend,
            got: requested,
          },
        );
      }
      return this.backend;
    }
    const order: Backend[] = requested === 'auto' ? ['webgpu', 'wasm'] : [requested];
    const reasons: string[] = [];
    let adapter = '';
    let software = false;
    for (const name of order) {
      if (name === 'webgpu') {
        const gpu = await probeWebGpu();
        if (!gpu.available) {
          reasons.push(`WebGPU unavailable: ${gpu.reason ?? 'no adapter'}`);
          continue;
        }
        adapter = adapterName(gpu);
        software = gpu.software === true;
        if (requested === 'auto' && gpu.software === true && !this.allowSoftwareWebGpu) {
          reasons.push(softwareAdapterReason(gpu));
          continue;
        }
      }
      if (name === 'wasm') {
        // The served binary must be the one the bundled TF.js code was built with; a missing or
        // foreign one is the app's setup to fix (AssetError), not a reason to fall back.
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        await verifyTfjsWasm(wasmPrefix, simd === true ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm');
      }
      let ok: boolean;
      try {
        ok = await tf.setBackend(name);
        await tf.ready();
      } catch (error) {
        reasons.push(`${name} failed to initialise: ${messageOf(error)}`);
        continue;
      }
      if (!ok) {
        reasons.push(`${name} failed to initialise`);
        continue;
      }
      this.backend = name;
      const active = tf.backend();
      if (active instanceof WebGPUBackend) {
        keepShapeArithmeticOnCpu(active);
        watchDevice(active.device, 'TF.js');
        this.gpuPool = new GpuPoolBudget(active.bufferManager);
      }
      if (name !== order[0]) this.fallbackReason = reasons.join('; ');
      // TF.js runs one backend per worker, so the first model decides it without timing both.
      this.autoReason =
        name === 'webgpu'
          ? `auto: WebGPU (${adapter}${software ? ', a software adapter, allowed by allowSoftwareWebGpu' : ''}); TF.js models are not timed at load (one TF.js backend per worker)`
          : `auto: ${reasons.join('; ')}`;
      return name;
    }
    throw new BackendUnavailableError(
      `TF.js backend "${requested}" is not available for model "${modelId}": ${reasons.join('; ')}. Use "auto" or another backend.`,
      {
        model: modelId,
        backend: requested,
        detail: reasons.join('; '),
      },
    );
  }

  async load(request: LoadRequest): Promise<ModelInfo> {
    const started = performance.now();
    const { modelId, source } = request;
    const backend = await this.activate(request.backend, modelId);
    let model: GraphModel;
    try {
      switch (source.kind) {
        case 'url':
          model = await loadGraphModel(source.url);
          break;
        case 'tfjs-artifacts': {
          const { modelJson, weights } = source.artifacts;
          const weightSpecs = modelJson.weightsManifest.flatMap((group) => group.weights);
          const handler = tf.io.fromMemory({
            modelTopology: modelJson.modelTopology as object, // a parsed model.json; TF.js checks its structure
            weightSpecs: weightSpecs as tf.io.WeightsManifestEntry[], // likewise, entries of the same model.json
            weightData: weights,
            signature: modelJson.signature as object | undefined,
            userDefinedMetadata: modelJson.userDefinedMetadata,
            modelInitializer: modelJson.modelInitializer as object | undefined,
          });
          model = await loadGraphModel(handler);
          break;
        }
        case 'bytes':
          throw new ModelLoadError(`Model "${modelId}" is a TF.js graph; give its model.json URL or TF.js artifacts, not raw bytes.`, {
            model: modelId,
            expected: 'a model.json URL or { modelJson, weights }',
            got: 'raw bytes',
          });
      }
    } catch (error) {
      if (error instanceof ModelLoadError) throw error;
      throw new ModelLoadError(`Model "${modelId}" could not be loaded by TF.js: ${messageOf(error)}`, { model: modelId, backend, detail: messageOf(error) });
    }
    if (backend === 'webgpu') for (const tensors of Object.values(model.weights)) for (const t of tensors) if (t.dtype === 'int32') pinnedOnCpu.add(t.dataId);
    this.models.set(modelId, model);
    return {
      modelId,
      format: 'tfjs-graph',
      backend,
      inputs: specsOf(model.inputs, 'input'),
      outputs: specsOf(model.outputs, 'output'),
      backendReason: request.backend === 'auto' ? this.autoReason : `asked for "${request.backend}"`,
      ...(this.fallbackReason === undefined || request.backend !== 'auto' ? {} : { fallbackReason: this.fallbackReason }),
      loadMs: performance.now() - started,
    };
  }

  private get(modelId: string): GraphModel {
    const model = this.models.get(modelId);
    if (model === undefined)
      throw new ModelNotFoundError(`No TF.js model "${modelId}" is loaded in this worker (never loaded, or released).`, { model: modelId });
    return model;
  }

  async run(modelId: string, inputs: TensorMap): Promise<RunResult> {
    const model = this.get(modelId);
    const prepareStart = performance.now();
    const feeds: tf.NamedTensorMap = {};
    for (const [name, t] of Object.entries(inputs)) feeds[name] = toTf(t);
    const inferenceStart = performance.now();
    const outputNames = model.outputs.map((o) => o.name);
    let produced: tf.Tensor[] = [];
    try {
      const result = await this.execute(modelId, model, feeds, outputNames);
      produced = Array.isArray(result) ? result : [result];
      const outputs: TensorMap = {};
      for (const [i, t] of produced.entries()) outputs[outputNames[i] ?? `output_${i}`] = await fromTf(t);
      const done = performance.now();
      return { outputs, timings: { prepareMs: inferenceStart - prepareStart, inferenceMs: done - inferenceStart } };
    } catch (error) {
      if (error instanceof InferenceError) throw error;
      throw new InferenceError(`Model "${modelId}" failed to run: ${messageOf(error)}`, { model: modelId, detail: messageOf(error) });
    } finally {
      tf.dispose(Object.values(feeds));
      tf.dispose(produced);
      this.gpuPool?.trim();
    }
  }

  /**
   * Run with `execute` when the graph allows it, else with `executeAsync`. Quirk: TF.js's
   * `executeAsync` on a graph without control flow or dynamic shapes (MoveNet) logs "This
   * model execution did not contain any nodes with control flow or dynamic output shapes.
   * You can use model.execute() instead." on every call. `execute` refuses a graph with
   * dynamic ops before running anything ("… which has the dynamic op …. Please use
   * model.executeAsync() instead."), and stops at an op that turns out asynchronous; such a
   * model then runs with `executeAsync` from then on (USE-lite, with its sparse ops, does).
   */
  private async execute(modelId: string, model: GraphModel, feeds: tf.NamedTensorMap, outputNames: string[]): Promise<tf.Tensor | tf.Tensor[]> {
    if (!this.needsAsync.has(modelId)) {
      try {
        return model.execute(feeds, outputNames);
      } catch (error) {
        if (!messageOf(error).includes('executeAsync')) throw error;
        this.needsAsync.add(modelId);
      }
    }
    return model.executeAsync(feeds, outputNames);
  }

  async release(modelId: string): Promise<void> {
    const model = this.models.get(modelId);
    if (model === undefined) return;
    this.models.delete(modelId);
    this.needsAsync.delete(modelId);
    model.dispose();
  }

  async backendOf(modelId: string): Promise<Backend> {
    this.get(modelId);
    if (this.backend === undefined) throw new ModelNotFoundError(`No TF.js model "${modelId}" is loaded.`, { model: modelId });
    return this.backend;
  }

  /** Ids of the models this engine holds. */
  modelIds(): string[] {
    return [...this.models.keys()];
  }

  /** The graph models held and `tf.memory()`: live tensors and their bytes (on WebGPU, its GPU buffers too). */
  async engineResources(): Promise<EngineResources> {
    const memory = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
    return {
      sessions: this.models.size,
      ...(this.backend === undefined ? {} : { backend: this.backend }),
      tensors: memory.numTensors,
      dataBuffers: memory.numDataBuffers,
      tensorBytes: memory.numBytes,
      ...(memory.numBytesInGPU === undefined ? {} : { gpuBytes: memory.numBytesInGPU }),
      ...(memory.numBytesAllocatedInGPU === undefined ? {} : { gpuBytesAllocated: memory.numBytesAllocatedInGPU }),
      ...(this.gpuPool === undefined ? {} : gpuPoolResources(this.gpuPool)),
    };
  }
}

function gpuPoolResources(pool: GpuPoolBudget): Partial<EngineResources> {
  const stats = pool.stats();
  return {
    gpuBuffers: stats.usedBuffers + stats.freeBuffers,
    gpuBuffersInUse: stats.usedBuffers,
    gpuPoolFreeBytes: stats.bytesAllocated - stats.bytesUsed,
    gpuPoolBudgetBytes: stats.managed ? stats.budgetBytes : null,
    gpuPoolTrimmed: stats.trimmedBuffers,
  };
}
