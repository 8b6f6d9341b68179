/**
 * The dynamic batcher for one model: requests queue here (priority + aging), and go out
 * as one engine call per batch when a replica has a free slot and either the batch is
 * full (the target size), the oldest request has waited `maxQueueDelayMs`, or nothing is
 * running (a lone request on an idle model never sits out the delay). New requests are
 * looked at a few microtasks after they arrive, not at once: requests made in the same
 * task (a `Promise.all` over inputs, or closed-loop callers all answered by one batch,
 * which come back together) share one engine call instead of going out as 1 and the
 * rest. Deadlines,
 * cancellation, superseding and a bounded queue act while requests wait; a running
 * batch always finishes for its members that are still interested.
 */
import type { InpageError } from '../errors';
import { AbortedError, DeadlineExceededError, DisposedError, InvalidOptionsError, QueueFullError, SupersededError, type InpageErrorCode } from '../errors';
import { checkCallOptions } from './call-options';
import { BatchSizer } from './batch-sizer';
import { priorityRank, type BatchPolicy, type Priority } from './policy';
import { RequestQueue, type QueuedItem } from './request-queue';
import { Router, type ReplicaState } from './router';
import type { ReplicaPlan } from './replicas';
import { yieldToUrgentWork } from './yield';

/**
 * Microtask hops between a request's arrival and the batcher's look at the queue: requests
 * made up to this many `await`s after the first, in the same task, join its batch.
 */
const gatherMicrotasks = 4;

/** Per-request scheduling options. */
export interface ScheduleOptions {
  /** @default the model's `defaultPriority` */
  readonly priority?: Priority;
  /** Reject with `DEADLINE_EXCEEDED` if still queued after this long, ms. @default the model's `defaultTimeoutMs` */
  readonly timeoutMs?: number;
  /** Abort: a queued request is removed at once (`ABORTED`). */
  readonly signal?: AbortSignal;
  /** A newer request with the same key replaces this one while it is queued (`SUPERSEDED`). */
  readonly supersedeKey?: string;
  /** Requests with the same key go to the same replica. */
  readonly stickyKey?: string;
  /**
   * Only requests with the same key share a batch (same non-batch shapes, equal unbatched
   * inputs: what can be stacked into one engine call). @default one group for all
   */
  readonly batchKey?: string;
}

/** A request's answer plus how it was scheduled. */
export interface Scheduled<R> {
  readonly value: R;
  /** Time spent queued, ms. */
  readonly queueMs: number;
  /** Wall time of the batch's engine call (round trip), ms. */
  readonly serviceMs: number;
  /** Units in the batch it ran in. */
  readonly batchUnits: number;
  readonly replica: number;
}

/** What an executor learns about the batch it runs. */
export interface BatchContext {
  /** The most urgent class in the batch: the worker runs waiting engine calls in this order. */
  readonly priority: Priority;
}

/** Runs one batch on one replica; returns one result per payload, in order. */
export type BatchExecutor<P, R> = (payloads: readonly P[], replica: number, batch: BatchContext) => Promise<readonly R[]>;

/** What the batcher reports, for metrics. */
export interface BatcherObserver {
  onQueueDepth?(depth: number): void;
  onBatch?(batch: { readonly units: number; readonly requests: number; readonly replica: number; readonly serviceMs: number; readonly failed: boolean }): void;
  onReject?(code: InpageErrorCode): void;
}

interface Pending<P, R> extends QueuedItem {
  readonly payload: P;
  readonly resolve: (value: Scheduled<R>) => void;
  readonly reject: (error: unknown) => void;
  /** Stop the deadline timer (the request left the queue). */
  clearDeadline: () => void;
  /** Detach the deadline and the abort listener (the request settled). */
  cleanup: () => void;
  settled: boolean;
}

/** One model's queue, batcher and replica router. */
export class DynamicBatcher<P, R> {
  private readonly queue: RequestQueue<Pending<P, R>>;
  private readonly router: Router;
  private sizer: BatchSizer;
  private current: BatchPolicy;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private nextId = 1;
  private closed: InpageError | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Microtask hops left before new requests are looked at; 0 = not gathering. */
  private gatherHops = 0;

