/**
 * A loaded model's handle: its signature, the backend it runs on, and `run`, which queues
 * through the model's own {@link TaskQueue} (dynamic batcher): concurrent requests are
 * stacked along their batch axes into one engine call and split back, with
 * priorities, deadlines, abort, supersede, replicas and metrics — what the built-in tasks get.
 */
import { transfer } from 'comlink';
import { bytesOf } from './batching/box-copy';
import { BufferPool } from './batching/buffer-pool';
import { requestInputSpecs, type BatchPlan } from './batching/plan';
import { batchKeyOf, requestUnits, splitOutputs, stackRequests } from './batching/stack';
import { DisposedError, InpageError, InvalidOptionsError } from './errors';
import { ModelSession, type ResolvedState, type SessionOptions } from './model-session';
import type {
  Backend,
  BackendTiming,
  BatchRunTimings,
  ModelFormat,
  ModelInfo,
  StageTimings,
  TaskResult,
  Tensor,
  TensorDType,
  TensorMap,
  TensorSpec,
} from './protocol';
import type { BatchPolicy, Modality } from './scheduler/policy';
import type { CallOptions } from './tasks/loaded-task';
import type { TaskBatchExecutor, TaskQueue } from './tasks/task-queue';
import { copyTensor, describeValue, transferablesOf } from './tensor';
import { checkCallOptions } from './scheduler/call-options';
import { validateInputs } from './validate';
import type { Replica } from './replica';

/** Options for one {@link Model.run} call: scheduling (priority, deadline, abort, supersede) and transfer. */
export interface RunOptions extends CallOptions {
  /**
   * Transfer the input buffers to the worker when the request's batch is sent (zero copy;
   * your arrays are detached afterwards, so do not change them while the call runs). Set
   * `false` to keep using them: the runtime copies them when you call.
   * @default true
   */
  readonly transfer?: boolean;
}

/** Outputs plus where the time went. */
export interface DetailedRunResult {
  readonly outputs: TensorMap;
  /** Stage timings measured in the worker, for the batch the request ran in. */
  readonly timings: BatchRunTimings;
  /** Main-thread wall time from the call to the answer (queueing included), ms. */
  readonly roundTripMs: number;
}

/**
 * A loaded model. `run` goes through the model's dynamic batcher: see `ModelDescriptor`'s
 * `batching`, `batchAxes` and `ragged` for how requests share engine calls.
 *
 * @example
 * const out = await model.run({ input: tensor('float32', [1, 576], frame), state, sr }, { priority: 'realtime' });
 * console.log(model.backend, out.output.data[0]);
 */
export interface Model {
  readonly id: string;
  readonly format: ModelFormat;
  /** The backend the session runs on: `'webgpu'`, `'wasm'` or `'cpu'`. */
  readonly backend: Backend;
  /** Why `'auto'` did not get WebGPU, when it did not. */
  readonly fallbackReason: string | undefined;
  /**
   * Why the model runs on {@link Model.backend}: asked for, measured faster at load (with
   * the timings), or the only backend that works here.
   * @example 'auto: measured at load, wasm 4.5× faster (webgpu on nvidia: 21 ms at batch 1, 20 ms at batch 32; wasm: 0.54 ms at batch 1, 8.7 ms at batch 32)' // Silero VAD on an H200
   */
  readonly backendReason: string;
  /** What `'auto'` measured at load (median ms per call, by backend and batch size), when it timed the backends. */
  readonly backendTimings: readonly BackendTiming[] | undefined;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Session creation time inside the worker, ms. */
  readonly loadMs: number;
  /** Size of the weights one replica holds (the model file, or TF.js weight shards), bytes. */
  readonly weightBytes: number;
  /**
   * The operators an ONNX graph uses, sorted (`com.microsoft.MatMulNBits` for contrib
   * ops); `undefined` for TF.js models.
   */
  readonly operators: readonly string[] | undefined;
  /** The modality whose scheduling defaults the model uses. */
  readonly modality: Modality;
  /** The batching policy in force (the modality's defaults, your `batching`, and what the graph allows). */
  readonly batching: BatchPolicy;
  /** The batch axis of every input and output (declared or inferred); `null`: none. */
  readonly batchAxes: Readonly<Record<string, number | null>>;
  /** Workers serving the model, each with its own session. */
  readonly replicas: number;
  /**
   * Run the model. Invalid inputs reject with `INVALID_INPUT` before anything is queued;
   * a request waits in the model's queue (priority, `timeoutMs`, `signal`, `supersedeKey`)
   * and may share an engine call with concurrent requests of the same shape.
   */
  run(inputs: TensorMap, options?: RunOptions): Promise<TensorMap>;
  /** Like {@link Model.run}, with stage timings. */
  runDetailed(inputs: TensorMap, options?: RunOptions): Promise<DetailedRunResult>;
  /**
   * A stateful stream on the model: the state tensors named in the descriptor's `sequence`
   * travel from each call to the next, while calls of many sessions batch together.
   * `INVALID_OPTIONS` if the model declares no `sequence`.
   */
  session(options?: SessionOptions): ModelSession;
  /**
   * Change batching live (queued requests keep their place). `INVALID_OPTIONS` for a bad
   * value, or a `maxBatchSize` above what the graph allows.
   */
  reconfigure(batching: Partial<BatchPolicy>): BatchPolicy;
  /** Free the sessions. Queued requests reject with `DISPOSED`; later calls too. */
  dispose(): Promise<void>;
  readonly disposed: boolean;
  /**
   * A plain summary for logs and `JSON.stringify(model)`; the handle's worker connections
   * are private and never walked.
   *
   * @example
   * JSON.stringify(model); // '{"id":"silero_vad_v5","format":"onnx","backend":"wasm","disposed":false,"inputs":[…],"outputs":[…],"loadMs":41.2}'
   */
  toJSON(): ModelSummary;
}

