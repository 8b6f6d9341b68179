/**
 * The model repository (Triton's model repository, in the page): models declared by name
 * (`createRuntime({ models })` or `runtime.register`) load on first use, unload after
 * `idleUnloadMs` without calls, and load again transparently on the next call. The handle
 * a caller holds ({@link RepositoryModel}) outlives every load; its metrics stay under its
 * name across loads.
 */
import { checkCallOptions } from './scheduler/call-options';
import { resolveReplicas } from './scheduler/replicas';
import { DisposedError, InpageError, messageOf } from './errors';
import type { DetailedRunResult, ManagedModel, Model, RunOptions } from './model';
import type { ModelDescriptor } from './model-descriptor';
import { ModelSession, type SessionOptions } from './model-session';
import type { Backend, TensorMap } from './protocol';

/** Where a model stands. */
export type ModelState = 'unloaded' | 'loading' | 'loaded' | 'failed' | 'disposed';

/** One model as `runtime.models` reports it. */
export interface ModelStatus {
  /** The model's id (its name in the repository, and in metrics). */
  readonly id: string;
  readonly state: ModelState;
  /** True for a repository model (loads on use, may unload when idle); false for `runtime.load` and the tasks' models. */
  readonly registered: boolean;
  /** The backend of the current (or last) load; `null` before the first. */
  readonly backend: Backend | null;
  /** Workers serving the model (each holds a copy of the weights). */
  readonly replicas: number;
  /** Weight bytes held in the workers now: the model file's size × replicas (0 while unloaded). */
  readonly memoryBytes: number;
  /** Loads so far (a reload after an idle unload counts). */
  readonly loads: number;
  /** Unload after this long without calls, ms; 0: never. */
  readonly idleUnloadMs: number;
  /** Milliseconds since the last call ended; `null` before the first call or while calls run. */
  readonly idleMs: number | null;
  /** Why the last load failed (state `'failed'`; the next call tries again). */
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * A repository model's handle: `run`, `runDetailed` and `session` load the model when it is
 * not loaded (and wait for that load), so callers never see an unload.
 *
 * @example
 * const runtime = createRuntime({ models: { vad: { format: 'onnx', source: '/models/silero_vad_v5.onnx', modality: 'audio', idleUnloadMs: 60_000 } } });
 * const vad = runtime.model('vad'); // nothing loads yet
 * const out = await vad.run(inputs); // loads, then runs
 */
export interface RepositoryModel {
  readonly id: string;
  /** Where the model stands now. */
  readonly status: ModelStatus;
  /** The loaded model, while it is loaded. */
  readonly current: Model | undefined;
  /** Load now if not loaded (e.g. to warm up); resolves with the loaded model. */
  load(): Promise<Model>;
  /** Run through the model's queue, loading it first if needed. */
  run(inputs: TensorMap, options?: RunOptions): Promise<TensorMap>;
  /** Like {@link RepositoryModel.run}, with stage timings. */
  runDetailed(inputs: TensorMap, options?: RunOptions): Promise<DetailedRunResult>;
  /** A stateful stream (the descriptor's `sequence`) that survives unloads: its state lives with the session. */
  session(options?: SessionOptions): ModelSession;
  /** Free the sessions now (the next call loads again). Waits for calls in flight. */
  unload(): Promise<void>;
  /** The status, for logs and `JSON.stringify(handle)`. */
  toJSON(): ModelStatus;
}

/** How the repository loads a model (the runtime's `load` path). */
export type RepositoryLoader = (descriptor: ModelDescriptor) => Promise<ManagedModel>;

/** One repository entry: its descriptor, the current load, the idle timer. */
export class RepositoryEntry implements RepositoryModel {
  readonly id: string;
  readonly #descriptor: ModelDescriptor;
  readonly #loader: RepositoryLoader;
  #model: ManagedModel | undefined;
  #loading: Promise<ManagedModel> | undefined;
  #failure: InpageError | Error | undefined;
  #loads = 0;
  #inFlight = 0;
  #lastUsed: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #disposed = false;
  #idleWaiters: (() => void)[] = [];
  // What the last load reported, for `status` while unloaded.
  #backend: Backend | null = null;
  #weightBytes = 0;

