/**
 * The runtime: owns the session workers, loads models into them, and hands back
 * {@link Model} handles. It knows nothing of ONNX Runtime or TF.js internals; it speaks
 * only the worker contract in `protocol.ts`.
 */
import { proxy, type Remote } from 'comlink';
import { declaredAssetBase } from './asset-base';
import { backendProbe } from './backend-probe';
import { startDefaultWorker, type StartedWorker } from './default-worker';
import { BackendUnavailableError, DisposedError, InvalidOptionsError, ModelNotFoundError, messageOf } from './errors';
import { resolveBatchPlan, type BatchPlan } from './batching/plan';
import { createModel, modelExecutor, unbatchedPlan, type ManagedModel, type Model, type ModelAnswer, type ModelRequest } from './model';
import { resolveSequence, type ResolvedState } from './model-session';
import { RepositoryEntry, type ModelStatus, type RepositoryModel } from './model-repository';
import {
  asksForBatching,
  checkBackend,
  checkDescriptor,
  checkOptionsObject,
  pageBase,
  resolveOptionUrl,
  toSource,
  type ModelDescriptor,
} from './model-descriptor';
import { loadEmbeddings, type EmbeddingOptions, type EmbeddingTask } from './tasks/embeddings';
import { loadTextGeneration, type TextGenerationOptions, type TextGenerator } from './tasks/generation';
import type { LoadedTask, TaskLoader, TaskSpecWithoutId } from './tasks/loaded-task';
import { MetricsRegistry, type MetricsOptions } from './metrics/registry';
import type { MetricsSnapshot } from './metrics/types';
import { exposeIfAsked } from './metrics/expose';
import type { BatchPolicy, Modality } from './scheduler/policy';
import { resolveReplicas, type ReplicaPlan } from './scheduler/replicas';
import { TaskQueue, type SchedulingOptions, type TaskBatchExecutor } from './tasks/task-queue';
import { loadOcr, type OcrOptions, type OcrTask } from './tasks/ocr';
import { loadPose, type PoseOptions, type PoseTask } from './tasks/pose';
import { loadVad, type VadOptions, type VadTask } from './tasks/vad';
import { defaultFileExpectations } from './tasks/default-files';
import type { Backend, EngineAssetPaths, FileExpectation, LoadProgress, LoadRequest, ModelInfo, TaskSpec, WorkerApi, WorkerEnvironment } from './protocol';
import { resolveCacheConfig, type CacheConfig, type CacheOptions } from './cache/config';
import { IndexedDbRuntimeCache, type RuntimeCache } from './cache/runtime-cache';
import { installErrorTransfer } from './wire-errors';
import { WorkerClient } from './worker-client';
import { Replica } from './replica';

