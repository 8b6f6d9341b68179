/**
 * The main-thread side of one session worker: a comlink proxy of {@link WorkerApi} plus
 * what comlink does not do: noticing that the worker died — crashed (an `error` event) or
 * stopped silently (closed itself, terminated by someone else: its life lock, see
 * `worker-liveness.ts`) — failing its pending calls with `WORKER_CRASHED` instead of
 * leaving them hanging, and refusing calls after termination with `DISPOSED`.
 */
import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import { DisposedError, messageOf, WorkerCrashedError, type InpageError } from './errors';
import type { CacheEventSink } from './cache/events';
import type { EngineAssetPaths, WorkerApi, WorkerCacheConfig } from './protocol';
import { lifeLockName, whenGone } from './worker-liveness';

interface PendingCall {
  readonly reject: (error: InpageError) => void;
  /** A load (module compile, session build, timing): may block its worker for long; the watchdog waits it out. */
  readonly long: boolean;
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
  private started = false;
  /** When the worker last answered anything (a call or a ping), or when it last became busy. */
  private lastSign = 0;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private pinging = false;

  /**
   * @param scriptUrl the worker script's URL when inpage started the worker itself: a
   *   worker that fails to start is then diagnosed by fetching it (404, HTML fallback …).
   */
  constructor(
    name: string,
    worker: Worker,
    scriptUrl: string | undefined,
    paths: EngineAssetPaths,
    cache: WorkerCacheConfig,
    cacheEvents: CacheEventSink,
    onFailure: (client: WorkerClient) => void,
    private readonly watchdogMs = 0,
  ) {
    this.name = name;
    this.worker = worker;
    this.onFailure = onFailure;
    this.remote = wrap<WorkerApi>(worker);
    worker.addEventListener('error', (event: ErrorEvent) => {
      // Fires when the worker script fails to load or throws outside any call.
      event.preventDefault();
      const what = event.message || 'the worker script failed to load or threw at top level';
      if (this.started) {
        this.fail(new WorkerCrashedError(`Worker "${name}" crashed: ${what}. Its models are gone; load them again.`, { detail: what }));
        return;
      }
      // It never answered: most likely its script is not served. Say which URL and what to do.
      void describeStartFailure(name, scriptUrl, event.message).then((error) => this.fail(error));
    });
    worker.addEventListener('messageerror', () => {
      this.fail(new WorkerCrashedError(`Worker "${name}" received a message it could not deserialize.`));
    });
    const lifeLock = lifeLockName();
    this.configured = this.call((api) => api.configure(paths, cache, proxy(cacheEvents), lifeLock), { long: true }).then((watched) => {
      this.started = true;
      // The worker holds its life lock now: the lock comes free only when the worker is gone.
      if (watched)
        whenGone(lifeLock, () => {
          const inFlight = this.pending.size;
          this.fail(
            new WorkerCrashedError(
              `Worker "${name}" stopped without an error (it closed itself, was terminated, or its context ended) with ${inFlight} call${inFlight === 1 ? '' : 's'} in flight. Its models are gone; load them again.`,
              { detail: 'the worker ended silently' },
            ),
          );
        });
    });
  }

  /** True once the worker crashed or was terminated. */
  get closed(): boolean {
    return this.failure !== undefined;
  }

  /** True once the worker died (crashed, ended silently, stuck): not when it was terminated on purpose. */
  get crashed(): boolean {
    return this.failure instanceof WorkerCrashedError;
  }

  /**
   * Call the worker. Rejects with `WORKER_CRASHED` if the worker dies before answering
   * (or, unless `long`, stops answering for the watchdog's bound), or `DISPOSED` if it was
   * terminated. `long`: a load that may block the worker for a while.
   */
  async call<T>(fn: (api: Remote<WorkerApi>) => Promise<T>, { long = false }: { readonly long?: boolean } = {}): Promise<T> {
    if (this.failure !== undefined) throw this.failure;
    return new Promise<T>((resolve, reject) => {
      const entry: PendingCall = { reject, long };
      if (this.pending.size === 0) this.lastSign = performance.now(); // busy from now on
      this.pending.add(entry);
      this.watch();
      fn(this.remote)
        .then(resolve, reject)
        .finally(() => {
          this.lastSign = performance.now();
          this.pending.delete(entry);
        });
    });
  }

