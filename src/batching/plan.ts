/**
 * A model's batching config resolved against its signature: the `BatchPlan` that the
 * stacking code follows (`stack.ts`). It is plain data (it crosses to a worker by
 * structured clone), and every bad config field fails here, at load time, with an
 * `InvalidOptionsError` whose `input` is the field path (`batchAxes.state`).
 *
 * Batch axes are taken from `batchAxes` where declared, and otherwise inferred:
 * 1. An input of unknown shape (`null`, any rank) must be declared: its axis cannot be
 *    guessed. An output of unknown shape gets axis 0 when some input is batched (checked
 *    when the outputs are split).
 * 2. When no input has a batch axis, no output has one either (the model cannot batch).
 * 3. A scalar, or a shape whose every dimension is fixed, has no batch axis (`null`).
 * 4. A symbolic dimension equal to a batch symbol gives that axis (the first such):
 *    `state` [2, batch, 128] beside `input` [batch, 576] → 1. The batch symbols are the
 *    symbols at the inputs' declared batch axes; when no declared axis is symbolic, the
 *    symbols at axis 0 of the inputs.
 * 5. Otherwise a free (`null`) or symbolic leading dimension gives axis 0.
 * 6. Otherwise (the leading dimension is fixed and another is not) the axis is ambiguous:
 *    declare it.
 *
 * A batch axis may not be a dimension the graph fixes, except to 1: that caps the model at
 * one unit per engine call (`batchable: false`). A graph that fixes its batch to N > 1
 * can only run batches of exactly N, which a dynamic batcher cannot promise; it is refused.
 */
import type { TensorDType, TensorSpec } from '../protocol';
import { formatShape } from '../tensor';
import type { BatchingConfig } from './config';
import { checkAxis, configError, describeConfigValue, describeTensor, isRecord, unfixedAxes } from './config-checks';
import { concatNamesOf, type ConcatAxis } from './concat-plan';
import { maskNameOf, resolveRagged, type RaggedAxis } from './ragged-plan';

/** One input requests give, as the batch is built from it. */
export interface PlannedInput {
  readonly name: string;
  readonly dtype: TensorDType;
  /** The axis requests are stacked along; `null`: taken from the first request (all are equal). */
  readonly batchAxis: number | null;
  /** Pad mode: the axis padded to the longest request, and the value it is padded with. */
  readonly ragged: RaggedAxis | null;
  /** Concat mode: this input's rows are joined along axis 0 (its `batchAxis` is `null`). */
  readonly concat: ConcatAxis | null;
}

/** One output, as it is split back to the requests. */
export interface PlannedOutput {
  readonly name: string;
  readonly dtype: TensorDType;
  /** The axis split by the requests' units; `null`: every request gets a copy. */
  readonly batchAxis: number | null;
  /** Pad mode: the axis cut back to each request's length. */
  readonly cutAxis: number | null;
}

/** The mask input the runtime builds in pad mode: `[units, maxLength]`, 1 for real positions. */
export interface PlannedMask {
  readonly name: string;
  readonly dtype: TensorDType;
}

/**
 * How one model's requests are stacked into a batch and its outputs split back. Plain,
 * structured-clonable data.
 */
export interface BatchPlan {
  /** The model the plan was resolved for (named in errors). */
  readonly model: string;
  /** `group`: only same-shape requests share a batch; `pad`: ragged inputs are padded; `concat`: rows are joined. */
  readonly mode: 'group' | 'pad' | 'concat';
  /** False when the graph runs one unit per call: no input has a batch axis, or one is fixed to 1. */
  readonly batchable: boolean;
  /** The most units per call the graph allows; `null`: no limit. */
  readonly graphMaxBatchSize: number | null;
  /** The configured `maxBatchSize`, else the graph's limit (1 when not batchable); `null`: no limit. */
  readonly maxBatchSize: number | null;
  /** The inputs requests give, in the model's order (the mask is not one of them). */
  readonly inputs: readonly PlannedInput[];
  readonly outputs: readonly PlannedOutput[];
  /** Pad mode's mask input, when declared. */
  readonly mask: PlannedMask | null;
  /** Pad mode: the ragged input whose length is each request's length (the first in `ragged.inputs`). */
  readonly lengthsFrom: string | null;
}

/**
 * Resolve `config` against a model's signature into a {@link BatchPlan}; throw
 * `InvalidOptionsError` (its `input` the field path) on the first bad field.
 *
 * @example
 * const plan = resolveBatchPlan('vad', specs.inputs, specs.outputs, { batchAxes: { stateN: 1 } });
 * plan.inputs.map((i) => i.batchAxis); // [0, 1, null] for input [batch, 576], state [2, batch, 128], sr []
 */
