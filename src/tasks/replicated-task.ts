/**
 * What every scheduled task handle shares: its replicas (one loaded task per worker),
 * its queue, the backend and metrics name, and disposal.
 */
import type { Backend, TaskKind } from '../protocol';
import type { BatchPolicy } from '../scheduler/policy';
import type { LoadedTask } from './loaded-task';
import type { TaskQueue } from './task-queue';

/** What a task whose graph takes one image per call pins in its queue (pose, OCR). */
export const fixedBatchOfOne: Partial<BatchPolicy> = { maxBatchSize: 1, preferredBatchSizes: [] };

/** The first replica of a freshly loaded task (a load always yields at least one). */
export function firstReplica(replicas: readonly LoadedTask[]): LoadedTask {
  const first = replicas[0];
  if (first === undefined) throw new Error('a task loaded no replicas');
  return first;
}

/** What `JSON.stringify(task)` gives: a task handle's identity, backend and state. */
export interface TaskSummary {
  readonly kind: TaskKind;
  /** The name the task reports metrics under. */
  readonly name: string;
  readonly backend: Backend;
  readonly disposed: boolean;
  /** Workers the task runs in (one replica each). */
  readonly replicas: number;
}

/** The summary of a task living in `replicas` (the first one's info stands for the task). */
export function taskSummary(name: string, replicas: readonly LoadedTask[]): TaskSummary {
  const { info, disposed } = firstReplica(replicas);
  return { kind: info.kind, name, backend: info.backend, disposed, replicas: replicas.length };
}

/**
 * Base of the task handles that run through a {@link TaskQueue}.
 *
 * Its replicas and queue are ES private fields (reached through protected getters): not
 * enumerable, so `JSON.stringify`, spreading or a logger never walks into the workers'
 * comlink proxies; `toJSON()` gives a {@link TaskSummary} instead.
 */
export abstract class ReplicatedTask<P, R> {
  readonly #replicas: readonly LoadedTask[];
  readonly #queue: TaskQueue<P, R>;

  /** @internal */
  constructor(replicas: readonly LoadedTask[], queue: TaskQueue<P, R>) {
    this.#replicas = replicas;
    this.#queue = queue;
  }

  /** One loaded task per worker. @internal */
  protected get replicas(): readonly LoadedTask[] {
    return this.#replicas;
  }

  /** The scheduler queue in front of the replicas. @internal */
  protected get queue(): TaskQueue<P, R> {
    return this.#queue;
  }

  /**
   * A plain summary for logs and `JSON.stringify(task)`.
   *
   * @example
   * JSON.stringify(pose); // '{"kind":"pose","name":"pose-1","backend":"wasm","disposed":false,"replicas":1}'
   */
  toJSON(): TaskSummary {
    return taskSummary(this.name, this.replicas);
  }

  /** The replica whose info stands for the task. @internal */
  protected get task(): LoadedTask {
    return firstReplica(this.replicas);
  }

  /** The backend the task's models run on. */
  get backend(): string {
    return this.task.info.backend;
  }

  /** Why the task runs on {@link ReplicatedTask.backend}: its first model's reason (the others follow it). */
  get backendReason(): string {
    return this.task.info.models[0]?.backendReason ?? `asked for "${this.task.info.backend}"`;
  }

  /** The name this task reports metrics under. */
  get name(): string {
    return this.queue.name;
  }

  /**
   * The scheduler queue (depth, batch sizes, replica loads) for dashboards and tests.
   * Internal: its type is the scheduler's own `DynamicBatcher`; `runtime.metrics` reports
   * queue depth and batch sizes for a dashboard.
   *
   * @internal
   */
  get scheduler(): TaskQueue<P, R>['scheduler'] {
    return this.queue.scheduler;
  }

  /** The batching policy in force (the modality's defaults with the task's overrides). */
  get batching(): BatchPolicy {
    return this.queue.policy;
  }

  /**
   * Change batching settings while requests flow: queued requests keep their place and
   * go out under the new policy; running batches finish as they were. Settings not named
   * keep their value. Throws `INVALID_OPTIONS` (changing nothing) for a bad value or a
   * setting the task pins (pose and OCR run one image per call: `maxBatchSize` stays 1).
   *
   * @example
   * vad.reconfigure({ maxBatchSize: 1 }); // batching off, e.g. for an A/B comparison
   * vad.reconfigure({ maxBatchSize: 32 }); // and back on
   */
  reconfigure(batching: Partial<BatchPolicy>): BatchPolicy {
    return this.queue.reconfigure(batching);
  }

  /** Free the model(s); queued requests reject with `DISPOSED`. */
  async dispose(): Promise<void> {
    this.queue.close();
    await Promise.all(this.replicas.map((task) => task.dispose()));
  }
}
