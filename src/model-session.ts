/**
 * Stateful sequences (Triton's sequence batcher, simplified): a {@link ModelSession} is one
 * stream's handle on a model that carries named state tensors from one call to the next
 * (an output's value becomes an input of the next call: Silero VAD's `stateN` → `state`, an
 * RNN's hidden state). The state lives on the main thread with the session, so calls of
 * many sessions still go through the model's queue and batch together, on any replica.
 */
import type { BatchPlan } from './batching/plan';
import { InferenceError, InvalidInputError, InvalidOptionsError } from './errors';
import type { DetailedRunResult, RunOptions } from './model';
import type { Tensor, TensorMap, TensorSpec } from './protocol';
import { copyTensor, describeValue, elementCount, zerosTensor } from './tensor';
import { checkCallOptions } from './scheduler/call-options';
import { validateInputs } from './validate';

/** One state tensor a session carries: the value of `output` feeds `input` on the next call. */
export interface SequenceState {
  /** The input the state is fed to. */
  readonly input: string;
  /** The output that holds the next state. */
  readonly output: string;
}

/**
 * Which tensors a {@link ModelSession} carries from call to call.
 *
 * @example
 * { state: [{ input: 'state', output: 'stateN' }] } // Silero VAD v5
 */
export interface SequenceConfig {
  readonly state: readonly SequenceState[];
}

/** A state pair checked against the graph: the input's spec (one stream's shape) and the output. */
export interface ResolvedState {
  /** The input's spec with its batch axis fixed to 1 (one stream). */
  readonly input: TensorSpec;
  readonly output: string;
}

/** Options of {@link Model.session}. */
export interface SessionOptions {
  /**
   * The state inputs' first values, by input name (one stream's shape: batch axis 1).
   * @default zeros (the graph must then fix every other dimension)
   */
  readonly initial?: TensorMap;
  /** Defaults for every call of the session (priority, deadline …). */
  readonly call?: RunOptions;
}

/** What a session needs of its model. */
export interface SessionModel {
  readonly id: string;
  runDetailed(inputs: TensorMap, options?: RunOptions): Promise<DetailedRunResult>;
}

function optionsError(model: string, message: string, field: string, expected: string, got: string): InvalidOptionsError {
  return new InvalidOptionsError(message, { model, input: field, expected, got });
}

function isStatePair(value: unknown): value is SequenceState {
  if (typeof value !== 'object' || value === null) return false;
  const { input, output } = value as Record<string, unknown>;
  return typeof input === 'string' && typeof output === 'string';
}

/** Throw `INVALID_OPTIONS` unless `sequence` is `{ state: [{ input, output }, …] }` with distinct names (no graph needed). */
export function checkSequenceConfig(sequence: SequenceConfig | undefined): void {
  if (sequence === undefined) return;
  const state: unknown = typeof sequence === 'object' && sequence !== null ? sequence.state : undefined;
  if (!Array.isArray(state) || state.length === 0)
    throw optionsError(
      '',
      '`sequence.state` must be a non-empty list of { input, output } pairs.',
      'sequence.state',
      '[{ input, output }, …]',
      Array.isArray(state) ? '[]' : describeValue(state),
    );
  const seen = new Set<string>();
  for (const [i, pair] of state.entries()) {
    if (!isStatePair(pair))
      throw optionsError(
        '',
        `\`sequence.state[${i}]\` must be { input: string, output: string }.`,
        `sequence.state[${i}]`,
        '{ input, output }',
        describeValue(pair),
      );
    const { input } = pair;
    if (seen.has(input)) throw optionsError('', `\`sequence.state\` names input "${input}" twice.`, `sequence.state[${i}].input`, 'each input once', input);
    seen.add(input);
  }
}

/**
 * Check `sequence` against the graph and the batch plan: every `input` an input and every
 * `output` an output of the model, of one dtype, batched on the same axis when the model
 * batches. `INVALID_OPTIONS` naming the field otherwise.
 */
