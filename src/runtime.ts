/**
 * The runtime: owns the session workers, loads models into them, and hands back
 * {@link Model} handles. It knows nothing of ONNX Runtime or TF.js internals; it speaks
 * only the worker contract in `protocol.ts`.
 */
import { proxy } from 'comlink';
import { declaredAssetBase } from './asset-base';
import { startDefaultWorker, type StartedWorker } from './default-worker';
import { DisposedError, InvalidOptionsError, messageOf } from './errors';
import { createModel, type ManagedModel, type Model } from './model';
import { loadEmbeddings, type EmbeddingOptions, type EmbeddingTask } from './tasks/embeddings';
import { loadTextGeneration, type TextGenerationOptions, type TextGenerator } from './tasks/generation';
import type { LoadedTask, TaskLoader, TaskSpecWithoutId } from './tasks/loaded-task';
import { MetricsRegistry, type MetricsOptions } from './metrics/registry';
import type { MetricsSnapshot } from './metrics/types';
import type { BatchPolicy, Modality } from './scheduler/policy';
import { TaskQueue, type SchedulingOptions, type TaskBatchExecutor } from './tasks/task-queue';
import { loadOcr, type OcrOptions, type OcrTask } from './tasks/ocr';
import { loadPose, type PoseOptions, type PoseTask } from './tasks/pose';
import { loadVad, type VadOptions, type VadTask } from './tasks/vad';
import { defaultFileExpectations } from './tasks/default-files';
import type {
  BackendPreference,
  Dim,
  EngineAssetPaths,
  ExpectedBytes,
  ExpectedSha256,
  FileExpectation,
  LoadProgress,
  LoadRequest,
  ModelFormat,
  ModelSource,
  TaskSpec,
  TfjsGraphArtifacts,
  WorkerEnvironment,
} from './protocol';
import { resolveCacheConfig, type CacheConfig, type CacheOptions } from './cache/config';
import { IndexedDbRuntimeCache, type RuntimeCache } from './cache/runtime-cache';
import { installErrorTransfer } from './wire-errors';
import { WorkerClient } from './worker-client';

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
   * WASM threads per ONNX Runtime worker (needs a cross-origin-isolated page).
   * @default 0 (ONNX Runtime picks: half the cores, at most 4)
   */
  readonly ortNumThreads?: number;
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
}

/** Describes a model to load. */
export interface ModelDescriptor {
  /** `'onnx'` for ONNX Runtime Web, `'tfjs-graph'` for a TF.js graph model (`model.json`). */
  readonly format: ModelFormat;
  /** A URL (relative URLs resolve against the page), ONNX bytes, or TF.js artifacts in memory. */
  readonly source: string | URL | ArrayBuffer | Uint8Array | TfjsGraphArtifacts;
  /** Where to run: `'webgpu'`, `'wasm'`, `'cpu'` (TF.js only) or `'auto'`. @default 'auto' */
  readonly backend?: BackendPreference;
  /** The model's id in metrics and errors. @default the file name of the URL, else the format */
  readonly id?: string;
  /**
   * Worker to host the model; models with the same key share a worker.
   * @default `'onnx'` for ONNX models; `'tfjs-graph:<backend>'` for TF.js (one TF.js backend per worker)
   */
  readonly worker?: string;
  /** Reject float inputs containing NaN before running. @default false */
  readonly rejectNaN?: boolean;
  /**
   * Tighten input shapes the graph leaves free, by input name. Named dimensions must
   * agree across inputs. @default {} (the graph's own declaration)
   * @example { input: ['batch', 576], state: [2, 'batch', 128] } // Silero VAD v5
   */
  readonly shapes?: Readonly<Record<string, readonly Dim[]>>;
  /**
   * Expected SHA-256 (hex) of a URL source, checked on download: a mismatch rejects with
   * `INTEGRITY_ERROR` and nothing is cached. A string is the source file's hash (the ONNX
   * file, or `model.json`); for a TF.js graph a map by file name (`{ 'model.json': …,
   * 'group1-shard1of1.bin': … }`) covers the shards too.
   */
  readonly sha256?: ExpectedSha256;
  /**
   * Expected size in bytes of a URL source (or a map by file name, like `sha256`), checked
   * before the body is read when the server announces it, and after: a mismatch rejects with
   * `INTEGRITY_ERROR` and nothing is cached.
   */
  readonly expectedBytes?: ExpectedBytes;
  /** Download progress of a URL source, per file and overall (bytes). */
  readonly onProgress?: (progress: LoadProgress) => void;
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
  /** What the session workers see: WebGPU adapter, cross-origin isolation, cores. */
  environment(): Promise<RuntimeEnvironment>;
  /** Live latency metrics of the tasks. */
  readonly metrics: RuntimeMetrics;
  /** What the caches hold in IndexedDB: usage, listing, per-store clear, per-model delete, `persist()`. */
  readonly cache: RuntimeCache;
  /** Models currently loaded. */
  readonly models: readonly Model[];
  /** Free every session and terminate every worker. Later calls fail with `DISPOSED`. */
  dispose(): Promise<void>;
  /** True after {@link Runtime.dispose}. */
  readonly disposed: boolean;
}

