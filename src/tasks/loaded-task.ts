/**
 * The main-thread side of a task loaded in a worker: its info, a guarded way to call
 * the worker, and disposal. Task handles (pose, OCR, …) are thin typed wrappers on it.
 */
import type { Remote } from 'comlink';
import { DisposedError } from '../errors';
import type { BackendPreference, TaskInfo, TaskResult, TaskSpec, WorkerApi } from '../protocol';

/** A task living in a worker. */
export interface LoadedTask {
  readonly info: TaskInfo;
  readonly disposed: boolean;
  /** Call the task's worker; rejects with `DISPOSED` after disposal. */
  call<T>(fn: (api: Remote<WorkerApi>) => Promise<TaskResult<T>>): Promise<TaskResult<T>>;
  /** Like `call`, for worker methods that return no stage timings. */
  callPlain<T>(fn: (api: Remote<WorkerApi>) => Promise<T>): Promise<T>;
  dispose(): Promise<void>;
}

/** What the runtime offers task handles: loading a task into a worker. */
export interface TaskLoader {
  /** Load `spec` (minus its id, which the runtime assigns) into the worker named `workerKey`. */
  loadTask(spec: TaskSpecWithoutId, workerKey: string): Promise<LoadedTask>;
  /** Resolve a model file name against the runtime's model base URL. */
  modelUrl(file: string): string;
  /** Resolve any URL against the page. */
  resolveUrl(url: string | URL): string;
}

/** A task spec before the runtime gives it an id. */
export type TaskSpecWithoutId = TaskSpec extends infer S ? (S extends TaskSpec ? Omit<S, 'taskId'> : never) : never;

/** Options every task accepts when loading. */
export interface TaskOptions {
  /** Where the task's models run. @default 'auto' */
  readonly backend?: BackendPreference;
  /** Worker to host the task; tasks with the same key share a worker. @default one worker per modality and engine */
  readonly worker?: string;
}

/** Options every task call accepts. */
export interface CallOptions {
  /** Abort the call; it rejects with `ABORTED` if it has not finished. */
  readonly signal?: AbortSignal;
}

/** Guard used by task handles. */
export function assertUsable(task: LoadedTask): void {
  if (task.disposed) throw new DisposedError(`Task "${task.info.taskId}" was disposed; load it again.`, { model: task.info.taskId });
}