  constructor(id: string, descriptor: ModelDescriptor, loader: RepositoryLoader) {
    this.id = id;
    this.#descriptor = descriptor;
    this.#loader = loader;
  }

  /** The model this entry has loaded now (for the runtime's listing). */
  owns(model: Model): boolean {
    return this.#model === model;
  }

  get current(): Model | undefined {
    return this.#model;
  }

  get status(): ModelStatus {
    const state: ModelState = this.#disposed
      ? 'disposed'
      : this.#loading !== undefined
        ? 'loading'
        : this.#model !== undefined
          ? 'loaded'
          : this.#failure !== undefined
            ? 'failed'
            : 'unloaded';
    const replicas = this.#model?.replicas ?? resolveReplicas(this.#descriptor.replicas).count;
    const failure = this.#failure;
    return {
      id: this.id,
      state,
      registered: true,
      backend: this.#backend,
      replicas,
      memoryBytes: this.#model === undefined ? 0 : this.#weightBytes * replicas,
      loads: this.#loads,
      idleUnloadMs: this.#descriptor.idleUnloadMs ?? 0,
      idleMs: this.#inFlight > 0 || this.#lastUsed === undefined ? null : performance.now() - this.#lastUsed,
      ...(failure === undefined ? {} : { error: { code: failure instanceof InpageError ? failure.code : 'UNKNOWN', message: messageOf(failure) } }),
    };
  }

  toJSON(): ModelStatus {
    return this.status;
  }

  load(): Promise<Model> {
    return this.ensure();
  }

  private ensure(): Promise<ManagedModel> {
    if (this.#disposed) return Promise.reject(new DisposedError(`Model "${this.id}" was disposed with its runtime.`, { model: this.id }));
    if (this.#model !== undefined && !this.#model.disposed) return Promise.resolve(this.#model);
    this.#loading ??= this.#loader({ ...this.#descriptor, id: this.id }).then(
      (model) => {
        this.#loading = undefined;
        this.#failure = undefined;
        this.#loads += 1;
        this.#backend = model.backend;
        this.#weightBytes = model.weightBytes;
        if (this.#disposed) {
          void model.dispose();
          throw new DisposedError(`Model "${this.id}" was disposed with its runtime.`, { model: this.id });
        }
        this.#model = model;
        this.armIdle();
        return model;
      },
      (error: unknown) => {
        this.#loading = undefined;
        this.#failure = error instanceof Error ? error : new Error(String(error));
        throw error;
      },
    );
    return this.#loading;
  }

  async run(inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    return (await this.runDetailed(inputs, options)).outputs;
  }

  async runDetailed(inputs: TensorMap, options?: RunOptions): Promise<DetailedRunResult> {
    // A malformed call loads nothing.
    checkCallOptions(this.id, options);
    // Counted before the load, so the idle timer never unloads under a waiting call.
    this.#inFlight += 1;
    this.disarmIdle();
    try {
      const model = await this.ensure();
      return await model.runDetailed(inputs, options);
    } finally {
      this.#inFlight -= 1;
      this.#lastUsed = performance.now();
      if (this.#inFlight === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
      this.armIdle();
    }
  }

  session(options?: SessionOptions): ModelSession {
    if (this.#disposed) throw new DisposedError(`Model "${this.id}" was disposed with its runtime.`, { model: this.id });
    // The pairs come from the graph: known after the first load (the session's first call waits for it).
    return new ModelSession(this, async () => (await this.ensure()).sequenceStates, options);
  }

  async unload(): Promise<void> {
    while (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    this.disarmIdle();
    const model = this.#model;
    this.#model = undefined;
    if (model !== undefined) await model.dispose();
  }

  /** The runtime is going away: no more loads; the model itself is disposed with the runtime. */
  dispose(): void {
    this.#disposed = true;
    this.disarmIdle();
    this.#model?.markDisposed();
    this.#model = undefined;
  }

  private disarmIdle(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  private armIdle(): void {
    const idle = this.#descriptor.idleUnloadMs ?? 0;
    if (idle <= 0 || this.#inFlight > 0 || this.#model === undefined || this.#disposed) return;
    this.disarmIdle();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#inFlight === 0) void this.unload().catch(() => undefined);
    }, idle);
  }
}