/** Options for {@link createRuntime}. */
export interface RuntimeOptions {
  /**
   * Base URL under which the app serves inpage's files: the engines' WASM in `ort/` and
   * `tfjs/`, the built-in tasks' models in `models/` (what the `inpage/vite` plugin serves,
   * or `npx inpage assets <dir>` copies). Relative values resolve against the page's URL.
   * @default the plugin's `<base>inpage/` with `inpage/vite`; otherwise `'inpage/'` relative to the page
   */
  readonly assetBaseUrl?: string | URL;
  /** URL prefix of ONNX Runtime Web's WASM files. @default `${assetBaseUrl}ort/` */
  readonly ortWasmPrefix?: string | URL;
  /** Base URL of the task models (`runtime.pose()`, `runtime.ocr()` …). @default `${assetBaseUrl}models/` */
  readonly modelBaseUrl?: string | URL;
  /** URL prefix of TF.js's WASM files. @default `${assetBaseUrl}tfjs/` */
  readonly tfjsWasmPrefix?: string | URL;
  /**
   * WASM threads per ONNX Runtime worker (needs a cross-origin-isolated page; otherwise 1).
   * `runtime.environment()` says what a worker uses.
   * @default 0: 1 thread on 2 cores or fewer, else half the cores, at most 8 (measured: `bench/threads.bench.ts`)
   */
  readonly ortNumThreads?: number;
  /**
   * Let `backend: 'auto'` consider a software WebGPU adapter (SwiftShader: WebGPU on the
   * CPU, far slower than WASM on the same cores). Asking for `'webgpu'` always uses it.
   * @default false
   */
  readonly allowSoftwareWebGpu?: boolean;
  /**
   * Check the built-in tasks' files at their default URLs against inpage's model manifest
   * (size and SHA-256; `INTEGRITY_ERROR` on a mismatch, nothing cached), so a stale or
   * foreign file fails loudly instead of running. Files at URLs you pass yourself
   * (`modelUrl` …) are never checked; prefer that to turning this off.
   * @default true
   */
  readonly verifyTaskModels?: boolean;
  /** Live metrics: sliding window size, User Timing entries. */
  readonly metrics?: MetricsOptions;
  /** IndexedDB caches: model weights, embeddings, KV prefixes. Each on by default; `false` turns one off. */
  readonly cache?: CacheOptions;
  /**
   * Create a session worker. Override to load the worker from your own URL (CSP, a bundler
   * that does not copy `new URL('./worker.js', import.meta.url)` assets):
   * `createWorker: (name) => new Worker('/static/inpage-worker.js', { type: 'module', name })`,
   * serving a copy of `node_modules/inpage/dist/worker.js`.
   * @default a module worker from the package's `worker.js`, which your bundler emits
   */
  readonly createWorker?: (name: string) => Worker;
  /**
   * A worker with calls in flight that answers nothing (not even the watchdog's ping) for
   * this long is stuck — a busy loop, a deadlock — and is terminated: its calls fail with
   * `WORKER_CRASHED` and the next load starts a fresh worker. Pings go every quarter of it,
   * only while calls are in flight. Raise it if one engine call of yours really blocks its
   * worker longer (a single huge WASM call); `0` turns the watchdog off.
   * @default 120_000
   */
  readonly workerWatchdogMs?: number;
  /**
   * The model repository: models by name, each with its config (Triton's model repository).
   * Nothing loads until a model's first use through `runtime.model(name)`; a model with
   * `idleUnloadMs` is unloaded after that long without calls and loads again on the next.
   * Every descriptor is checked here (`INVALID_OPTIONS` naming `models.<name>.<field>`).
   * @default {}
   * @example { vad: { format: 'onnx', source: '/models/silero_vad_v5.onnx', modality: 'audio', batchAxes: { state: 1, stateN: 1 }, idleUnloadMs: 60_000 } }
   */
  readonly models?: Readonly<Record<string, ModelDescriptor>>;
}

/**
 * Live metrics of a runtime's tasks.
 *
 * @example
 * const stop = runtime.metrics.subscribe((s) => console.log(s.models[0]?.stages.endToEnd.window.p95), 1000);
 * console.log(runtime.metrics.prometheus());
 */
export interface RuntimeMetrics {
  /** Every metric now: per model and per modality, sliding window and since start. */
  snapshot(): MetricsSnapshot;
  /** Call `listener` with a snapshot every `intervalMs` (default 1000) until the returned function is called. */
  subscribe(listener: (snapshot: MetricsSnapshot) => void, intervalMs?: number): () => void;
  /** Prometheus text exposition of the current snapshot. */
  prometheus(): string;
  /** Start every count, latency, batch size and cache counter afresh; requests in flight are counted when they finish. */
  reset(): void;
  /** Emit `performance.measure` entries (DevTools custom tracks) per request stage. */
  userTiming: boolean;
}

/** Environment facts, from a session worker's point of view. */
export type RuntimeEnvironment = WorkerEnvironment;

/**
 * An inpage runtime. Create one per page (or per independent feature).
 *
 * @example
 * const runtime = createRuntime();
 * const vad = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'auto' });
 * console.log(vad.backend); // 'webgpu' or 'wasm'
 * await runtime.dispose();
 */