  constructor(
    readonly model: string,
    policy: BatchPolicy,
    private readonly execute: BatchExecutor<P, R>,
    replicas: number | ReplicaPlan = 1,
    private readonly observer: BatcherObserver = {},
  ) {
    this.current = policy;
    this.queue = new RequestQueue(policy.agingMs);
    this.router = new Router(replicas, policy.maxInFlightPerReplica);
    this.sizer = new BatchSizer(policy.maxBatchSize, policy.targetP95Ms);
  }

  /** The policy in force. */
  get policy(): BatchPolicy {
    return this.current;
  }

  /**
   * Replace the policy while requests flow (a dashboard toggle, an A/B switch): queued
   * requests keep their place and are batched by the new policy from the next dispatch;
   * batches already running finish as they were. A new `maxBatchSize` or `targetP95Ms`
   * restarts the batch-size learning. `policy` must already be validated (`resolvePolicy`).
   */
  setPolicy(policy: BatchPolicy): void {
    const previous = this.current;
    this.current = policy;
    this.queue.agingMs = policy.agingMs;
    this.router.maxInFlight = policy.maxInFlightPerReplica;
    if (policy.maxBatchSize !== previous.maxBatchSize || policy.targetP95Ms !== previous.targetP95Ms) {
      this.sizer = new BatchSizer(policy.maxBatchSize, policy.targetP95Ms);
    }
    this.pump();
  }

  /** Requests waiting. */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Batches running. */
  get inFlight(): number {
    return this.router.inFlight;
  }

  /** The batch size the batcher currently aims for. */
  get targetBatchSize(): number {
    return this.sizer.target();
  }

  /** Measured service time of a batch of about `units`, ms. */
  serviceTime(units: number): number | undefined {
    return this.sizer.serviceTime(units);
  }

  /** Replica loads, for tests and dashboards. */
  replicas(): readonly Readonly<ReplicaState>[] {
    return this.router.replicas;
  }

  /** Forget a sticky key (its session ended). */
  releaseSticky(key: string): void {
    this.router.release(key);
  }

