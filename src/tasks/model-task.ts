/**
 * Base of the task handles built on one scheduled model (`runtime.load` with a config):
 * what they share is the model, its backend and metrics name, its batching policy, and
 * disposal. The model is an ES private field: not enumerable, so `JSON.stringify`,
 * spreading or a logger never walks its worker connections; `toJSON()` gives a summary.
 */
import type { Model } from '../model';
import type { BackendTiming } from '../protocol';
import type { TaskKind } from '../protocol';
import type { BatchPolicy } from '../scheduler/policy';
import type { TaskSummary } from './replicated-task';

/** A task handle over one scheduled model. */
export abstract class ModelTask {
  readonly #model: Model;
  readonly #kind: TaskKind;

  /** @internal */
  constructor(model: Model, kind: TaskKind) {
    this.#model = model;
    this.#kind = kind;
  }

  /** The scheduled model the task runs on, with its batching config. */
  get model(): Model {
    return this.#model;
  }

  /** The backend the model runs on. */
  get backend(): string {
    return this.#model.backend;
  }

  /** Why `'auto'` did not get WebGPU, when it did not. */
  get fallbackReason(): string | undefined {
    return this.#model.fallbackReason;
  }

  /** Why the model runs on {@link ModelTask.backend}: asked for, measured faster at load, or the only one that works. */
  get backendReason(): string {
    return this.#model.backendReason;
  }

  /** What `'auto'` measured at load (median ms per call, by backend and batch size), when it timed the backends. */
  get backendTimings(): readonly BackendTiming[] | undefined {
    return this.#model.backendTimings;
  }

  /** The name the task reports metrics under (its model's id). */
  get name(): string {
    return this.#model.id;
  }

  /** The batching policy in force (the modality's defaults with the task's overrides). */
  get batching(): BatchPolicy {
    return this.#model.batching;
  }

  /** True after `dispose()` (or the runtime's). */
  get disposed(): boolean {
    return this.#model.disposed;
  }

  /**
   * Change batching settings while requests flow (queued ones keep their place).
   *
   * @example
   * vad.reconfigure({ maxBatchSize: 1 }); // batching off, e.g. for an A/B comparison
   */
  reconfigure(batching: Partial<BatchPolicy>): BatchPolicy {
    return this.#model.reconfigure(batching);
  }

  /**
   * A plain summary for logs and `JSON.stringify(task)`.
   *
   * @example
   * JSON.stringify(vad); // '{"kind":"vad","name":"vad-1","backend":"wasm","disposed":false,"replicas":1}'
   */
  toJSON(): TaskSummary {
    return { kind: this.#kind, name: this.name, backend: this.#model.backend, disposed: this.#model.disposed, replicas: this.#model.replicas };
  }

  /** Free the model; queued requests reject with `DISPOSED`. */
  dispose(): Promise<void> {
    return this.#model.dispose();
  }
}
