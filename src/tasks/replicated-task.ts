/**
 * What every scheduled task handle shares: its replicas (one loaded task per worker),
 * its queue, the backend and metrics name, and disposal.
 */
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

/** Base of the task handles that run through a {@link TaskQueue}. */
export abstract class ReplicatedTask<P, R> {
  /** @internal */
  constructor(
    protected readonly replicas: readonly LoadedTask[],
    protected readonly queue: TaskQueue<P, R>,
  ) {}

  /** The replica whose info stands for the task. */
  protected get task(): LoadedTask {
    return firstReplica(this.replicas);
  }

  /** The backend the task's models run on. */
  get backend(): string {
    return this.task.info.backend;
  }

  /** The name this task reports metrics under. */
  get name(): string {
    return this.queue.name;
  }

  /** The scheduler queue (depth, batch sizes, replica loads) for dashboards and tests. */
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