  /** Resolves when nothing is queued or running. */
  onIdle(): Promise<void> {
    if (this.queue.length === 0 && this.router.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private fail(code: InpageErrorCode, error: InpageError): never {
    this.observer.onReject?.(code);
    throw error;
  }

  /** Queue a request of `size` units; resolves with its result when its batch ran. */
  submit(payload: P, options: ScheduleOptions = {}, size = 1): Promise<Scheduled<R>> {
    if (this.closed !== undefined) return Promise.reject(this.closed);
    try {
      try {
        checkCallOptions(this.model, options);
      } catch (error) {
        if (error instanceof InvalidOptionsError) this.fail('INVALID_OPTIONS', error);
        throw error;
      }
      if (options.signal?.aborted === true)
        this.fail('ABORTED', new AbortedError(`The request to "${this.model}" was aborted before it was queued.`, { model: this.model }));
      if (this.queue.length >= this.policy.maxQueueSize) {
        this.fail(
          'QUEUE_FULL',
          new QueueFullError(`The queue of "${this.model}" is full (${this.policy.maxQueueSize} requests waiting); retry later or raise maxQueueSize.`, {
            model: this.model,
            expected: `at most ${this.policy.maxQueueSize} queued`,
            got: `${this.queue.length} queued`,
          }),
        );
      }
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (options.supersedeKey !== undefined) {
      const older = this.queue.findSuperseded(options.supersedeKey);
      if (older !== undefined) {
        this.queue.remove(older);
        this.settle(
          older,
          new SupersededError(`A newer request with supersedeKey "${options.supersedeKey}" replaced this one on "${this.model}".`, { model: this.model }),
          'SUPERSEDED',
        );
      }
    }
    const { signal } = options;
    return new Promise<Scheduled<R>>((resolve, reject) => {
      const item: Pending<P, R> = {
        id: this.nextId++,
        priority: options.priority ?? this.policy.defaultPriority,
        enqueuedAt: performance.now(),
        size: Math.max(1, size),
        supersedeKey: options.supersedeKey,
        stickyKey: options.stickyKey,
        batchKey: options.batchKey,
        payload,
        resolve,
        reject,
        clearDeadline: () => undefined,
        cleanup: () => undefined,
        settled: false,
      };
      const timeoutMs = options.timeoutMs ?? this.policy.defaultTimeoutMs;
      const deadline = timeoutMs > 0 ? setTimeout(() => this.expire(item, timeoutMs), timeoutMs) : undefined;
      const onAbort = (): void => this.abort(item);
      signal?.addEventListener('abort', onAbort, { once: true });
      item.clearDeadline = () => {
        if (deadline !== undefined) clearTimeout(deadline);
      };
      item.cleanup = () => {
        item.clearDeadline();
        signal?.removeEventListener('abort', onAbort);
      };
      this.queue.push(item);
      this.observer.onQueueDepth?.(this.queue.length);
      this.gather();
    });
  }

  private settle(item: Pending<P, R>, error: InpageError, code: InpageErrorCode): void {
    if (item.settled) return;
    item.settled = true;
    item.cleanup();
    this.observer.onReject?.(code);
    item.reject(error);
  }

  private expire(item: Pending<P, R>, timeoutMs: number): void {
    if (!this.queue.remove(item)) return; // already running: deadlines apply to waiting only
    this.observer.onQueueDepth?.(this.queue.length);
    this.settle(
      item,
      new DeadlineExceededError(`The request to "${this.model}" waited ${timeoutMs} ms in the queue without running (timeoutMs).`, {
        model: this.model,
        expected: `start within ${timeoutMs} ms`,
      }),
      'DEADLINE_EXCEEDED',
    );
    this.checkIdle();
  }

  private abort(item: Pending<P, R>): void {
    const wasQueued = this.queue.remove(item);
    if (wasQueued) this.observer.onQueueDepth?.(this.queue.length);
    // Running: the batch finishes for the others; this caller stops waiting now.
    this.settle(
      item,
      new AbortedError(`The request to "${this.model}" was aborted${wasQueued ? ' while queued' : ' while its batch ran'}.`, { model: this.model }),
      'ABORTED',
    );
    this.checkIdle();
  }

  /** Units to take now: up to `cap`, cut to the largest preferred size that fits. */
  private batchUnits(available: number, cap: number): number {
    const n = Math.min(available, cap);
    const preferred = this.policy.preferredBatchSizes.filter((s) => s <= n);
    return preferred.length > 0 ? (preferred[preferred.length - 1] ?? n) : n;
  }

  /** Dispatch every batch that may go now; arm the delay timer for the rest. */
  private pump(): void {
    while (this.queue.length > 0 && this.closed === undefined) {
      const now = performance.now();
      const first = this.queue.head(now);
      if (first === undefined) return;
      const chosen = this.route(first, now);
      if (chosen === undefined) return; // every slot busy: a finishing batch pumps again
      const { head, replica } = chosen;
      const oldest = this.queue.oldest();
      const waited = oldest === undefined ? 0 : now - oldest.enqueuedAt;
      const target = Math.min(this.targetBatchSize, this.policy.maxBatchSize);
      // An idle model never waits; nor does an idle replica kept for urgent work (waiting
      // there would only add the delay to the latency it is kept for).
      const idle = this.router.inFlight === 0 || (replica.maxRank < priorityRank.background && replica.inFlight === 0);
      // Only requests that can be stacked with the head make its batch fuller.
      const available = this.queue.unitsFor(head.batchKey);
      const full = available >= target;
      if (!full && waited < this.policy.maxQueueDelayMs && !idle) {
        this.arm((oldest?.enqueuedAt ?? now) + this.policy.maxQueueDelayMs);
        return;
      }
      // Late pipelining: a replica that is still running a batch gets the next one only when
      // it is full, more urgent than what runs (express), or the replica is about to be
      // free. Sent earlier it would only wait in the worker, while here it keeps growing.
      const express = replica.inFlight >= this.policy.maxInFlightPerReplica;
      if (!full && !express && replica.inFlight > 0 && replica.freeAt !== undefined) {
        const sendAt = replica.freeAt - this.policy.pipelineLeadMs - 0.1 * (replica.serviceMs ?? 0);
        if (sendAt > now + 0.25) {
          this.arm(sendAt);
          return;
        }
      }
      const units = this.batchUnits(available, Math.min(this.sizer.cap(), this.policy.maxBatchSize));
      const batch = this.queue.take(now, units, (item) => {
        if (item.batchKey !== head.batchKey) return false;
        // A replica kept for urgent work takes no less urgent request, not even as a passenger.
        if (priorityRank[item.priority] > replica.maxRank) return false;
        const bound = this.router.stickyReplica(item.stickyKey);
        return bound === undefined || bound === replica.index;
      });
      this.observer.onQueueDepth?.(this.queue.length);
      void this.run(batch, replica, now);
    }
  }

  /**
   * The replica for the next batch, led by the queue's head when some replica can take it.
   * Otherwise (its class's replicas are all busy) a replica kept for urgent work may take the
   * most urgent request waiting: an aged background head never blocks an interactive request
   * from its reserved replica.
   */
  private route(head: Pending<P, R>, now: number): { head: Pending<P, R>; replica: ReplicaState } | undefined {
    const replica = this.router.pick(head.stickyKey, priorityRank[head.priority]);
    if (replica !== undefined) return { head, replica };
    if (!this.router.hasReserved) return undefined;
    const rank = (item: Pending<P, R>): number => priorityRank[item.priority];
    const urgent = this.queue
      .ordered(now)
      .reduce<Pending<P, R> | undefined>((best, item) => (best === undefined || rank(item) < rank(best) ? item : best), undefined);
    if (urgent === undefined || rank(urgent) >= rank(head)) return undefined;
    const reserved = this.router.pick(urgent.stickyKey, rank(urgent));
    return reserved === undefined ? undefined : { head: urgent, replica: reserved };
  }

  /**
   * Decide on new requests after {@link gatherMicrotasks} microtask hops, not at once: the
   * requests made in this task (callers a few `await`s behind the first included) are all
   * queued by then, so they form one batch instead of 1 and the rest, or a first batch
   * cut at the target size and a second. Nothing waits for a timer or a new task.
   */
  private gather(): void {
    if (this.gatherHops > 0) return;
    this.gatherHops = gatherMicrotasks;
    const hop = (): void => {
      this.gatherHops -= 1;
      if (this.gatherHops > 0) queueMicrotask(hop);
      else this.pump();
    };
    queueMicrotask(hop);
  }

  private arm(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, at - performance.now()),
    );
  }

  private async run(batch: Pending<P, R>[], replica: ReplicaState, dispatchedAt: number): Promise<void> {
    // Deadlines apply while waiting; an abort still releases its caller while the batch runs.
    for (const item of batch) item.clearDeadline();
    const rank = Math.min(...batch.map((item) => priorityRank[item.priority]));
    const priority = batch.find((item) => priorityRank[item.priority] === rank)?.priority ?? this.policy.defaultPriority;
    this.router.begin(replica, rank, performance.now(), this.sizer.serviceTime(batch.reduce((sum, item) => sum + item.size, 0)));
    const units = batch.reduce((sum, item) => sum + item.size, 0);
    const started = performance.now();
    let results: readonly R[] | undefined;
    let failure: unknown;
    try {
      results = await this.execute(
        batch.map((item) => item.payload),
        replica.index,
        { priority },
      );
      if (results.length !== batch.length) throw new Error(`executor returned ${results.length} results for ${batch.length} requests`);
    } catch (error) {
      failure = error;
    }
    const ended = performance.now();
    // The caller's view is send to answer; the sizer and the router learn how long the batch held the replica (Router.end).
    const serviceMs = ended - started;
    const heldMs = this.router.end(replica, rank, started, ended);
    if (failure === undefined) {
      this.router.record(replica, heldMs);
      this.sizer.record(units, heldMs);
    }
    this.observer.onBatch?.({ units, requests: batch.length, replica: replica.index, serviceMs, failed: failure !== undefined });
    // Background answers wake their callers in a background-priority task: the replica takes
    // its next batch first, and urgent answers already waiting on the main thread go ahead.
    if (rank === priorityRank.background) {
      this.pump();
      await yieldToUrgentWork();
    }
    batch.forEach((item, i) => {
      if (item.settled) return;
      item.settled = true;
      item.cleanup();
      if (failure !== undefined) item.reject(failure);
      else item.resolve({ value: results?.[i] as R, queueMs: dispatchedAt - item.enqueuedAt, serviceMs, batchUnits: units, replica: replica.index }); // index i exists: lengths checked above
    });
    this.pump();
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.queue.length > 0 || this.router.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Reject everything queued with `DISPOSED` and refuse new requests. Running batches finish. */
  close(reason = `Model "${this.model}" was disposed.`): void {
    if (this.closed !== undefined) return;
    this.closed = new DisposedError(reason, { model: this.model });
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const item of this.queue.drain()) this.settle(item, this.closed, 'DISPOSED');
    this.checkIdle();
  }
}