/** What `JSON.stringify(model)` gives: the model's identity, backend, state and signature. */
export interface ModelSummary {
  readonly id: string;
  readonly format: ModelFormat;
  readonly backend: Backend;
  readonly fallbackReason?: string;
  readonly backendReason: string;
  readonly disposed: boolean;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly loadMs: number;
}

/** The runtime's extra hook on a model. */
export interface ManagedModel extends Model {
  /** Mark disposed without a worker call (the worker is going away). */
  markDisposed(): void;
  /** The state pairs of the descriptor's `sequence`, checked against the graph. */
  readonly sequenceStates: readonly ResolvedState[];
}

/** One queued request of a model. */
export interface ModelRequest {
  readonly inputs: TensorMap;
}

/** One request's answer. */
export interface ModelAnswer {
  readonly outputs: TensorMap;
  readonly timings: BatchRunTimings;
}

/** The plan of a model that runs one request per engine call (no batching asked for): no batch axes. */
export function unbatchedPlan(model: string, inputs: readonly TensorSpec[], outputs: readonly TensorSpec[]): BatchPlan {
  return {
    model,
    mode: 'group',
    batchable: false,
    graphMaxBatchSize: null,
    maxBatchSize: 1,
    inputs: inputs.map(({ name, dtype }) => ({ name, dtype, batchAxis: null, ragged: null, concat: null })),
    outputs: outputs.map(({ name, dtype }) => ({ name, dtype, batchAxis: null, cutAxis: null })),
    mask: null,
    lengthsFrom: null,
  };
}

/**
 * Run a batch of requests on one replica as one engine call. The requests are stacked here,
 * on the main thread, into buffers of the model's pool; one message carries the batch to
 * the worker (a few buffers, not every request's tensors) and brings back its outputs and
 * the stacked buffers, which serve the next batch. The outputs are split back per request
 * here. A lone request is copied into pooled buffers too (one copy of its inputs; its own
 * buffers are detached from the caller and kept): if the worker dies mid-call, the replica
 * heals and the batch is built again from the requests and sent once more.
 */
export function modelExecutor(modelId: string, plan: BatchPlan, replicas: readonly Replica[]): TaskBatchExecutor<ModelRequest, ModelAnswer> {
  const pool = new BufferPool();
  const allocate = (dtype: TensorDType, dims: readonly number[]): Tensor => pool.allocate(dtype, dims);
  return async (requests, replica, { priority }): Promise<TaskResult<ModelAnswer>[]> => {
    const target = replicas[replica] ?? replicas[0];
    if (target === undefined) throw new Error(`model "${modelId}" has no replica ${replica}`);
    // One request needs no stacking (unless ragged inputs are padded and a mask is built).
    const alone = requests.length === 1 && plan.mode !== 'pad';
    const maps = alone ? requests.map((request) => takeBuffers(request.inputs)) : requests.map((request) => request.inputs);
    let stackMs = 0;
    let stacked: ReturnType<typeof stackRequests> | undefined;
    const result = await target.call(
      (api) => {
        // Built anew for each attempt: the last one's buffers went to the worker.
        const stackStart = performance.now();
        stacked = alone ? undefined : stackRequests(modelId, maps, plan, allocate);
        const inputs = stacked?.inputs ?? copyInto(maps[0] ?? {}, allocate);
        stackMs = performance.now() - stackStart;
        return api.runStacked(modelId, transfer(inputs, transferablesOf(Object.values(inputs))), priority, true);
      },
      { requests: requests.length },
    );
    const splitStart = performance.now();
    const outputs = stacked === undefined ? [result.outputs] : splitOutputs(modelId, result.outputs, stacked.units, plan, stacked.lengths);
    // Split copied every output; one still sharing an input's buffer (an identity op) keeps it.
    const kept = new Set(transferablesOf(outputs.flatMap((map) => Object.values(map))));
    const free = (tensors: Iterable<Tensor>): void =>
      pool.release([...tensors].filter((t) => !(t.data.buffer instanceof ArrayBuffer && kept.has(t.data.buffer))));
    if (result.inputs !== undefined) free(Object.values(result.inputs));
    if (alone) free(maps.flatMap((map) => Object.values(map)));
    const timings: BatchRunTimings = { ...result.timings, stackMs, splitMs: performance.now() - splitStart };
    const stages: StageTimings = {
      preprocessMs: result.timings.prepareMs + stackMs,
      inferenceMs: result.timings.inferenceMs,
      postprocessMs: timings.splitMs,
      engineCalls: 1,
    };
    return outputs.map((map) => ({ value: { outputs: map, timings }, timings: stages }));
  };
}