export function resolveBatchPlan(model: string, inputs: readonly TensorSpec[], outputs: readonly TensorSpec[], config: BatchingConfig): BatchPlan {
  const declared = readBatchAxes(model, inputs, outputs, config.batchAxes);
  const maskName = maskNameOf(config.ragged);
  const joinedNames = new Set(concatNamesOf(config.ragged));
  const requestInputs = inputs.filter((spec) => spec.name !== maskName);
  // Joined inputs (concat mode) have rows on axis 0, not a batch axis: nothing to infer.
  const axisInputs = requestInputs.filter((spec) => !joinedNames.has(spec.name));
  const symbols = batchSymbols(axisInputs, declared);
  const inputAxes = new Map(axisInputs.map((spec) => [spec.name, axisOf(model, spec, 'input', declared, symbols, true)]));
  // Joined rows carry items too: the outputs then have a batch axis to split by.
  const anyBatched = [...inputAxes.values()].some((axis) => axis !== null) || joinedNames.size > 0;
  const outputAxes = new Map(outputs.map((spec) => [spec.name, axisOf(model, spec, 'output', declared, symbols, anyBatched)]));
  const ragged = resolveRagged(model, config.ragged, { inputs, outputs, inputAxes, outputAxes, declared });

  const batched = [...requestInputs, ...outputs].flatMap((spec) => {
    const axis = inputAxes.get(spec.name) ?? outputAxes.get(spec.name) ?? null;
    return axis === null ? [] : [{ spec, axis }];
  });
  const maskSpec = inputs.find((spec) => spec.name === ragged.mask?.name);
  if (maskSpec !== undefined) batched.push({ spec: maskSpec, axis: 0 });
  const fixed = batched.flatMap(({ spec, axis }) => {
    const dim = spec.shape?.[axis];
    return typeof dim === 'number' ? [{ spec, axis, dim }] : [];
  });
  const graphMax = anyBatched ? (fixed.length === 0 ? null : Math.min(...fixed.map((f) => f.dim))) : 1;
  const batchable = graphMax !== 1;

  const maxBatchSize = config.maxBatchSize;
  if (maxBatchSize !== undefined) {
    if (typeof maxBatchSize !== 'number' || !Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
      throw configError(
        model,
        'maxBatchSize',
        `must be an integer from 1 and up (units per engine call); got ${describeConfigValue(maxBatchSize)}.`,
        'an integer ≥ 1',
        describeConfigValue(maxBatchSize),
      );
    }
    if (!anyBatched && maxBatchSize > 1) {
      const shapes = requestInputs.map(describeTensor).join(', ');
      throw configError(
        model,
        'maxBatchSize',
        `is ${maxBatchSize}, but the model cannot batch: none of its inputs has a batch axis (${shapes || 'no inputs'}). Declare the batch axis of its inputs in \`batchAxes\`, or set \`maxBatchSize: 1\`.`,
        '1 (no input has a batch axis)',
        String(maxBatchSize),
      );
    }
    if (graphMax !== null && maxBatchSize > graphMax) {
      const why = fixed.map(({ spec, axis, dim }) => `${describeTensor(spec)} fixes batch axis ${axis} to ${dim}`)[0] ?? 'no input has a batch axis';
      throw configError(
        model,
        'maxBatchSize',
        `is ${maxBatchSize}, above the ${graphMax} the graph allows (${why}). Set \`maxBatchSize: ${graphMax}\`, or export the model with a free batch dimension.`,
        `at most ${graphMax}`,
        String(maxBatchSize),
      );
    }
  }

  return {
    model,
    mode: ragged.mode,
    batchable,
    graphMaxBatchSize: graphMax,
    maxBatchSize: maxBatchSize ?? graphMax,
    inputs: requestInputs.map((spec) => ({
      name: spec.name,
      dtype: spec.dtype,
      batchAxis: inputAxes.get(spec.name) ?? null,
      ragged: ragged.inputs.get(spec.name) ?? null,
      concat: ragged.joined.get(spec.name) ?? null,
    })),
    outputs: outputs.map((spec) => ({
      name: spec.name,
      dtype: spec.dtype,
      batchAxis: outputAxes.get(spec.name) ?? null,
      cutAxis: ragged.outputs.get(spec.name) ?? null,
    })),
    mask: ragged.mask,
    lengthsFrom: ragged.lengthsFrom,
  };
}

/**
 * The input specs requests are checked against: the model's inputs without pad mode's
 * mask (the runtime builds it; requests omit it).
 */