export function resolveSequence(
  model: string,
  sequence: SequenceConfig | undefined,
  plan: BatchPlan,
  inputs: readonly TensorSpec[],
  outputs: readonly TensorSpec[],
): ResolvedState[] {
  if (sequence === undefined) return [];
  return sequence.state.map(({ input, output }, i) => {
    const inSpec = inputs.find((s) => s.name === input);
    const outSpec = outputs.find((s) => s.name === output);
    const names = (specs: readonly TensorSpec[]): string => specs.map((s) => `"${s.name}"`).join(', ');
    if (inSpec === undefined)
      throw optionsError(
        model,
        `\`sequence.state[${i}].input\`: model "${model}" has no input "${input}"; its inputs are ${names(inputs)}.`,
        `sequence.state[${i}].input`,
        names(inputs),
        input,
      );
    if (outSpec === undefined)
      throw optionsError(
        model,
        `\`sequence.state[${i}].output\`: model "${model}" has no output "${output}"; its outputs are ${names(outputs)}.`,
        `sequence.state[${i}].output`,
        names(outputs),
        output,
      );
    if (inSpec.dtype !== outSpec.dtype)
      throw optionsError(
        model,
        `\`sequence.state[${i}]\`: "${output}" is ${outSpec.dtype} but "${input}" is ${inSpec.dtype}.`,
        `sequence.state[${i}]`,
        inSpec.dtype,
        outSpec.dtype,
      );
    const inAxis = plan.inputs.find((t) => t.name === input)?.batchAxis ?? null;
    const outAxis = plan.outputs.find((t) => t.name === output)?.batchAxis ?? null;
    if (plan.batchable && inAxis !== outAxis)
      throw optionsError(
        model,
        `\`sequence.state[${i}]\`: "${input}" is batched on axis ${String(inAxis)} but "${output}" on axis ${String(outAxis)}; declare both in \`batchAxes\`.`,
        `sequence.state[${i}]`,
        `axis ${String(inAxis)}`,
        `axis ${String(outAxis)}`,
      );
    const shape = inSpec.shape === null ? null : inSpec.shape.map((d, axis) => (axis === inAxis ? 1 : d));
    return { input: { ...inSpec, shape }, output };
  });
}

/** The first state of each pair: the caller's value (checked against one stream's shape) or zeros. */
function initialState(model: string, states: readonly ResolvedState[], initial: TensorMap | undefined): Map<string, Tensor> {
  const given = initial ?? {};
  for (const name of Object.keys(given))
    if (!states.some((s) => s.input.name === name))
      throw optionsError(
        model,
        `\`initial\`: "${name}" is not a state input of model "${model}".`,
        `initial.${name}`,
        states.map((s) => `"${s.input.name}"`).join(', '),
        name,
      );
  const values = new Map<string, Tensor>();
  for (const { input } of states) {
    const value = given[input.name];
    if (value !== undefined) {
      validateInputs(model, [input], { [input.name]: value });
      values.set(input.name, copyTensor(value));
      continue;
    }
    const dims = (input.shape ?? [Number.NaN]).map((d) => (typeof d === 'number' && d >= 0 ? d : Number.NaN));
    if (dims.some(Number.isNaN))
      throw optionsError(
        model,
        `The state "${input.name}" of model "${model}" has free dimensions [${(input.shape ?? ['?']).join(', ')}]: pass its first value in \`initial\`.`,
        `initial.${input.name}`,
        'a tensor',
        'nothing',
      );
    values.set(input.name, zerosTensor(input.dtype, dims));
  }
  return values;
}

/** Throw `INVALID_OPTIONS` unless `options` is `{ initial?: TensorMap, call?: RunOptions }` with well-formed call options. */
function checkSessionOptions(model: string, options: unknown): asserts options is SessionOptions {
  const isMap = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isMap(options)) throw optionsError(model, 'Session options must be an object.', 'options', 'an object', describeValue(options));
  const { initial, call } = options as Record<string, unknown>;
  if (initial !== undefined && !isMap(initial))
    throw optionsError(model, '`initial` must map state input names to tensors.', 'initial', 'an object of tensors', describeValue(initial));
  checkCallOptions(model, call);
}

/**
 * One stream on a stateful model. Calls run one after another (each sees the state the
 * previous one left); a call that fails or is rejected leaves the state as it was, so it
 * can be retried. Different sessions' calls batch together in the model's queue.
 *
 * @example
 * const stream = vad.session(); // `state` starts as zeros
 * for (const frame of frames) {
 *   const { output } = await stream.run({ input: tensor('float32', [1, 576], frame), sr });
 * }
 */
export class ModelSession {
  // ES private fields: `JSON.stringify(session)` gives only `toJSON()`'s summary.
  readonly #model: SessionModel;
  readonly #defaults: RunOptions;
  /** The state pairs, once known (a repository model's are known after its first load). */
  #states: readonly ResolvedState[] | undefined;
  readonly #resolveStates: () => Promise<readonly ResolvedState[]>;
  /** The state the next call gets; `undefined` until the pairs are known. */
  #state: Map<string, Tensor> | undefined;
  /** The `initial` values waiting for the pairs to be known. */
  #initial: TensorMap | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #calls = 0;
  #ended = false;

  /** @internal use `model.session()` */
  constructor(model: SessionModel, states: readonly ResolvedState[] | (() => Promise<readonly ResolvedState[]>), options: SessionOptions = {}) {
    checkSessionOptions(model.id, options);
    this.#model = model;
    this.#defaults = options.call ?? {};
    if (typeof states === 'function') {
      // The model loads later (a repository model): the first call sets the state up.
      this.#states = undefined;
      this.#resolveStates = states;
      this.#initial = options.initial;
    } else {
      this.#states = states;
      this.#resolveStates = () => Promise.resolve(states);
      this.#state = initialState(model.id, states, options.initial);
    }
  }