/** `inputs` with their buffers moved out of the caller's hands (detached there, not copied). */
function takeBuffers(inputs: TensorMap): TensorMap {
  return structuredClone(inputs, { transfer: transferablesOf(Object.values(inputs)) });
}

/** Copies of `inputs` in buffers from `allocate`. */
function copyInto(inputs: TensorMap, allocate: (dtype: TensorDType, dims: readonly number[]) => Tensor): TensorMap {
  const copies: TensorMap = {};
  for (const [name, t] of Object.entries(inputs)) {
    const copy = allocate(t.dtype, t.dims);
    bytesOf(copy).set(bytesOf(t));
    copies[name] = copy;
  }
  return copies;
}

class ModelHandle implements ManagedModel {
  readonly id: string;
  readonly format: ModelFormat;
  /** Where the model runs: where it loaded, unless a worker restart found WebGPU gone (then WASM). */
  declare readonly backend: Backend;
  readonly #loadedOn: Backend;
  readonly fallbackReason: string | undefined;
  readonly backendReason: string;
  readonly backendTimings: readonly BackendTiming[] | undefined;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly loadMs: number;
  readonly weightBytes: number;
  readonly operators: readonly string[] | undefined;
  // ES private fields, not TypeScript `private`: they are not enumerable, so
  // `JSON.stringify`, spreading or a logger never walks the worker clients (a comlink
  // proxy answers any property, `toJSON` included, with a call to the worker).
  #isDisposed = false;
  readonly #replicas: readonly Replica[];
  readonly #queue: TaskQueue<ModelRequest, ModelAnswer>;
  readonly #plan: BatchPlan;
  readonly #requestSpecs: readonly TensorSpec[];
  readonly #onDispose: () => void;
  readonly #rejectNaN: boolean;
  readonly #states: readonly ResolvedState[];