const backends: readonly BackendPreference[] = ['webgpu', 'wasm', 'cpu', 'auto'];

interface TaskHandleState {
  disposed: boolean;
}
const formats: readonly ModelFormat[] = ['onnx', 'tfjs-graph'];

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

function pageBase(): string {
  return typeof document !== 'undefined' ? document.baseURI : globalThis.location.href;
}

function toSource(descriptor: ModelDescriptor): { source: ModelSource; name: string } {
  const { source } = descriptor;
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source, pageBase()).href;
    const file = new URL(url).pathname.split('/').filter(Boolean).pop() ?? descriptor.format;
    return { source: { kind: 'url', url }, name: file.replace(/\.(onnx|json)$/, '') };
  }
  if (source instanceof ArrayBuffer) return { source: { kind: 'bytes', bytes: source.slice(0) }, name: descriptor.format };
  if (source instanceof Uint8Array) return { source: { kind: 'bytes', bytes: source.slice().buffer }, name: descriptor.format };
  if (typeof source === 'object' && source !== null && 'modelJson' in source && 'weights' in source) {
    return { source: { kind: 'tfjs-artifacts', artifacts: source }, name: descriptor.format };
  }
  throw new InvalidOptionsError('Model source must be a URL, an ArrayBuffer/Uint8Array of ONNX bytes, or { modelJson, weights } for TF.js.', {
    input: 'source',
    expected: 'string | URL | ArrayBuffer | Uint8Array | TfjsGraphArtifacts',
    got: typeof source,
  });
}

function checkDescriptor(descriptor: ModelDescriptor): void {
  if (typeof descriptor !== 'object' || descriptor === null) {
    throw new InvalidOptionsError('load() needs a model descriptor object: { format, source, backend? }.', { expected: 'object', got: String(descriptor) });
  }
  if (!formats.includes(descriptor.format)) {
    throw new InvalidOptionsError(`Unknown model format "${String(descriptor.format)}".`, {
      input: 'format',
      expected: formats.join(' | '),
      got: String(descriptor.format),
    });
  }
  checkBackend(descriptor.backend ?? 'auto');
  checkSha256(descriptor.sha256);
  checkExpectedBytes(descriptor.expectedBytes);
  if (descriptor.onProgress !== undefined && typeof descriptor.onProgress !== 'function')
    throw new InvalidOptionsError('`onProgress` must be a function.', { input: 'onProgress', expected: 'function', got: typeof descriptor.onProgress });
}

/** Throw `INVALID_OPTIONS` unless every expected hash is 64 hex digits. */
function checkSha256(expected: ExpectedSha256 | undefined): void {
  if (expected === undefined) return;
  const hashes = typeof expected === 'string' ? [expected] : typeof expected === 'object' && expected !== null ? Object.values(expected) : [expected];
  for (const hash of hashes)
    if (typeof hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hash))
      throw new InvalidOptionsError(`Expected \`sha256\` to be 64 hex digits (or a map of them by file name), got ${String(hash)}.`, {
        input: 'sha256',
        expected: '64 hex digits',
        got: String(hash),
      });
}

/** Throw `INVALID_OPTIONS` unless every expected size is an integer ≥ 0. */
function checkExpectedBytes(expected: ExpectedBytes | undefined): void {
  if (expected === undefined) return;
  const sizes = typeof expected === 'object' && expected !== null ? Object.values(expected) : [expected];
  for (const size of sizes)
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
      throw new InvalidOptionsError(`Expected \`expectedBytes\` to be an integer ≥ 0 (or a map of them by file name), got ${String(size)}.`, {
        input: 'expectedBytes',
        expected: 'integer ≥ 0',
        got: String(size),
      });
}

/** A comlink proxy of a progress callback, or undefined. */
function progressProxy(onProgress: ((progress: LoadProgress) => void) | undefined): ((progress: LoadProgress) => void) | undefined {
  return onProgress === undefined ? undefined : proxy(onProgress);
}

/** Throw `INVALID_OPTIONS` unless `backend` is one of {@link backends} (callers may pass anything at run time). */
function checkBackend(backend: BackendPreference): void {
  if (!backends.includes(backend)) {
    throw new InvalidOptionsError(`Unknown backend "${String(backend)}".`, { input: 'backend', expected: backends.join(' | '), got: String(backend) });
  }
}