export interface Runtime {
  /** Load a model into a worker; resolves when its session is ready. */
  load(descriptor: ModelDescriptor): Promise<Model>;
  /** Load MoveNet pose estimation. */
  pose(options?: PoseOptions): Promise<PoseTask>;
  /** Load the PP-OCR pipeline (detection → orientation → recognition). */
  ocr(options?: OcrOptions): Promise<OcrTask>;
  /** Load the Universal Sentence Encoder (lite). */
  embeddings(options?: EmbeddingOptions): Promise<EmbeddingTask>;
  /** Load Silero voice activity detection. */
  vad(options?: VadOptions): Promise<VadTask>;
  /** Load a decoder-only language model with a KV cache. */
  textGeneration(options?: TextGenerationOptions): Promise<TextGenerator>;
  /**
   * A file under the runtime's model base URL (`modelBaseUrl`, by default the served
   * `inpage/models/`), as an absolute URL: where a task of your own finds files that
   * `inpage/vite` or `npx inpage assets` serve.
   * @example runtime.modelUrl('nanodet/nanodet.json') // 'https://app.example/inpage/models/nanodet/nanodet.json'
   */
  modelUrl(path: string): string;
  /** What the session workers see: WebGPU adapter, cross-origin isolation, cores. */
  environment(): Promise<RuntimeEnvironment>;
  /** Live latency metrics of the tasks. */
  readonly metrics: RuntimeMetrics;
  /** What the caches hold in IndexedDB: usage, listing, per-store clear, per-model delete, `persist()`. */
  readonly cache: RuntimeCache;
  /**
   * Add a model to the repository (see {@link RuntimeOptions.models}); nothing loads yet.
   * `INVALID_OPTIONS` for a bad descriptor or a name already registered.
   */
  register(name: string, descriptor: ModelDescriptor): RepositoryModel;
  /** A repository model's handle (it loads on first use). `MODEL_NOT_FOUND` for a name never registered. */
  model(name: string): RepositoryModel;
  /**
   * Every model: the repository's (in any state) and those loaded with `load()` or by a
   * task, with state, backend, replicas and the weight memory they hold.
   */
  readonly models: readonly ModelStatus[];
  /** Free every session and terminate every worker. Later calls fail with `DISPOSED`. */
  dispose(): Promise<void>;
  /** True after {@link Runtime.dispose}. */
  readonly disposed: boolean;
}

interface TaskHandleState {
  disposed: boolean;
}
/** `url` resolved against `base`, as a folder URL (ending in `/`); a malformed URL is `INVALID_OPTIONS` naming `option`. */
function prefix(url: string | URL, base: string, option: string): string {
  let href: string;
  try {
    href = new URL(url, base).href;
  } catch (error) {
    throw new InvalidOptionsError(`Expected \`${option}\` to be a URL, got ${JSON.stringify(String(url))}.`, {
      input: option,
      expected: 'an absolute or page-relative URL',
      got: String(url),
      detail: messageOf(error),
    });
  }
  return href.endsWith('/') ? href : `${href}/`;
}

/** The status of a model loaded with `load()` or by a task. */
function loadedStatus(model: Model): ModelStatus {
  return {
    id: model.id,
    state: model.disposed ? 'disposed' : 'loaded',
    registered: false,
    backend: model.backend,
    replicas: model.replicas,
    memoryBytes: model.disposed ? 0 : model.weightBytes * model.replicas,
    loads: 1,
    idleUnloadMs: 0,
    idleMs: null,
  };
}

/** A comlink proxy of a progress callback, or undefined. */
function progressProxy(onProgress: ((progress: LoadProgress) => void) | undefined): ((progress: LoadProgress) => void) | undefined {
  return onProgress === undefined ? undefined : proxy(onProgress);
}

class RuntimeImpl implements Runtime, TaskLoader {
  private readonly workers = new Map<string, WorkerClient>();
  /** Every live replica (closed on dispose, so none heals into a new worker afterwards). */
  private readonly replicas = new Set<Replica>();
  private readonly watchdogMs: number;
  private readonly loaded = new Map<string, ManagedModel>();
  private readonly repository = new Map<string, RepositoryEntry>();
  private readonly tasks = new Map<string, TaskHandleState>();
  private readonly paths: EngineAssetPaths;
  private readonly modelBase: string;
  /** The built-in tasks' default files, by URL, with their manifest size and SHA-256 (none when `verifyTaskModels: false`). */
  private readonly expectedFiles: Readonly<Record<string, FileExpectation>> | undefined;
  private taskCounter = 0;
  private readonly queues = new Set<{ close(): void }>();
  readonly metrics: MetricsRegistry;
  readonly cache: RuntimeCache;
  private readonly startWorker: (name: string) => StartedWorker;
  private isDisposed = false;
  /** Every cache's settings. */
  readonly cacheConfig: CacheConfig;