  /** Calls that ran (and advanced the state). */
  get calls(): number {
    return this.#calls;
  }

  /** True after {@link ModelSession.end}. */
  get ended(): boolean {
    return this.#ended;
  }

  /** A copy of the state the next call will get, by input name. */
  state(): TensorMap {
    const copy: TensorMap = {};
    for (const [name, value] of this.#state ?? []) copy[name] = copyTensor(value);
    return copy;
  }

  /**
   * Run one step: `inputs` are the model's inputs minus the state inputs, which the session
   * adds. Resolves with all outputs (the new state included); the state advances.
   */
  async run(inputs: TensorMap, options?: RunOptions): Promise<TensorMap> {
    return (await this.runDetailed(inputs, options)).outputs;
  }

  /** Like {@link ModelSession.run}, with stage timings. */
  runDetailed(inputs: TensorMap, options: RunOptions = {}): Promise<DetailedRunResult> {
    const model = this.#model.id;
    if (this.#ended)
      return Promise.reject(
        new InvalidInputError(`This session of model "${model}" has ended; start a new one.`, {
          model,
          input: 'session',
          expected: 'an open session',
          got: 'ended',
        }),
      );
    if (typeof inputs === 'object' && inputs !== null)
      for (const { input } of this.#states ?? [])
        if (input.name in inputs)
          return Promise.reject(
            new InvalidInputError(`"${input.name}" is the session's state (carried from call to call); leave it out, or use reset().`, {
              model,
              input: input.name,
              expected: 'no value (the session supplies it)',
              got: describeValue(inputs[input.name]),
            }),
          );
    const step = this.#chain.then(() => this.step(inputs, { ...this.#defaults, ...options }));
    this.#chain = step.catch(() => undefined);
    return step;
  }

  /** The state pairs and the current state, set up on first use when the model loads late. */
  private async current(): Promise<{ states: readonly ResolvedState[]; state: Map<string, Tensor> }> {
    if (this.#states === undefined || this.#state === undefined) {
      const states = await this.#resolveStates();
      this.#state = initialState(this.#model.id, states, this.#initial);
      this.#states = states;
    }
    return { states: this.#states, state: this.#state };
  }

  private async step(inputs: TensorMap, options: RunOptions): Promise<DetailedRunResult> {
    const { states, state } = await this.current();
    for (const { input } of states)
      if (typeof inputs === 'object' && inputs !== null && input.name in inputs)
        throw new InvalidInputError(`"${input.name}" is the session's state (carried from call to call); leave it out, or use reset().`, {
          model: this.#model.id,
          input: input.name,
          expected: 'no value (the session supplies it)',
          got: describeValue(inputs[input.name]),
        });
    const merged: TensorMap = { ...inputs };
    // Copies: the request's buffers are transferred, the session keeps its own.
    for (const [name, value] of state) merged[name] = copyTensor(value);
    const result = await this.#model.runDetailed(merged, options);
    const next = new Map<string, Tensor>();
    for (const { input, output } of states) {
      const value = result.outputs[output];
      const current = state.get(input.name);
      if (value === undefined || current === undefined || value.dtype !== current.dtype || elementCount(value.dims) !== elementCount(current.dims))
        throw new InferenceError(
          `Model "${this.#model.id}" returned "${output}" as ${describeValue(value)}, which cannot be the next "${input.name}" (${current?.dtype ?? '?'} [${current?.dims.join(', ') ?? ''}]).`,
          {
            model: this.#model.id,
            input: output,
          },
        );
      next.set(input.name, copyTensor({ ...value, dims: current.dims }));
    }
    this.#state = next;
    this.#calls += 1;
    return result;
  }

  /** Start over from `initial` (default: the first state rules of {@link SessionOptions.initial}), after the calls already queued. */
  reset(initial?: TensorMap): Promise<void> {
    const states = this.#states;
    const values = states === undefined ? undefined : initialState(this.#model.id, states, initial);
    const done = this.#chain.then(() => {
      this.#state = values;
      this.#initial = initial;
    });
    this.#chain = done;
    return done;
  }

  /** End the session: later calls reject with `INVALID_INPUT`; calls already queued finish. */
  end(): void {
    this.#ended = true;
  }

  /** A plain summary for logs and `JSON.stringify(session)`. */
  toJSON(): { readonly kind: 'session'; readonly model: string; readonly calls: number; readonly ended: boolean; readonly state: readonly string[] } {
    return { kind: 'session', model: this.#model.id, calls: this.#calls, ended: this.#ended, state: (this.#states ?? []).map((s) => s.input.name) };
  }
}