class RuntimeImpl implements Runtime, TaskLoader {
  private readonly workers = new Map<string, WorkerClient>();
  private readonly loaded = new Map<string, ManagedModel>();
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
    const threads = options.ortNumThreads ?? 0;
    if (!Number.isInteger(threads) || threads < 0) {
      throw new InvalidOptionsError(`Expected \`ortNumThreads\` to be an integer ≥ 0, got ${String(threads)}.`, {
        input: 'ortNumThreads',
        expected: 'integer ≥ 0',
        got: String(threads),
      });
    }
    const base = prefix(options.assetBaseUrl ?? declaredAssetBase(), pageBase(), 'assetBaseUrl');
    this.paths = {
      ortWasmPrefix: prefix(options.ortWasmPrefix ?? 'ort/', base, 'ortWasmPrefix'),
      tfjsWasmPrefix: prefix(options.tfjsWasmPrefix ?? 'tfjs/', base, 'tfjsWasmPrefix'),
      ortNumThreads: threads,
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
  }

  modelUrl(file: string): string {
    return new URL(file, this.modelBase).href;
  }

  resolveUrl(url: string | URL): string {
    return new URL(url, pageBase()).href;
  }

  async loadTask(spec: TaskSpecWithoutId, workerKey: string, onProgress?: (progress: LoadProgress) => void): Promise<LoadedTask> {
    if (this.isDisposed) throw new DisposedError('This runtime was disposed; create a new one with createRuntime().');
    checkBackend(spec.backend);
    this.taskCounter += 1;
    const taskId = `${spec.kind}-${this.taskCounter}`;
    const client = this.workerFor(workerKey);
    await client.ready();
    const full: TaskSpec = { ...spec, taskId, ...(this.expectedFiles === undefined ? {} : { expected: this.expectedFiles }) };
    const info = await client.call((api) => api.loadTask(full, progressProxy(onProgress)));
    const state: TaskHandleState = { disposed: false };
    this.tasks.set(taskId, state);
    const release = async (): Promise<void> => {
      if (state.disposed) return;
      state.disposed = true;
      this.tasks.delete(taskId);
      if (!client.closed) await client.call((api) => api.releaseTask(taskId));
    };
    return {
      info,
      get disposed() {
        return state.disposed;
      },
      call: (fn) => {
        if (state.disposed) return Promise.reject(new DisposedError(`Task "${taskId}" was disposed; load it again.`, { model: taskId }));
        return client.call(fn);
      },
      dispose: release,
    };
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
      for (const key of keys) loaded.push(await this.loadTask(spec, key, loaded.length === 0 ? onProgress : undefined));
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
    replicas: number,
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

  get models(): readonly Model[] {
    return [...this.loaded.values()];
  }

  /** A plain summary for logs (no worker, cache or metrics internals). */
  toJSON(): {
    readonly disposed: boolean;
    readonly workers: readonly string[];
    readonly models: readonly Model[];
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

  async load(descriptor: ModelDescriptor): Promise<Model> {
    if (this.isDisposed) throw new DisposedError('This runtime was disposed; create a new one with createRuntime().');
    checkDescriptor(descriptor);
    const backend = descriptor.backend ?? 'auto';
    const { source, name } = toSource(descriptor);
    const modelId = this.uniqueId(descriptor.id ?? name);
    const key = descriptor.worker ?? (descriptor.format === 'onnx' ? 'onnx' : `tfjs-graph:${backend}`);
    const client = this.workerFor(key);
    const request: LoadRequest = {
      modelId,
      format: descriptor.format,
      source,
      backend,
      rejectNaN: descriptor.rejectNaN ?? false,
      shapes: descriptor.shapes ?? {},
      ...(descriptor.sha256 === undefined ? {} : { sha256: descriptor.sha256 }),
      ...(descriptor.expectedBytes === undefined ? {} : { expectedBytes: descriptor.expectedBytes }),
      cacheModel: descriptor.id ?? name,
    };
    await client.ready();
    const info = await client.call((api) => api.load(request, progressProxy(descriptor.onProgress)));
    const model = createModel(info, client, () => this.loaded.delete(modelId), request.rejectNaN);
    this.loaded.set(modelId, model);
    return model;
  }

  async environment(): Promise<RuntimeEnvironment> {
    if (this.isDisposed) throw new DisposedError('This runtime was disposed; create a new one with createRuntime().');
    const client = this.workerFor('onnx');
    await client.ready();
    return client.call((api) => api.environment());
  }

  async dispose(): Promise<void> {
    if (this.isDisposed) return;
    this.isDisposed = true;
    for (const model of this.loaded.values()) model.markDisposed();
    this.loaded.clear();
    for (const task of this.tasks.values()) task.disposed = true;
    this.tasks.clear();
    for (const queue of this.queues) queue.close();
    this.queues.clear();
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
  return new RuntimeImpl(options);
}