  constructor(options: RuntimeOptions) {
    checkOptionsObject(options);
    const threads = options.ortNumThreads ?? 0;
    if (!Number.isInteger(threads) || threads < 0) {
      throw new InvalidOptionsError(`Expected \`ortNumThreads\` to be an integer ≥ 0, got ${String(threads)}.`, {
        input: 'ortNumThreads',
        expected: 'integer ≥ 0',
        got: String(threads),
      });
    }
    if (options.allowSoftwareWebGpu !== undefined && typeof options.allowSoftwareWebGpu !== 'boolean')
      throw new InvalidOptionsError('`allowSoftwareWebGpu` must be true or false.', {
        input: 'allowSoftwareWebGpu',
        expected: 'boolean',
        got: String(options.allowSoftwareWebGpu),
      });
    const base = prefix(options.assetBaseUrl ?? declaredAssetBase(), pageBase(), 'assetBaseUrl');
    this.paths = {
      ortWasmPrefix: prefix(options.ortWasmPrefix ?? 'ort/', base, 'ortWasmPrefix'),
      tfjsWasmPrefix: prefix(options.tfjsWasmPrefix ?? 'tfjs/', base, 'tfjsWasmPrefix'),
      ortNumThreads: threads,
      allowSoftwareWebGpu: options.allowSoftwareWebGpu ?? false,
    };
    this.modelBase = prefix(options.modelBaseUrl ?? 'models/', base, 'modelBaseUrl');
    if (options.verifyTaskModels !== undefined && typeof options.verifyTaskModels !== 'boolean')
      throw new InvalidOptionsError('`verifyTaskModels` must be true or false.', {
        input: 'verifyTaskModels',
        expected: 'boolean',
        got: String(options.verifyTaskModels),
      });
    this.expectedFiles = options.verifyTaskModels === false ? undefined : defaultFileExpectations((path) => this.modelUrl(path));
    this.metrics = new MetricsRegistry(options.metrics);
    this.cacheConfig = resolveCacheConfig(options.cache);
    this.cache = new IndexedDbRuntimeCache({ events: (event) => this.metrics.cacheEvent(event), resolveUrl: (url) => this.resolveUrl(url) });
    const createWorker = options.createWorker;
    if (createWorker !== undefined && typeof createWorker !== 'function')
      throw new InvalidOptionsError('`createWorker` must be a function (name) => Worker.', {
        input: 'createWorker',
        expected: 'function',
        got: typeof createWorker,
      });
    this.startWorker = createWorker === undefined ? startDefaultWorker : (name) => ({ worker: createWorker(name), url: undefined });
    const watchdogMs = options.workerWatchdogMs ?? 120_000;
    if (typeof watchdogMs !== 'number' || !Number.isFinite(watchdogMs) || watchdogMs < 0)
      throw new InvalidOptionsError(`Expected \`workerWatchdogMs\` to be a finite number of milliseconds ≥ 0 (0: off), got ${String(watchdogMs)}.`, {
        input: 'workerWatchdogMs',
        expected: 'finite number ≥ 0',
        got: String(watchdogMs),
      });
    this.watchdogMs = watchdogMs;
    const models = options.models ?? {};
    if (typeof models !== 'object' || models === null || Array.isArray(models))
      throw new InvalidOptionsError('`models` must map names to model descriptors.', {
        input: 'models',
        expected: '{ name: descriptor }',
        got: String(models),
      });
    for (const [name, descriptor] of Object.entries(models)) this.register(name, descriptor);
  }

