/**
 * What a worker-side task gets from its host: loading, running (validated) and
 * releasing models in the same worker, plus a stopwatch for stage timings.
 */
import type {
  BackendProbe,
  Backend,
  DeviceTensor,
  KeepingRunResult,
  BackendPreference,
  Dim,
  ModelFormat,
  ModelInfo,
  ModelSource,
  Priority,
  RunResult,
  StageTimings,
  TaskInfo,
  TensorMap,
  WorkerCacheConfig,
} from '../../src/protocol';
import type { CacheEventSink } from '../../src/cache/events';

/** A model a task wants loaded. */
export interface TaskModelRequest {
  readonly modelId: string;
  readonly format: ModelFormat;
  readonly source: ModelSource;
  readonly backend: BackendPreference;
  readonly shapes?: Readonly<Record<string, readonly Dim[]>>;
  /** How `'auto'` times the model on each backend (see {@link BackendProbe}). */
  readonly probe?: BackendProbe;
  /** Outputs to keep in GPU buffers on WebGPU (see `LoadRequest.keepOnDevice`). */
  readonly keepOnDevice?: readonly string[];
}

/** The host's services for tasks. */
export interface TaskContext {
  loadModel(request: TaskModelRequest): Promise<ModelInfo>;
  /** Validated run; bad input throws `InvalidInputError` before the engine is called. Waiting runs go most urgent first. */
  runModel(modelId: string, inputs: TensorMap, priority?: Priority): Promise<RunResult>;
  /**
   * {@link runModel} with `resident` inputs already on the device (outputs an earlier call
   * of this model kept), keeping the outputs named in `keep` there (on WebGPU, where the
   * model was loaded with them in `keepOnDevice`). Absent where no engine can.
   */
  runModelKeeping?(
    modelId: string,
    inputs: TensorMap,
    resident: Readonly<Record<string, DeviceTensor>>,
    keep: readonly string[],
    priority?: Priority,
  ): Promise<KeepingRunResult>;
  releaseModel(modelId: string): Promise<void>;
  /** How this worker caches (the runtime's `cache` option). */
  readonly cache: WorkerCacheConfig;
  /** Report cache hits, misses, stores, evictions … to the main thread's metrics. */
  readonly cacheEvents: CacheEventSink;
  /**
   * What the file at `url` must be, when it is one of the built-in tasks' default files (the
   * task spec's `expected`): spread into a checked fetch of an auxiliary file. Model loads
   * get the same checks without asking.
   */
  expect(url: string): FileExpectationFields;
}

/** The expectation fields of a checked fetch (`src/cache/response-check.ts`). */
export interface FileExpectationFields {
  readonly expectedSha256?: string;
  readonly expectedBytes?: number;
}

/** Every worker-side task: its description and how to free it. */
export interface WorkerTask {
  readonly info: TaskInfo;
  release(): Promise<void>;
}

/** Accumulates time per stage across one task call. */
export class StageClock {
  private preprocess = 0;
  private inference = 0;
  private postprocess = 0;
  private calls = 0;

  /** Time `fn` as pre-processing. */
  async pre<T>(fn: () => T | Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.preprocess += performance.now() - start;
    }
  }

  /** Time `fn` as one engine call. */
  async infer<T>(fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.inference += performance.now() - start;
      this.calls += 1;
    }
  }

  /** Time `fn` as post-processing. */
  async post<T>(fn: () => T | Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.postprocess += performance.now() - start;
    }
  }

  /** The totals so far. */
  timings(): StageTimings {
    return { preprocessMs: this.preprocess, inferenceMs: this.inference, postprocessMs: this.postprocess, engineCalls: this.calls };
  }
}

/** The backend shared by a task's models (the first model's, which all follow). */
export function taskBackend(models: readonly ModelInfo[]): Backend {
  return models[0]?.backend ?? 'wasm';
}
