/**
 * Where a task's requests meet the scheduler: a {@link DynamicBatcher} over the task's
 * replicas, plus the metrics of every request (queue time from the batcher, worker
 * stage times from the result, end-to-end from the main thread).
 */
import { InpageError, InvalidOptionsError } from '../errors';
import type { MetricsRegistry } from '../metrics/registry';
import type { StageTimings, TaskResult } from '../protocol';
import { DynamicBatcher, type BatchContext, type ScheduleOptions } from '../scheduler/batcher';
import { checkPolicyOverrides, resolvePolicy, type BatchPolicy, type Modality } from '../scheduler/policy';
import type { ReplicaOptions, ReplicaPlan } from '../scheduler/replicas';

/** Runs one batch of payloads on one replica; one result (with the batch's stage timings) per payload. */
export type TaskBatchExecutor<P, R> = (payloads: readonly P[], replica: number, batch: BatchContext) => Promise<readonly TaskResult<R>[]>;

/** Scheduling options a task call accepts. */
export type TaskCallOptions = ScheduleOptions;

const zeroTimings: StageTimings = { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0, engineCalls: 0 };

/** A task's queue: batching, priorities, deadlines, cancellation, metrics. */
export class TaskQueue<P, R> {
  private readonly batcher: DynamicBatcher<P, TaskResult<R>>;
  private overrides: Partial<BatchPolicy>;

  /**
   * @param overrides the caller's `batching` options (merged into the modality's defaults)
   * @param pinned settings the task itself requires (a fixed-batch graph's `maxBatchSize: 1`); they win, and may not be reconfigured
   */
  constructor(
    readonly name: string,
    readonly modality: Modality,
    backend: string,
    overrides: Partial<BatchPolicy>,
    private readonly pinned: Partial<BatchPolicy>,
    replicas: number | ReplicaPlan,
    execute: TaskBatchExecutor<P, R>,
    private readonly metrics: MetricsRegistry,
  ) {
    metrics.describe(name, modality, backend);
    this.overrides = overrides;
    this.batcher = new DynamicBatcher(name, resolvePolicy(modality, { ...overrides, ...pinned }), execute, replicas, {
      onQueueDepth: (depth) => metrics.queueDepth(name, depth),
      onBatch: ({ units }) => metrics.batch(name, units),
    });
  }

  /** Requests waiting. */
  get queueDepth(): number {
    return this.batcher.queueDepth;
  }

  /** The underlying batcher (for dashboards and tests). */
  get scheduler(): DynamicBatcher<P, TaskResult<R>> {
    return this.batcher;
  }

  /** The batching policy in force. */
  get policy(): BatchPolicy {
    return this.batcher.policy;
  }

  /**
   * Change batching settings live (see {@link DynamicBatcher.setPolicy}); unnamed settings
   * keep their current value. Validated first: a bad value or a setting the task pins
   * throws `INVALID_OPTIONS` and changes nothing.
   */
  reconfigure(overrides: Partial<BatchPolicy>): BatchPolicy {
    checkPolicyOverrides(overrides);
    const pinned = new Map<string, unknown>(Object.entries(this.pinned));
    for (const [key, value] of Object.entries(overrides)) {
      if (!pinned.has(key)) continue;
      const pinnedValue = pinned.get(key);
      if (JSON.stringify(value) !== JSON.stringify(pinnedValue)) {
        throw new InvalidOptionsError(`"${this.name}" requires \`${key}\` = ${JSON.stringify(pinnedValue)}; it cannot be reconfigured.`, {
          model: this.name,
          input: key,
          expected: JSON.stringify(pinnedValue),
          got: JSON.stringify(value),
        });
      }
    }
    const merged = { ...this.overrides, ...overrides };
    const policy = resolvePolicy(this.modality, { ...merged, ...this.pinned });
    this.overrides = merged;
    this.batcher.setPolicy(policy);
    return policy;
  }

  /** Queue `payload` (worth `size` batch units) and resolve with its result. */
  async run(payload: P, options: TaskCallOptions = {}, size = 1, detail: Readonly<Record<string, string | number>> = {}): Promise<R> {
    const submittedAt = performance.now();
    this.metrics.requestStarted(this.name);
    try {
      const scheduled = await this.batcher.submit(payload, options, size);
      const timings = scheduled.value.timings ?? zeroTimings;
      this.metrics.requestFinished(
        this.name,
        {
          queueMs: scheduled.queueMs,
          preprocessMs: timings.preprocessMs,
          inferenceMs: timings.inferenceMs,
          postprocessMs: timings.postprocessMs,
          endToEndMs: performance.now() - submittedAt,
        },
        submittedAt,
        { ...detail, batch: scheduled.batchUnits, replica: scheduled.replica },
      );
      return scheduled.value.value;
    } catch (error) {
      this.metrics.requestFailed(this.name, error instanceof InpageError ? error.code : 'UNKNOWN');
      throw error;
    }
  }

  /** Count a request refused before it was queued (bad input): it shows in the model's errors by code. */
  refused(code: string): void {
    this.metrics.requestStarted(this.name);
    this.metrics.requestFailed(this.name, code);
  }

  /** Refuse new requests and reject queued ones with `DISPOSED`. */
  close(): void {
    this.batcher.close(`Task "${this.name}" was disposed.`);
  }
}

/** Per-task scheduling options, accepted when a task loads. */
export interface SchedulingOptions {
  /** Overrides of the modality's batching defaults. */
  readonly batching?: Partial<BatchPolicy>;
  /**
   * Workers (each with its own session) serving the task; `{ count, reserve }` keeps some
   * for urgent priorities (see {@link ReplicaOptions}). @default 1
   */
  readonly replicas?: ReplicaOptions;
}
