/**
 * One replica of a model or task: the worker it lives in, and how to bring it back.
 *
 * Inference is idempotent, so a call that fails because its worker died (`WORKER_CRASHED`:
 * a crash, a silent end, a watchdog kill) is not the caller's problem yet. The replica
 * starts a fresh worker under the same key, loads its model there again (the weights come
 * from the IndexedDB cache, not the network) and sends the call once more. Only a call
 * that fails on the fresh worker too reaches the caller as `WORKER_CRASHED`. Calls that
 * arrive while the replica heals wait for it; the handle never needs a reload by the app.
 *
 * One heal serves every call that saw the same dead worker: 64 calls in flight when a
 * worker dies cause one restart and 64 retries, not 64 restarts.
 */
import type { Remote } from 'comlink';
import { messageOf, WorkerCrashedError } from './errors';
import type { Backend, WorkerApi } from './protocol';
import type { WorkerClient } from './worker-client';

/** What a replica reports (the owner's metrics). */
export interface ReplicaEvents {
  /** The replica's model was loaded again into a fresh worker. */
  restarted(): void;
  /** `requests` requests were sent again after their worker died. */
  retried(requests: number): void;
}

/** A replica loaded again: its fresh worker, and the backend the model got there (when it changed: WebGPU gone, WASM instead). */
export interface Revived {
  readonly client: WorkerClient;
  readonly backend: Backend;
}

/** How one call goes through a replica. */
export interface ReplicaCallOptions {
  /** A load or another call that may block the worker for long (the watchdog waits it out). */
  readonly long?: boolean;
  /**
   * Send the call again on a fresh worker when its worker dies. Off for calls that need
   * state only the dead worker had (a generation's next step).
   * @default true
   */
  readonly retry?: boolean;
  /** Requests the call carries (what the retry metrics count). @default 1 */
  readonly requests?: number;
}

/** One replica: its live worker, healed on death. */
export class Replica {
  #client: WorkerClient;
  #healing: Promise<WorkerClient> | undefined;
  #closed = false;
  #backend: Backend | undefined;

  /**
   * @param client the worker the replica was loaded into
   * @param revive start a fresh worker under the replica's key and load the replica's model into it
   * @param release free the replica's model in `client` (on dispose)
   * @param backend the backend the model runs on in `client`
   */
  constructor(
    client: WorkerClient,
    private readonly revive: () => Promise<WorkerClient | Revived>,
    private readonly release: (client: WorkerClient) => Promise<unknown>,
    private readonly events: ReplicaEvents,
    backend?: Backend,
  ) {
    this.#client = client;
    this.#backend = backend;
  }

  /** The backend the replica's model runs on now (a heal may have moved it from WebGPU to WASM). */
  get backend(): Backend | undefined {
    return this.#backend;
  }

  /** The worker the replica lives in now. */
  get client(): WorkerClient {
    return this.#client;
  }

  /**
   * Call the replica's worker. If the worker dies before answering, heal and send the call
   * once more (unless `retry: false`); `fn` runs again, so it must build its message anew
   * (no buffer it transferred the first time is usable again).
   */
  async call<T>(fn: (api: Remote<WorkerApi>) => Promise<T>, options: ReplicaCallOptions = {}): Promise<T> {
    const long = options.long ?? false;
    const client = await this.current();
    try {
      return await client.call(fn, { long });
    } catch (error) {
      if (!(error instanceof WorkerCrashedError)) throw error;
      // The worker said so itself (its WebGPU device was lost): give it up, the page side notices nothing else.
      if (!client.closed) client.abandon(error);
      if (options.retry === false || this.#closed) throw error;
      let fresh: WorkerClient;
      try {
        fresh = await this.heal(client);
      } catch (healError) {
        throw new WorkerCrashedError(`${error.message} Loading it again on a fresh worker failed too: ${messageOf(healError)}`, {
          ...error.fields(),
          detail: messageOf(healError),
        });
      }
      this.events.retried(options.requests ?? 1);
      return await fresh.call(fn, { long });
    }
  }

  /** The live worker: waits for a heal in progress; heals a worker found dead (a death with no call in flight). */
  private async current(): Promise<WorkerClient> {
    if (this.#healing !== undefined) return this.#healing;
    if (!this.#closed && this.#client.closed && this.#client.crashed) {
      try {
        return await this.heal(this.#client);
      } catch {
        return this.#client; // its call throws the worker's own WORKER_CRASHED
      }
    }
    return this.#client;
  }

  /** A fresh worker with the model loaded, replacing `dead` (one heal per dead worker, shared). */
  private heal(dead: WorkerClient): Promise<WorkerClient> {
    if (this.#healing !== undefined) return this.#healing;
    if (this.#client !== dead && !this.#client.closed) return Promise.resolve(this.#client);
    const healing = (async () => {
      const revived = await this.revive();
      const fresh = 'client' in revived ? revived.client : revived;
      if ('client' in revived) this.#backend = revived.backend;
      if (this.#closed) {
        // Disposed while healing: free what was just loaded.
        await this.release(fresh).catch(() => undefined);
        throw new WorkerCrashedError('The model was disposed while its worker restarted.');
      }
      this.#client = fresh;
      this.events.restarted();
      return fresh;
    })();
    this.#healing = healing;
    void healing.then(
      () => {
        if (this.#healing === healing) this.#healing = undefined;
      },
      () => {
        if (this.#healing === healing) this.#healing = undefined;
      },
    );
    return healing;
  }

  /** No more heals (the model was disposed); free the model in its live worker. */
  async dispose(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.#client;
    if (!client.closed) await this.release(client);
  }

  /** No more heals (the runtime is disposing and terminates the workers itself). */
  close(): void {
    this.#closed = true;
  }
}
