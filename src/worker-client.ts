/**
 * The main-thread side of one session worker: a comlink proxy of {@link WorkerApi} plus
 * what comlink does not do: noticing that the worker died, failing its pending calls
 * with `WORKER_CRASHED` instead of leaving them hanging, and refusing calls after
 * termination with `DISPOSED`.
 */
import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import { DisposedError, WorkerCrashedError, type InpageError } from './errors';
import type { CacheEventSink } from './cache/events';
import type { EngineAssetPaths, WorkerApi, WorkerCacheConfig } from './protocol';

interface PendingCall {
  readonly reject: (error: InpageError) => void;
}

/** One worker and the calls in flight to it. */
export class WorkerClient {
  readonly name: string;
  private readonly worker: Worker;
  private readonly remote: Remote<WorkerApi>;
  private readonly pending = new Set<PendingCall>();
  private failure: InpageError | undefined;
  private readonly onFailure: (client: WorkerClient) => void;
  private readonly configured: Promise<void>;

  constructor(
    name: string,
    worker: Worker,
    paths: EngineAssetPaths,
    cache: WorkerCacheConfig,
    cacheEvents: CacheEventSink,
    onFailure: (client: WorkerClient) => void,
  ) {
    this.name = name;
    this.worker = worker;
    this.onFailure = onFailure;
    this.remote = wrap<WorkerApi>(worker);
    worker.addEventListener('error', (event: ErrorEvent) => {
      // Fires when the worker script fails to load or throws outside any call.
      event.preventDefault();
      const what = event.message || 'the worker script failed to load or threw at top level';
      this.fail(new WorkerCrashedError(`Worker "${name}" crashed: ${what}. Its models are gone; load them again.`, { detail: what }));
    });
    worker.addEventListener('messageerror', () => {
      this.fail(new WorkerCrashedError(`Worker "${name}" received a message it could not deserialize.`));
    });
    this.configured = this.call((api) => api.configure(paths, cache, proxy(cacheEvents)));
  }

  /** True once the worker crashed or was terminated. */
  get closed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Call the worker. Rejects with `WORKER_CRASHED` if the worker dies before answering,
   * or `DISPOSED` if it was terminated.
   */
  async call<T>(fn: (api: Remote<WorkerApi>) => Promise<T>): Promise<T> {
    if (this.failure !== undefined) throw this.failure;
    return new Promise<T>((resolve, reject) => {
      const entry: PendingCall = { reject };
      this.pending.add(entry);
      fn(this.remote)
        .then(resolve, reject)
        .finally(() => this.pending.delete(entry));
    });
  }

  /** Wait until `configure` reached the worker (surfaces a worker that fails to start). */
  ready(): Promise<void> {
    return this.configured;
  }

  /** Number of calls waiting for an answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  private fail(error: InpageError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const call of this.pending) call.reject(error);
    this.pending.clear();
    this.worker.terminate();
    this.remote[releaseProxy]();
    this.onFailure(this);
  }

  /**
   * Free every session (best effort, bounded by `graceMs`) and terminate the worker.
   * Pending calls reject with `DISPOSED`.
   */
  async terminate(graceMs = 2000): Promise<void> {
    if (this.failure !== undefined) return;
    const release = this.call((api) => api.releaseAll()).catch(() => undefined);
    await Promise.race([release, new Promise((resolve) => setTimeout(resolve, graceMs))]);
    this.fail(new DisposedError(`Worker "${this.name}" was terminated (runtime disposed).`));
  }
}
