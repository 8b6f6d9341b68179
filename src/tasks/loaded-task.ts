/**
 * The main-thread side of a task loaded in a worker: its info, a guarded way to call
 * the worker, and disposal. Task handles (pose, OCR, …) are thin typed wrappers on it.
 */
import type { Remote } from 'comlink';
import { DisposedError } from '../errors';
import type { BackendPreference, LoadProgress, TaskInfo, TaskSpec, WorkerApi } from '../protocol';
import type { CacheConfig } from '../cache/config';
import type { MetricsRegistry } from '../metrics/registry';
import type { BatchPolicy, Modality } from '../scheduler/policy';
import type { ReplicaPlan } from '../scheduler/replicas';
import type { SchedulingOptions, TaskBatchExecutor, TaskQueue } from './task-queue';
import type { Model } from '../model';
import type { ModelDescriptor } from '../model-descriptor';
import type { ReplicaCallOptions } from '../replica';

/** A task living in a worker. */
export interface LoadedTask {
  readonly info: TaskInfo;
  readonly disposed: boolean;
  /**
   * Call the task's worker; rejects with `DISPOSED` after disposal. When the worker dies
   * mid-call, a fresh one is started, the task loaded there again and `fn` run once more
   * (unless `retry: false`), so `fn` must build its message anew each time.
   */
  call<T>(fn: (api: Remote<WorkerApi>) => Promise<T>, options?: ReplicaCallOptions): Promise<T>;
  /** Report restarts and retries under `name` (the task's metrics name) instead of the task id. */
  reportAs(name: string): void;
  dispose(): Promise<void>;
}

/** What the runtime offers task handles: loading a task into a worker. */
export interface TaskLoader {
  /** Load `spec` (minus its id, which the runtime assigns) into the worker named `workerKey`, reporting model download progress. */
  loadTask(spec: TaskSpecWithoutId, workerKey: string, onProgress?: (progress: LoadProgress) => void): Promise<LoadedTask>;
  /** Load `count` replicas of `spec`, each in its own worker (`workerKey`, `workerKey#2` …); progress is the first replica's. */
  loadReplicas(spec: TaskSpecWithoutId, workerKey: string, count: number, onProgress?: (progress: LoadProgress) => void): Promise<LoadedTask[]>;
  /**
   * Load a model the way `runtime.load` does (its own queue, metrics under its id); with
   * `checkDefaultFiles`, a built-in task's default file is checked against the manifest.
   */
  loadModel(descriptor: ModelDescriptor, checkDefaultFiles: boolean): Promise<Model>;
  /** A fresh task id for `kind`: `vad-1`, `vad-2` … (also the task's default metrics name). */
  nextTaskId(kind: string): string;
  /** A scheduled queue over a task's replicas, reporting to the runtime's metrics. */
  createQueue<P, R>(
    name: string,
    modality: Modality,
    backend: string,
    scheduling: SchedulingOptions,
    replicas: number | ReplicaPlan,
    execute: TaskBatchExecutor<P, R>,
    /** Settings the task requires (they override the caller's and cannot be reconfigured). */
    pinned?: Partial<BatchPolicy>,
  ): TaskQueue<P, R>;
  /** The runtime's metrics, for tasks that record outside a queue (generation, cache hits). */
  readonly metrics: MetricsRegistry;
  /** Every cache's settings (the runtime's `cache` option). */
  readonly cacheConfig: CacheConfig;
  /** Resolve a model file name against the runtime's model base URL. */
  modelUrl(file: string): string;
  /** Resolve any URL against the page; a malformed one is `INVALID_OPTIONS` naming `field` (default `url`). */
  resolveUrl(url: string | URL, field?: string): string;
}

/** A task spec before the runtime gives it an id. */
export type TaskSpecWithoutId = TaskSpec extends infer S ? (S extends TaskSpec ? Omit<S, 'taskId'> : never) : never;

/** Options every task accepts when loading. */
export interface TaskOptions extends SchedulingOptions {
  /** Where the task's models run. @default 'auto' */
  readonly backend?: BackendPreference;
  /** Worker to host the task; tasks with the same key share a worker. @default one worker per modality, engine and (VAD aside) backend */
  readonly worker?: string;
  /** Download progress of the task's model files, per file and overall (bytes). */
  readonly onProgress?: (progress: LoadProgress) => void;
}

/** Options every task call accepts. */
export interface CallOptions {
  /** Abort the call; a queued request is removed at once and rejects with `ABORTED`. */
  readonly signal?: AbortSignal;
  /** `realtime` > `interactive` > `background`. @default the modality's default */
  readonly priority?: 'realtime' | 'interactive' | 'background';
  /** Reject with `DEADLINE_EXCEEDED` if still queued after this long, ms. @default the modality's default */
  readonly timeoutMs?: number;
  /** A newer request with the same key replaces this one while queued (`SUPERSEDED`): live media never builds a backlog. */
  readonly supersedeKey?: string;
}

/** Guard used by task handles. */
export function assertUsable(task: LoadedTask): void {
  if (task.disposed) throw new DisposedError(`Task "${task.info.taskId}" was disposed; load it again.`, { model: task.info.taskId });
}