  register(name: string, descriptor: ModelDescriptor): RepositoryModel {
    if (this.isDisposed) throw new DisposedError('This runtime was disposed; create a new one with createRuntime().');
    const field = `models.${name}`;
    if (typeof name !== 'string' || name.length === 0 || name.includes('#'))
      throw new InvalidOptionsError(`Expected a model name without "#", got ${JSON.stringify(name)}.`, {
        input: 'models',
        expected: 'a non-empty name without "#"',
        got: typeof name === 'string' ? JSON.stringify(name) : String(name),
      });
    if (this.repository.has(name))
      throw new InvalidOptionsError(`A model named "${name}" is already registered.`, { input: field, expected: 'a new name', got: name });
    try {
      checkDescriptor(descriptor);
      if (descriptor.id !== undefined && descriptor.id !== name)
        throw new InvalidOptionsError(`The name is the id: leave \`id\` out (got "${descriptor.id}").`, { input: 'id', expected: name, got: descriptor.id });
    } catch (error) {
      // Name the field as it sits in the runtime's options.
      if (error instanceof InvalidOptionsError) {
        const input = error.input === undefined ? field : `${field}.${error.input}`;
        throw new InvalidOptionsError(`${field}: ${error.message}`, {
          input,
          ...(error.expected === undefined ? {} : { expected: error.expected }),
          ...(error.got === undefined ? {} : { got: error.got }),
        });
      }
      throw error;
    }
    const entry = new RepositoryEntry(name, descriptor, (d) => this.loadModel(d, false));
    this.repository.set(name, entry);
    return entry;
  }

  model(name: string): RepositoryModel {
    if (this.isDisposed) throw new DisposedError('This runtime was disposed; create a new one with createRuntime().');
    const entry = this.repository.get(name);
    if (entry === undefined)
      throw new ModelNotFoundError(
        `No model named "${name}" is registered; registered: ${[...this.repository.keys()].map((n) => `"${n}"`).join(', ') || 'none'}.`,
        {
          model: name,
        },
      );
    return entry;
  }

  modelUrl(file: string): string {
    return new URL(file, this.modelBase).href;
  }

  /**
   * When `url` is a built-in task's default file: the size and SHA-256 of it and of every
   * default file in its folder (a TF.js model.json's weight shards), by URL, as a load
   * request's `sha256` and `expectedBytes`.
   */
  private defaultFilesBeside(url: string): { sha256: Record<string, string>; expectedBytes: Record<string, number> } | undefined {
    if (this.expectedFiles?.[url] === undefined) return undefined;
    const folder = new URL('.', url).href;
    const files = Object.entries(this.expectedFiles).filter(([file]) => new URL('.', file).href === folder);
    return {
      sha256: Object.fromEntries(files.map(([file, expected]) => [file, expected.sha256])),
      expectedBytes: Object.fromEntries(files.map(([file, expected]) => [file, expected.bytes])),
    };
  }

  resolveUrl(url: string | URL, field = 'url'): string {
    return resolveOptionUrl(url, field);
  }

  async loadTask(spec: TaskSpecWithoutId, workerKey: string, onProgress?: (progress: LoadProgress) => void): Promise<LoadedTask> {
    if (this.isDisposed) throw new DisposedError('This runtime was disposed; create a new one with createRuntime().');
    checkBackend(spec.backend);
    const taskId = this.nextTaskId(spec.kind);
    const client = this.workerFor(workerKey);
    await client.ready();
    const full: TaskSpec = { ...spec, taskId, ...(this.expectedFiles === undefined ? {} : { expected: this.expectedFiles }) };
    const info = await client.call((api) => api.loadTask(full, progressProxy(onProgress)), { long: true });
    const state: TaskHandleState = { disposed: false };
    this.tasks.set(taskId, state);
    let reportAs = taskId;
    // A dead worker is replaced and the task loaded there again, on the backend it got.
    const replica = this.replica(
      client,
      workerKey,
      info.backend,
      (api, backend) => api.loadTask({ ...full, backend }),
      (api) => api.releaseTask(taskId),
      () => reportAs,
    );
    return {
      // The backend follows the replica: a restart that found WebGPU gone moved it to WASM.
      get info() {
        const backend = replica.backend ?? info.backend;
        return backend === info.backend ? info : { ...info, backend };
      },
      get disposed() {
        return state.disposed;
      },
      reportAs: (name) => {
        reportAs = name;
      },
      call: (fn, options) => {
        if (state.disposed) return Promise.reject(new DisposedError(`Task "${taskId}" was disposed; load it again.`, { model: taskId }));
        return replica.call(fn, options);
      },
      dispose: async () => {
        if (state.disposed) return;
        state.disposed = true;
        this.tasks.delete(taskId);
        await replica.dispose();
      },
    };
  }

