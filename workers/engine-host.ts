/**
 * The worker-side host: one {@link WorkerApi} that routes each model to the engine for
 * its format (ONNX Runtime Web or TF.js), validates every input before any engine call,
 * and sends results back with their buffers transferred.
 *
 * Engines are imported lazily, so a worker that only runs ONNX models never downloads
 * TF.js and vice versa.
 */
import { transfer } from 'comlink';
import { ignoreCacheEvents, type CacheEventSink } from '../src/cache/events';
import { ProgressTracker } from '../src/cache/load-progress';
import { WeightsStore } from '../src/cache/weights';
import { InvalidInputError, InvalidOptionsError, ModelNotFoundError } from '../src/errors';
import type {
  Backend,
  DeviceTensor,
  KeepingRunResult,
  StackedRunResult,
  Engine,
  EngineAssetPaths,
  EngineResources,
  LoadProgressSink,
  LoadRequest,
  ModelFormat,
  ModelInfo,
  ModelSource,
  Priority,
  RunResult,
  TensorMap,
  TensorSpec,
  EngineWorkerApi,
  WorkerCacheConfig,
  WorkerEnvironment,
  WorkerResources,
} from '../src/protocol';
import { holdForLife } from '../src/worker-liveness';
import { transferablesOf } from '../src/tensor';
import { applyShapeOverrides } from '../src/signature';
import { validateInputs } from '../src/validate';
import { engineVersions } from './engine-files';
import { evaluations } from './evaluations';
import { resolveSource } from './model-source';
import { RunGate } from './run-gate';
import { ortThreads } from './wasm-threads';
import { probeWebGpu } from './webgpu-probe';
import { releasingAll } from './device-loss';

/** The bytes of a model's weights as the engine got them (0 for a URL the engine fetched itself). */
function sourceBytes(source: ModelSource): number {
  if (source.kind === 'bytes') return source.bytes.byteLength;
  if (source.kind === 'url') return 0;
  const { weights } = source.artifacts;
  return Array.isArray(weights) ? weights.reduce((sum, w) => sum + w.byteLength, 0) : weights.byteLength;
}

interface Loaded {
  readonly engine: Engine;
  readonly inputs: readonly TensorSpec[];
  readonly rejectNaN: boolean;
  /** One engine call at a time per session, most urgent first. */
  readonly gate: RunGate;
}

/** Caches off: what a worker does until `configure` says otherwise. */
const disabledCaches: WorkerCacheConfig = {
  weights: { enabled: false, budgetBytes: 0, verifyOnRead: true, revalidate: false },
  kvPrefix: { enabled: false, blockTokens: 16, memoryBytes: 0, persist: false, budgetBytes: 0 },
};

const defaultPaths: EngineAssetPaths = { ortWasmPrefix: '/ort/', tfjsWasmPrefix: '/tfjs/', ortNumThreads: 0 };

/** Builds the engine for a format; the default imports the real engine lazily. */
export type EngineFactory = (format: ModelFormat, paths: EngineAssetPaths) => Promise<Engine>;

const importEngine: EngineFactory = (format, paths) =>
  format === 'onnx'
    ? // Each ORT build checks its served files when a session first needs it (ort-builds.ts, engine-files.ts).
      import('./ort-engine').then(({ OrtEngine, configureOrt }) => {
        configureOrt(paths);
        return new OrtEngine(paths.allowSoftwareWebGpu ?? false);
      })
    : import('./tfjs-engine').then(({ TfjsEngine, configureTfjs }) => {
        configureTfjs(paths);
        return new TfjsEngine(paths.allowSoftwareWebGpu ?? false);
      });

/** Implements the worker API over the two engines. */
export class EngineHost implements EngineWorkerApi {
  private paths: EngineAssetPaths = defaultPaths;
  /** How this worker caches (set by `configure`). */
  protected cacheConfig: WorkerCacheConfig = disabledCaches;
  /** Where this worker's cache events go (the main thread's metrics). */
  protected cacheEvents: CacheEventSink = ignoreCacheEvents;
  private readonly engines = new Map<ModelFormat, Promise<Engine>>();
  private readonly loaded = new Map<string, Loaded>();
  private weightsStore: WeightsStore | undefined;

  /** @param createEngine builds engines (tests pass a fake). @default lazy import of the real engines */
  constructor(private readonly createEngine: EngineFactory = importEngine) {}

