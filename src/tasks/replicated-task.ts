/**
 * What every scheduled task handle shares: its replicas (one loaded task per worker),
 * its queue, the backend and metrics name, and disposal.
 */
import type { LoadedTask } from './loaded-task';
import type { TaskQueue } from './task-queue';

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

  /** Free the model(s); queued requests reject with `DISPOSED`. */
  async dispose(): Promise<void> {
    this.queue.close();
    await Promise.all(this.replicas.map((task) => task.dispose()));
  }
}