export function requestInputSpecs(inputs: readonly TensorSpec[], plan: BatchPlan): TensorSpec[] {
  return inputs.filter((spec) => spec.name !== plan.mask?.name);
}

/** Read and check `batchAxes`: names, integer axes in range, no axis the graph fixes (except to 1). */
function readBatchAxes(model: string, inputs: readonly TensorSpec[], outputs: readonly TensorSpec[], batchAxes: unknown): Map<string, number | null> {
  const declared = new Map<string, number | null>();
  if (batchAxes === undefined) return declared;
  if (!isRecord(batchAxes)) {
    throw configError(
      model,
      'batchAxes',
      `must be an object mapping tensor names to an axis or null; got ${describeConfigValue(batchAxes)}.`,
      '{ [tensor]: number | null }',
      describeConfigValue(batchAxes),
    );
  }
  const specs = new Map([...outputs, ...inputs].map((spec) => [spec.name, spec]));
  for (const [name, value] of Object.entries(batchAxes)) {
    const path = `batchAxes.${name}`;
    const spec = specs.get(name);
    if (spec === undefined) {
      const names = [...inputs, ...outputs].map((s) => s.name);
      throw configError(
        model,
        path,
        `names no input or output of the model; its tensors are ${names.map((n) => `"${n}"`).join(', ')}.`,
        names.join(', '),
        name,
      );
    }
    if (value === null) {
      declared.set(name, null);
      continue;
    }
    const axis = checkAxis(model, path, spec, value, 'batch axis', ', or null for no batch axis');
    const dim = spec.shape?.[axis];
    if (typeof dim === 'number' && dim !== 1) {
      const free = unfixedAxes(spec);
      const hint = free.length === 0 ? `null (${describeTensor(spec)} has no free dimension)` : `the axis whose size is the batch (${free.join(' or ')})`;
      throw configError(
        model,
        path,
        `is ${axis}, but the graph fixes that dimension of ${describeTensor(spec)} to ${dim}: a batch axis must be free or symbolic. Declare ${hint}, or null if requests share "${name}".`,
        free.length === 0 ? 'null' : `one of ${free.join(', ')}, or null`,
        `${axis} (fixed to ${dim})`,
      );
    }
    declared.set(name, axis);
  }
  return declared;
}

/** The symbols that name the batch dimension (see the file comment, rule 4). */
function batchSymbols(inputs: readonly TensorSpec[], declared: ReadonlyMap<string, number | null>): Set<string> {
  const fromDeclared = new Set<string>();
  const leading = new Set<string>();
  for (const spec of inputs) {
    const axis = declared.get(spec.name);
    const atAxis = axis === undefined || axis === null ? undefined : spec.shape?.[axis];
    if (typeof atAxis === 'string') fromDeclared.add(atAxis);
    const first = spec.shape?.[0];
    if (axis === undefined && typeof first === 'string') leading.add(first);
  }
  return fromDeclared.size > 0 ? fromDeclared : leading;
}

/** The batch axis of one tensor: declared, or inferred (see the file comment). */
function axisOf(
  model: string,
  spec: TensorSpec,
  kind: 'input' | 'output',
  declared: ReadonlyMap<string, number | null>,
  symbols: ReadonlySet<string>,
  anyBatched: boolean,
): number | null {
  const given = declared.get(spec.name);
  if (given !== undefined) return given;
  if (!anyBatched) return null;
  const shape = spec.shape;
  const path = `batchAxes.${spec.name}`;
  if (shape === null) {
    if (kind === 'output') return 0;
    throw configError(
      model,
      path,
      `is needed: input "${spec.name}" has no declared shape, so its batch axis cannot be inferred. Declare the axis whose size is the batch, or null if every request in a batch gives the same "${spec.name}".`,
      'an axis, or null',
      'nothing (shape unknown)',
    );
  }
  if (shape.every((dim) => typeof dim === 'number')) return null;
  const symbolic = shape.findIndex((dim) => typeof dim === 'string' && symbols.has(dim));
  if (symbolic >= 0) return symbolic;
  if (typeof shape[0] !== 'number') return 0;
  const free = unfixedAxes(spec);
  throw configError(
    model,
    path,
    `is needed: the batch axis of ${kind} "${spec.name}" ${formatShape(shape)} is ambiguous (its leading dimension is fixed to ${String(shape[0])}; ${free.length === 1 ? 'axis' : 'axes'} ${free.join(', ')} ${free.length === 1 ? 'is' : 'are'} not). Declare it, e.g. \`batchAxes: { "${spec.name}": ${String(free[0])} }\`, or null if requests share it.`,
    `one of ${free.join(', ')}, or null`,
    'nothing (ambiguous)',
  );
}