  constructor(
    info: ModelInfo,
    replicas: readonly Replica[],
    queue: TaskQueue<ModelRequest, ModelAnswer>,
    plan: BatchPlan,
    onDispose: () => void,
    rejectNaN: boolean,
    states: readonly ResolvedState[],
  ) {
    this.#states = states;
    this.#replicas = replicas;
    this.#queue = queue;
    this.#plan = plan;
    this.#requestSpecs = requestInputSpecs(info.inputs, plan);
    this.#onDispose = onDispose;
    this.#rejectNaN = rejectNaN;
    this.id = info.modelId;
    this.format = info.format;
    this.#loadedOn = info.backend;
    // An own enumerable property (a summary spread or logged shows it), read live: a worker
    // restart that found WebGPU gone moves the model to WASM.
    Object.defineProperty(this, 'backend', { enumerable: true, get: (): Backend => this.#replicas[0]?.backend ?? this.#loadedOn });
    this.fallbackReason = info.fallbackReason;
    this.backendReason = info.backendReason;
    this.backendTimings = info.backendTimings;
    this.inputs = info.inputs;
    this.outputs = info.outputs;
    this.loadMs = info.loadMs;
    this.weightBytes = info.weightBytes ?? 0;
    this.operators = info.operators;
  }

  get sequenceStates(): readonly ResolvedState[] {
    return this.#states;
  }

  get disposed(): boolean {
    return this.#isDisposed;
  }

  get modality(): Modality {
    return this.#queue.modality;
  }

  get batching(): BatchPolicy {
    return this.#queue.policy;
  }

  get batchAxes(): Readonly<Record<string, number | null>> {
    const axes: Record<string, number | null> = {};
    for (const tensor of [...this.#plan.inputs, ...this.#plan.outputs]) axes[tensor.name] = tensor.batchAxis;
    return axes;
  }

  get replicas(): number {
    return this.#replicas.length;
  }

  toJSON(): ModelSummary {
    const { id, format, backend, fallbackReason, backendReason, disposed, inputs, outputs, loadMs } = this;
    return { id, format, backend, ...(fallbackReason === undefined ? {} : { fallbackReason }), backendReason, disposed, inputs, outputs, loadMs };
  }

  async run(inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    return (await this.runDetailed(inputs, options)).outputs;
  }

  /** Count `error` against `model`'s metrics as a request refused before it was queued; false when `model` is not a loaded model handle. */
  static refuse(model: Model, error: unknown): boolean {
    if (!(#queue in model)) return false;
    model.#queue.refused(error instanceof InpageError ? error.code : 'UNKNOWN');
    return true;
  }

  async runDetailed(inputs: TensorMap, options: RunOptions = {}): Promise<DetailedRunResult> {
    if (this.#isDisposed) throw new DisposedError(`Model "${this.id}" was disposed; load it again.`, { model: this.id });
    let units = 1;
    let batchKey: string | undefined;
    try {
      // Validate first: a rejected call queues nothing and detaches none of the caller's buffers.
      checkCallOptions(this.id, options);
      if (options.transfer !== undefined && typeof options.transfer !== 'boolean')
        throw new InvalidOptionsError(`Call option \`transfer\` for "${this.id}" must be true or false; got ${describeValue(options.transfer)}.`, {
          model: this.id,
          input: 'transfer',
          expected: 'true | false',
          got: describeValue(options.transfer),
        });
      validateInputs(this.id, this.#requestSpecs, inputs, { rejectNaN: this.#rejectNaN });
      // A model that does not batch runs each request alone: no units or key to work out.
      if (this.#plan.batchable) {
        units = requestUnits(this.id, inputs, this.#plan);
        batchKey = batchKeyOf(inputs, this.#plan);
      }
    } catch (error) {
      this.#queue.refused(error instanceof InpageError ? error.code : 'UNKNOWN');
      throw error;
    }
    const started = performance.now();
    let payload: TensorMap = inputs;
    if (options.transfer === false) {
      payload = {};
      for (const [name, t] of Object.entries(inputs)) payload[name] = copyTensor(t);
    }
    const { signal, priority, timeoutMs, supersedeKey } = options;
    const call = { signal, priority, timeoutMs, supersedeKey, batchKey };
    const answer = await this.#queue.run({ inputs: payload }, call, units);
    return { outputs: answer.outputs, timings: answer.timings, roundTripMs: performance.now() - started };
  }

  session(options?: SessionOptions): ModelSession {
    if (this.#isDisposed) throw new DisposedError(`Model "${this.id}" was disposed; load it again.`, { model: this.id });
    if (this.#states.length === 0)
      throw new InvalidOptionsError(`Model "${this.id}" declares no state to carry: load it with \`sequence: { state: [{ input, output }] }\`.`, {
        model: this.id,
        input: 'sequence',
        expected: '{ state: [{ input, output }, …] }',
        got: 'nothing',
      });
    return new ModelSession(this, this.#states, options);
  }

  reconfigure(batching: Partial<BatchPolicy>): BatchPolicy {
    return this.#queue.reconfigure(batching);
  }

  async dispose(): Promise<void> {
    if (this.#isDisposed) return;
    this.#isDisposed = true;
    this.#queue.close();
    this.#onDispose();
    await Promise.all(this.#replicas.map((replica) => replica.dispose()));
  }

  markDisposed(): void {
    this.#isDisposed = true;
    this.#queue.close();
    for (const replica of this.#replicas) replica.close();
  }
}

/**
 * Count a call a task refused before it reached the model's queue (bad options, an
 * already-aborted signal, undecodable input) in the model's error counts, as the model's
 * own validation does.
 */
export function countRefusal(model: Model, error: unknown): void {
  ModelHandle.refuse(model, error);
}

/** Wrap a loaded model (its self-healing replicas, queue and batch plan) into its handle. */
export function createModel(
  info: ModelInfo,
  replicas: readonly Replica[],
  queue: TaskQueue<ModelRequest, ModelAnswer>,
  plan: BatchPlan,
  onDispose: () => void,
  rejectNaN: boolean,
  states: readonly ResolvedState[] = [],
): ManagedModel {
  return new ModelHandle(info, replicas, queue, plan, onDispose, rejectNaN, states);
}