  /**
   * A replica living in `client` (worker `workerKey`) that heals itself: when its worker
   * dies, a fresh one starts under the same key and `load` runs there again.
   */
  private replica(
    client: WorkerClient,
    workerKey: string,
    backend: Backend,
    load: (api: Remote<WorkerApi>, backend: Backend) => Promise<unknown>,
    release: (api: Remote<WorkerApi>) => Promise<unknown>,
    metricsName: () => string,
  ): Replica {
    let current = backend;
    const replica = new Replica(
      client,
      async () => {
        if (this.isDisposed) throw new DisposedError('This runtime was disposed; create a new one with createRuntime().');
        const fresh = this.workerFor(workerKey);
        await fresh.ready();
        try {
          await fresh.call((api) => load(api, current), { long: true });
        } catch (error) {
          // WebGPU went away with the old worker (device lost, no adapter left): WASM, with a warning.
          if (current !== 'webgpu' || !(error instanceof BackendUnavailableError)) throw error;
          console.warn(`inpage: "${metricsName()}" lost WebGPU (${messageOf(error)}); it runs on WASM from now on.`);
          await fresh.call((api) => load(api, 'wasm'), { long: true });
          current = 'wasm';
          this.metrics.describeBackend(metricsName(), current);
        }
        return { client: fresh, backend: current };
      },
      async (live) => {
        this.replicas.delete(replica);
        if (!live.closed) await live.call(release);
      },
      {
        restarted: () => this.metrics.workerRestarted(metricsName()),
        retried: (requests) => this.metrics.requestsRetried(metricsName(), requests),
      },
      backend,
    );
    this.replicas.add(replica);
    return replica;
  }

  async loadReplicas(spec: TaskSpecWithoutId, workerKey: string, count: number, onProgress?: (progress: LoadProgress) => void): Promise<LoadedTask[]> {
    if (!Number.isInteger(count) || count < 1) {
      throw new InvalidOptionsError(`Expected \`replicas\` to be an integer from 1 and up, got ${String(count)}.`, {
        input: 'replicas',
        expected: 'integer ≥ 1',
        got: String(count),
      });
    }
    const keys = Array.from({ length: count }, (_, i) => (i === 0 ? workerKey : `${workerKey}#${i + 1}`));
    // Load one after another: the first load also warms the HTTP cache for the rest.
    const loaded: LoadedTask[] = [];
    try {
      // Progress is the first replica's: the others read what it cached.
      // 'auto' is resolved (and timed) once, by the first replica; the others follow it.
      for (const key of keys) {
        const first = loaded[0];
        loaded.push(
          await this.loadTask(first === undefined ? spec : { ...spec, backend: first.info.backend }, key, first === undefined ? onProgress : undefined),
        );
      }
    } catch (error) {
      await Promise.all(loaded.map((task) => task.dispose()));
      throw error;
    }
    return loaded;
  }

  createQueue<P, R>(
    name: string,
    modality: Modality,
    backend: string,
    scheduling: SchedulingOptions,
    replicas: number | ReplicaPlan,
    execute: TaskBatchExecutor<P, R>,
    pinned: Partial<BatchPolicy> = {},
  ): TaskQueue<P, R> {
    const queue = new TaskQueue(name, modality, backend, scheduling.batching ?? {}, pinned, replicas, execute, this.metrics);
    this.queues.add(queue);
    return queue;
  }

  pose(options?: PoseOptions): Promise<PoseTask> {
    return loadPose(this, options);
  }

  ocr(options?: OcrOptions): Promise<OcrTask> {
    return loadOcr(this, options);
  }

  embeddings(options?: EmbeddingOptions): Promise<EmbeddingTask> {
    return loadEmbeddings(this, options);
  }

  vad(options?: VadOptions): Promise<VadTask> {
    return loadVad(this, options);
  }