  async configure(
    paths: EngineAssetPaths,
    cache: WorkerCacheConfig = disabledCaches,
    events: CacheEventSink = ignoreCacheEvents,
    lifeLock?: string,
  ): Promise<boolean> {
    if (this.engines.size > 0) throw new InvalidOptionsError('configure() must be called before the first model loads.');
    this.paths = paths;
    this.cacheConfig = cache;
    // A comlink proxy returns a promise per call; a lost event must never fail a load.
    this.cacheEvents = (event) => {
      void Promise.resolve(events(event)).catch(() => undefined);
    };
    return lifeLock === undefined ? false : await holdForLife(lifeLock);
  }

  async ping(): Promise<true> {
    return true;
  }

  async environment(): Promise<WorkerEnvironment> {
    const gpu = await probeWebGpu();
    return {
      webgpu: gpu,
      crossOriginIsolated: globalThis.crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency,
      ortNumThreads: ortThreads(this.paths.ortNumThreads),
      tfjsNumThreads: 1,
      userAgent: navigator.userAgent,
      engines: engineVersions,
      workerEvaluations: evaluations(),
    };
  }

  async resources(): Promise<WorkerResources> {
    const engines: Partial<Record<ModelFormat, EngineResources>> = {};
    for (const [format, started] of [...this.engines]) {
      // An engine that failed to start holds nothing.
      const engine = await started.catch(() => undefined);
      const held = await engine?.engineResources?.();
      if (held !== undefined) engines[format] = held;
    }
    return { models: this.loaded.size, tasks: 0, engines };
  }

  private engineFor(format: ModelFormat): Promise<Engine> {
    let engine = this.engines.get(format);
    if (engine === undefined) {
      engine = this.createEngine(format, this.paths);
      this.engines.set(format, engine);
      // A failed start (missing engine files) is not kept: the next load tries again.
      void engine.catch(() => {
        if (this.engines.get(format) === engine) this.engines.delete(format);
      });
    }
    return engine;
  }

  /** The weights store (created on first use, after `configure`). */
  private weights(): WeightsStore {
    this.weightsStore ??= new WeightsStore({ ...this.cacheConfig.weights, events: this.cacheEvents });
    return this.weightsStore;
  }

  async load(request: LoadRequest, progress?: LoadProgressSink): Promise<ModelInfo> {
    const sink: LoadProgressSink | undefined =
      progress === undefined
        ? undefined
        : (update) => {
            // A comlink proxy returns a promise per call; a lost update must never fail a load.
            void Promise.resolve(progress(update)).catch(() => undefined);
          };
    return this.loadTracked(request, sink === undefined ? undefined : new ProgressTracker(sink));
  }

  /**
   * Load with progress going to `tracker` (tasks share one across their models). URL
   * sources go through the weights store when it is on, or when progress or an expected
   * hash asks for it; otherwise the engine fetches them itself.
   */
  protected async loadTracked(request: LoadRequest, tracker: ProgressTracker | undefined): Promise<ModelInfo> {
    if (this.loaded.has(request.modelId))
      throw new InvalidOptionsError(`A model with id "${request.modelId}" is already loaded in this worker.`, { model: request.modelId });
    // Every URL source goes through the store, which checks what comes back (status, type,
    // format, size, hash) and, with the weights cache off, only stores nothing.
    const viaStore = request.source.kind === 'url';
    // Start the engine (WASM, backend) while the files download.
    const [engine, source] = await Promise.all([
      this.engineFor(request.format),
      viaStore ? resolveSource(request, this.weights(), tracker) : Promise.resolve(request.source),
    ]);
    const loadedInfo = await engine.load(source === request.source ? request : { ...request, source });
    let inputs: TensorSpec[];
    try {
      inputs = applyShapeOverrides(request.modelId, loadedInfo.inputs, request.shapes);
    } catch (error) {
      await engine.release(request.modelId);
      throw error;
    }
    const info: ModelInfo = { ...loadedInfo, inputs, weightBytes: sourceBytes(source) };
    this.loaded.set(request.modelId, { engine, inputs, rejectNaN: request.rejectNaN, gate: new RunGate() });
    return info;
  }

  private get(modelId: string): Loaded {
    const loaded = this.loaded.get(modelId);
    if (loaded === undefined) throw new ModelNotFoundError(`No model "${modelId}" is loaded in this worker (never loaded, or released).`, { model: modelId });
    return loaded;
  }

  async run(modelId: string, inputs: TensorMap): Promise<RunResult> {
    const result = await this.runValidated(modelId, inputs);
    return transfer(result, transferablesOf(Object.values(result.outputs)));
  }