  /**
   * While calls are in flight, ping the worker every quarter of `watchdogMs`; when it has
   * answered nothing for `watchdogMs` (a busy loop, a deadlock: alive but stuck), it is
   * terminated and its calls fail with `WORKER_CRASHED`. Idle workers are not pinged.
   */
  private watch(): void {
    if (this.watchdogMs <= 0 || this.watchdog !== undefined) return;
    this.watchdog = setInterval(
      () => {
        if (this.pending.size === 0 || this.failure !== undefined) {
          clearInterval(this.watchdog);
          this.watchdog = undefined;
          return;
        }
        // A load in flight may block the worker legitimately (compiling, building a session).
        if ([...this.pending].some((call) => call.long)) this.lastSign = performance.now();
        const silentMs = performance.now() - this.lastSign;
        if (silentMs > this.watchdogMs) {
          const inFlight = this.pending.size;
          this.fail(
            new WorkerCrashedError(
              `Worker "${this.name}" answered nothing for ${Math.round(silentMs)} ms with ${inFlight} call${inFlight === 1 ? '' : 's'} in flight (workerWatchdogMs is ${this.watchdogMs}): it is stuck, so it was terminated. Its models are gone; load them again.`,
              { detail: 'unresponsive worker', expected: `an answer within ${this.watchdogMs} ms`, got: `none for ${Math.round(silentMs)} ms` },
            ),
          );
          return;
        }
        if (this.pinging) return;
        this.pinging = true;
        this.remote.ping().then(
          () => {
            this.pinging = false;
            this.lastSign = performance.now();
          },
          () => {
            this.pinging = false;
          },
        );
      },
      Math.max(50, this.watchdogMs / 4),
    );
  }

  /** Wait until `configure` reached the worker (surfaces a worker that fails to start). */
  ready(): Promise<void> {
    return this.configured;
  }

  /** Number of calls waiting for an answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Give the worker up (it reported itself unusable, e.g. its WebGPU device was lost): terminated, its calls fail with `error`. */
  abandon(error: InpageError): void {
    this.fail(error);
  }

  private fail(error: InpageError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    this.watchdog = undefined;
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
    const release = this.call((api) => api.releaseAll(), { long: true }).catch(() => undefined);
    await Promise.race([release, new Promise((resolve) => setTimeout(resolve, graceMs))]);
    this.fail(new DisposedError(`Worker "${this.name}" was terminated (runtime disposed).`));
  }
}

const createWorkerHint =
  'Your bundler must copy it as an asset (Vite and webpack 5 do), or start the worker yourself: ' +
  "createRuntime({ createWorker: (name) => new Worker(urlOfACopyOf('inpage/dist/worker.js'), { type: 'module', name }) }).";

/** Why a worker that never answered did not start: fetch its script and say what came back. */
async function describeStartFailure(name: string, scriptUrl: string | undefined, message: string): Promise<WorkerCrashedError> {
  const detail = message || 'no message (the script could not be loaded or evaluated)';
  if (scriptUrl === undefined)
    return new WorkerCrashedError(
      `Worker "${name}" (from your createWorker) failed to start: ${detail}. Check the URL you gave it and its Content-Type (JavaScript).`,
      {
        detail,
      },
    );
  let found: string;
  try {
    const response = await fetch(scriptUrl, { method: 'HEAD', cache: 'no-store' });
    const type = response.headers.get('Content-Type') ?? 'no Content-Type';
    if (!response.ok) found = `${scriptUrl} answered HTTP ${response.status}`;
    else if (type.includes('text/html')) found = `${scriptUrl} answered with an HTML page (${type}), not the worker script`;
    else found = `${scriptUrl} loaded (${type}) but the worker did not start: ${detail}`;
  } catch (error) {
    found = `${scriptUrl} could not be fetched (${messageOf(error)})`;
  }
  return new WorkerCrashedError(`inpage's worker "${name}" could not start: ${found}. ${createWorkerHint}`, { input: scriptUrl, detail });
}