  textGeneration(options?: TextGenerationOptions): Promise<TextGenerator> {
    return loadTextGeneration(this, options);
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  get models(): readonly ModelStatus[] {
    const entries = [...this.repository.values()];
    const direct = [...this.loaded.values()].filter((model) => !entries.some((entry) => entry.owns(model)));
    return [...entries.map((entry) => entry.status), ...direct.map(loadedStatus)];
  }

  /** A plain summary for logs (no worker, cache or metrics internals). */
  toJSON(): {
    readonly disposed: boolean;
    readonly workers: readonly string[];
    readonly models: readonly ModelStatus[];
    readonly assets: EngineAssetPaths & { readonly models: string };
  } {
    return { disposed: this.isDisposed, workers: [...this.workers.keys()], models: this.models, assets: { ...this.paths, models: this.modelBase } };
  }

  private workerFor(key: string): WorkerClient {
    let client = this.workers.get(key);
    if (client === undefined || client.closed) {
      const { weights, kvPrefix } = this.cacheConfig;
      const started = this.startWorker(key);
      client = new WorkerClient(
        key,
        started.worker,
        started.url,
        this.paths,
        { weights, kvPrefix },
        (event) => this.metrics.cacheEvent(event),
        (dead) => {
          if (this.workers.get(key) === dead) this.workers.delete(key);
        },
        this.watchdogMs,
      );
      this.workers.set(key, client);
    }
    return client;
  }

  private uniqueId(wanted: string): string {
    if (!this.loaded.has(wanted)) return wanted;
    let n = 2;
    while (this.loaded.has(`${wanted}#${n}`)) n += 1;
    return `${wanted}#${n}`;
  }

  load(descriptor: ModelDescriptor): Promise<Model> {
    if (typeof descriptor === 'object' && descriptor !== null && (descriptor.idleUnloadMs ?? 0) !== 0)
      return Promise.reject(
        new InvalidOptionsError('`idleUnloadMs` is for repository models (`createRuntime({ models })` or `runtime.register`), which load again on use.', {
          input: 'idleUnloadMs',
          expected: 'a repository model',
          got: String(descriptor.idleUnloadMs),
        }),
      );
    return this.loadModel(descriptor, false);
  }

  /** The next id of a task of `kind`: `vad-1`, `vad-2` … */
  nextTaskId(kind: string): string {
    this.taskCounter += 1;
    return `${kind}-${this.taskCounter}`;
  }

  /**
   * Load a model (`runtime.load`). With `checkDefaultFiles`, a URL source that is one of the
   * built-in tasks' default files is checked against the manifest (size, SHA-256) unless the
   * descriptor gives its own hashes.
   */
  async loadModel(descriptor: ModelDescriptor, checkDefaultFiles: boolean): Promise<ManagedModel> {
    if (this.isDisposed) throw new DisposedError('This runtime was disposed; create a new one with createRuntime().');
    checkDescriptor(descriptor);
    const backend = descriptor.backend ?? 'auto';
    const { source, name } = toSource(descriptor);
    const modelId = this.uniqueId(descriptor.id ?? name);
    const defaults = checkDefaultFiles && source.kind === 'url' && descriptor.sha256 === undefined ? this.defaultFilesBeside(source.url) : undefined;
    const key = descriptor.worker ?? (descriptor.format === 'onnx' ? 'onnx' : `tfjs-graph:${backend}`);
    const request: LoadRequest = {
      modelId,
      format: descriptor.format,
      source,
      backend,
      rejectNaN: descriptor.rejectNaN ?? false,
      shapes: descriptor.shapes ?? {},
      ...(descriptor.sha256 === undefined ? {} : { sha256: descriptor.sha256 }),
      ...(descriptor.expectedBytes === undefined ? {} : { expectedBytes: descriptor.expectedBytes }),
      ...(defaults === undefined ? {} : defaults),
      cacheModel: descriptor.id ?? name,
      probe: backendProbe(descriptor, asksForBatching(descriptor)),
    };
    // One session per replica, loaded one after another (the first also fills the caches).
    const replicaPlan = resolveReplicas(descriptor.replicas);
    const count = replicaPlan.count;
    const keys = Array.from({ length: count }, (_, i) => (i === 0 ? key : `${key}#${i + 1}`));
    const loaded: { client: WorkerClient; info: ModelInfo }[] = [];
    const releaseAll = (): Promise<unknown> =>
      Promise.all(loaded.filter(({ client }) => !client.closed).map(({ client }) => client.call((api) => api.release(modelId)).catch(() => undefined)));
    let plan: BatchPlan;
    let states: ResolvedState[];
    try {
      for (const workerKey of keys) {
        const client = this.workerFor(workerKey);
        await client.ready();
        const first = loaded[0]?.info;
        const onProgress = first === undefined ? progressProxy(descriptor.onProgress) : undefined;
        // 'auto' is resolved (and timed) once, by the first replica; the others follow it.
        const replicaRequest = first === undefined ? request : { ...request, backend: first.backend };
        loaded.push({ client, info: await client.call((api) => api.load(replicaRequest, onProgress), { long: true }) });
      }
      const info = loaded[0]?.info;
      if (info === undefined) throw new Error('no replica loaded');
      // The config against the graph's signature: a bad one frees the sessions again. A model
      // that asks for no batching runs one request per engine call, whatever its graph.
      plan = asksForBatching(descriptor)
        ? resolveBatchPlan(modelId, info.inputs, info.outputs, {
            ...(descriptor.batchAxes === undefined ? {} : { batchAxes: descriptor.batchAxes }),
            ...(descriptor.ragged === undefined ? {} : { ragged: descriptor.ragged }),
            ...(descriptor.batching?.maxBatchSize === undefined ? {} : { maxBatchSize: descriptor.batching.maxBatchSize }),
          })
        : unbatchedPlan(modelId, info.inputs, info.outputs);
      states = resolveSequence(modelId, descriptor.sequence, plan, info.inputs, info.outputs);
    } catch (error) {
      await releaseAll();
      throw error;
    }
    const info = loaded[0]?.info;
    if (info === undefined) throw new Error('no replica loaded');
    // A replica whose worker dies loads again into a fresh one, on the backend it got.
    const replicas = loaded.map(({ client }, i) =>
      this.replica(
        client,
        keys[i] ?? key,
        info.backend,
        (api, backend) => api.load({ ...request, backend }),
        (api) => api.release(modelId),
        () => modelId,
      ),
    );
    // Batching is asked for (modality, batching, batchAxes or ragged) and the graph allows it;
    // otherwise one request per engine call, still through the queue.
    const pinned: Partial<BatchPolicy> = plan.batchable
      ? plan.graphMaxBatchSize === null
        ? {}
        : { maxBatchSize: Math.min(plan.graphMaxBatchSize, descriptor.batching?.maxBatchSize ?? plan.graphMaxBatchSize) }
      : { maxBatchSize: 1, preferredBatchSizes: [] };
    const queue = this.createQueue<ModelRequest, ModelAnswer>(
      modelId,
      descriptor.modality ?? 'image',
      info.backend,
      descriptor.batching === undefined ? {} : { batching: descriptor.batching },
      replicaPlan,
      modelExecutor(modelId, plan, replicas),
      pinned,
    );
    const model = createModel(info, replicas, queue, plan, () => this.loaded.delete(modelId), request.rejectNaN, states);
    this.loaded.set(modelId, model);
    return model;
  }

  async environment(): Promise<RuntimeEnvironment> {
    if (this.isDisposed) throw new DisposedError('This runtime was disposed; create a new one with createRuntime().');
    const client = this.workerFor('onnx');
    await client.ready();
    return client.call((api) => api.environment(), { long: true });
  }

  async dispose(): Promise<void> {
    if (this.isDisposed) return;
    this.isDisposed = true;
    for (const entry of this.repository.values()) entry.dispose();
    this.repository.clear();
    for (const model of this.loaded.values()) model.markDisposed();
    this.loaded.clear();
    for (const task of this.tasks.values()) task.disposed = true;
    this.tasks.clear();
    for (const queue of this.queues) queue.close();
    this.queues.clear();
    for (const replica of this.replicas) replica.close();
    this.replicas.clear();
    await Promise.all([...this.workers.values()].map((client) => client.terminate()));
    this.workers.clear();
  }
}

/**
 * Create a runtime. Workers start lazily, on the first `load()`.
 *
 * @example
 * import { createRuntime } from 'inpage';
 * const runtime = createRuntime();
 * const pose = await runtime.load({ format: 'tfjs-graph', source: '/models/movenet-lightning/movenet-lightning.json' });
 * const { 'Identity:0': keypoints } = await pose.run({ 'input:0': { dtype: 'int32', dims: [1, 192, 192, 3], data: pixels } });
 */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  installErrorTransfer();
  const runtime = new RuntimeImpl(options);
  exposeIfAsked(runtime);
  return runtime;
}