  /** Validate, then run on the model's engine; for tasks inside this worker (no transfer). */
  protected async runValidated(modelId: string, inputs: TensorMap, priority?: Priority): Promise<RunResult> {
    const { inputs: specs, rejectNaN } = this.get(modelId);
    const validateStart = performance.now();
    validateInputs(modelId, specs, inputs, { rejectNaN });
    return this.runGated(modelId, inputs, priority, performance.now() - validateStart);
  }

  /**
   * {@link runValidated} with some inputs already on the device (outputs this model kept
   * in an earlier call; their dtype and rank are checked, their data is the engine's),
   * keeping the outputs named in `keep` there.
   */
  protected async runKeepingValidated(
    modelId: string,
    inputs: TensorMap,
    resident: Readonly<Record<string, DeviceTensor>>,
    keep: readonly string[],
    priority?: Priority,
  ): Promise<KeepingRunResult> {
    const loaded = this.get(modelId);
    const { engine, inputs: specs, rejectNaN } = loaded;
    const validateStart = performance.now();
    const onDevice = new Set(Object.keys(resident));
    validateInputs(
      modelId,
      specs.filter((spec) => !onDevice.has(spec.name)),
      inputs,
      { rejectNaN },
    );
    for (const [name, t] of Object.entries(resident)) {
      const spec = specs.find((candidate) => candidate.name === name);
      if (spec === undefined || spec.dtype !== t.dtype || (spec.shape !== null && spec.shape.length !== t.dims.length)) {
        throw new InvalidInputError(`Model "${modelId}" cannot take device tensor "${name}" (${t.dtype} [${t.dims.join(', ')}]).`, {
          model: modelId,
          input: name,
          expected: spec === undefined ? specs.map((candidate) => candidate.name).join(', ') : `${spec.dtype} of rank ${spec.shape?.length ?? 'any'}`,
          got: `${t.dtype} [${t.dims.join(', ')}]`,
        });
      }
    }
    const validateMs = performance.now() - validateStart;
    const runKeeping = engine.runKeeping?.bind(engine);
    if (runKeeping === undefined)
      throw new InvalidOptionsError(`Model "${modelId}" runs on an engine that cannot keep tensors on its device (ONNX models only).`, { model: modelId });
    const result = await loaded.gate.run(() => runKeeping(modelId, inputs, resident, keep), priority);
    return { ...result, timings: { ...result.timings, prepareMs: result.timings.prepareMs + validateMs } };
  }

  /** Run on the model's engine, one call at a time per model, most urgent first. */
  private async runGated(modelId: string, inputs: TensorMap, priority: Priority | undefined, validateMs = 0): Promise<RunResult> {
    const loaded = this.get(modelId);
    const { engine } = loaded;
    // Quirk: an ONNX Runtime Web session refuses a second run() while one is in flight
    // ("Session already started", seen on WebGPU). The scheduler keeps two batches in
    // flight per worker so the next is already here when one ends; they queue here.
    const result = await loaded.gate.run(() => engine.run(modelId, inputs), priority);
    return { outputs: result.outputs, timings: { ...result.timings, prepareMs: result.timings.prepareMs + validateMs } };
  }

  async runStacked(modelId: string, inputs: TensorMap, priority?: Priority, giveBack = false): Promise<StackedRunResult> {
    // The requests were validated on the main thread before they were queued (the model's
    // handle does it, NaN scan included), and stacking checked that they agree: a second
    // pass over the batch would only read every element again.
    const result = await this.runGated(modelId, inputs, priority);
    const answer: StackedRunResult = giveBack ? { ...result, inputs } : result;
    // A Set: an output may share a buffer with an input (an identity op), and a buffer may be transferred once.
    const buffers = new Set([...transferablesOf(Object.values(result.outputs)), ...(giveBack ? transferablesOf(Object.values(inputs)) : [])]);
    return transfer(answer, [...buffers]);
  }

  async release(modelId: string): Promise<void> {
    const loaded = this.loaded.get(modelId);
    if (loaded === undefined) return;
    this.loaded.delete(modelId);
    await loaded.engine.release(modelId);
  }

  async backendOf(modelId: string): Promise<Backend> {
    return this.get(modelId).engine.backendOf(modelId);
  }

  async releaseAll(): Promise<void> {
    releasingAll();
    await Promise.all([...this.loaded.keys()].map((id) => this.release(id)));
  }
}
