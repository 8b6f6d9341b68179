/**
 * A loaded model's handle: its signature, the backend it runs on, `run` and `dispose`.
 */
import { transfer } from 'comlink';
import { DisposedError } from './errors';
import type { Backend, ModelFormat, ModelInfo, RunTimings, TensorMap, TensorSpec } from './protocol';
import { copyTensor, transferablesOf } from './tensor';
import { validateInputs } from './validate';
import type { WorkerClient } from './worker-client';

/** Options for one {@link Model.run} call. */
export interface RunOptions {
  /**
   * Transfer the input buffers to the worker (zero copy; your arrays are detached
   * afterwards). Set `false` to keep using them: the runtime then copies.
   * @default true
   */
  readonly transfer?: boolean;
}

/** Outputs plus where the time went. */
export interface DetailedRunResult {
  readonly outputs: TensorMap;
  /** Stage timings measured in the worker. */
  readonly timings: RunTimings;
  /** Main-thread wall time from send to answer, ms. */
  readonly roundTripMs: number;
}

/**
 * A model loaded in a worker.
 *
 * @example
 * const out = await model.run({ input: tensor('float32', [1, 576], frame), state, sr });
 * console.log(model.backend, out.output.data[0]);
 */
export interface Model {
  readonly id: string;
  readonly format: ModelFormat;
  /** The backend the session runs on: `'webgpu'`, `'wasm'` or `'cpu'`. */
  readonly backend: Backend;
  /** Why `'auto'` did not get WebGPU, when it did not. */
  readonly fallbackReason: string | undefined;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Session creation time inside the worker, ms. */
  readonly loadMs: number;
  /** Run the model. Invalid inputs reject with `INVALID_INPUT` before anything is sent. */
  run(inputs: TensorMap, options?: RunOptions): Promise<TensorMap>;
  /** Like {@link Model.run}, with stage timings. */
  runDetailed(inputs: TensorMap, options?: RunOptions): Promise<DetailedRunResult>;
  /** Free the session. Later calls fail with `DISPOSED`. */
  dispose(): Promise<void>;
  readonly disposed: boolean;
  /**
   * A plain summary for logs and `JSON.stringify(model)`; the handle's worker connection
   * is private and never walked.
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
  readonly disposed: boolean;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly loadMs: number;
}

/** The runtime's extra hook on a model. */
export interface ManagedModel extends Model {
  /** Mark disposed without a worker call (the worker is going away). */
  markDisposed(): void;
}

class ModelHandle implements ManagedModel {
  readonly id: string;
  readonly format: ModelFormat;
  readonly backend: Backend;
  readonly fallbackReason: string | undefined;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly loadMs: number;
  // ES private fields, not TypeScript `private`: they are not enumerable, so
  // `JSON.stringify`, spreading or a logger never walks the worker client (a comlink
  // proxy answers any property, `toJSON` included, with a call to the worker).
  #isDisposed = false;
  readonly #client: WorkerClient;
  readonly #onDispose: () => void;
  readonly #rejectNaN: boolean;

  constructor(info: ModelInfo, client: WorkerClient, onDispose: () => void, rejectNaN: boolean) {
    this.#client = client;
    this.#onDispose = onDispose;
    this.#rejectNaN = rejectNaN;
    this.id = info.modelId;
    this.format = info.format;
    this.backend = info.backend;
    this.fallbackReason = info.fallbackReason;
    this.inputs = info.inputs;
    this.outputs = info.outputs;
    this.loadMs = info.loadMs;
  }

  get disposed(): boolean {
    return this.#isDisposed;
  }

  toJSON(): ModelSummary {
    const { id, format, backend, fallbackReason, disposed, inputs, outputs, loadMs } = this;
    return { id, format, backend, ...(fallbackReason === undefined ? {} : { fallbackReason }), disposed, inputs, outputs, loadMs };
  }

  async run(inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    return (await this.runDetailed(inputs, options)).outputs;
  }

  async runDetailed(inputs: TensorMap, options: RunOptions = {}): Promise<DetailedRunResult> {
    if (this.#isDisposed) throw new DisposedError(`Model "${this.id}" was disposed; load it again.`, { model: this.id });
    // Validate here first: a rejected call must not detach the caller's buffers.
    validateInputs(this.id, this.inputs, inputs, { rejectNaN: this.#rejectNaN });
    const started = performance.now();
    let payload: TensorMap = inputs;
    if (options.transfer === false) {
      payload = {};
      for (const [name, t] of Object.entries(inputs)) payload[name] = copyTensor(t);
    }
    const sent = transfer(payload, transferablesOf(Object.values(payload)));
    const result = await this.#client.call((api) => api.run(this.id, sent));
    return { outputs: result.outputs, timings: result.timings, roundTripMs: performance.now() - started };
  }

  async dispose(): Promise<void> {
    if (this.#isDisposed) return;
    this.#isDisposed = true;
    this.#onDispose();
    if (!this.#client.closed) await this.#client.call((api) => api.release(this.id));
  }

  markDisposed(): void {
    this.#isDisposed = true;
  }
}

/** Wrap a loaded model's info into its handle. */
export function createModel(info: ModelInfo, client: WorkerClient, onDispose: () => void, rejectNaN: boolean): ManagedModel {
  return new ModelHandle(info, client, onDispose, rejectNaN);
}
