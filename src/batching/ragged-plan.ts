/**
 * The `ragged` part of a batching config, checked against the model's signature and its
 * batch axes: pad mode's ragged input axes and pad values, its mask input and the outputs
 * cut back to each request's length. Every bad field fails with `InvalidOptionsError`
 * naming its path (`ragged.inputs.input_ids.axis`).
 */
import type { TensorDType, TensorSpec } from '../protocol';
import { resolveConcat, type ConcatAxis } from './concat-plan';
import { checkAxis, configError, describeConfigValue, describeTensor, isRecord } from './config-checks';

/** A ragged input's padded axis and pad value. */
export interface RaggedAxis {
  readonly axis: number;
  readonly padValue: number;
}

/** The checked `ragged` config. */
export interface ResolvedRagged {
  readonly mode: 'group' | 'pad' | 'concat';
  readonly inputs: ReadonlyMap<string, RaggedAxis>;
  /** Concat mode: the joined inputs. */
  readonly joined: ReadonlyMap<string, ConcatAxis>;
  readonly mask: { readonly name: string; readonly dtype: TensorDType } | null;
  /** Cut axis by output name. */
  readonly outputs: ReadonlyMap<string, number>;
  readonly lengthsFrom: string | null;
}

/** What the ragged checks need to know of the model and its batch axes. */
export interface RaggedContext {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Batch axis by request input name (the mask excluded). */
  readonly inputAxes: ReadonlyMap<string, number | null>;
  readonly outputAxes: ReadonlyMap<string, number | null>;
  /** What `batchAxes` declared. */
  readonly declared: ReadonlyMap<string, number | null>;
}

const padKeys = new Set(['mode', 'inputs', 'mask', 'outputs']);

// The values each dtype holds exactly; a pad value outside them would be silently changed.
const float32Max = 3.4028234663852886e38;
const integerRange: Record<Exclude<TensorDType, 'float32'>, readonly [number, number]> = {
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255],
  int8: [-128, 127],
  bool: [0, 1],
};

/** The mask input's name when `ragged` is a pad config naming one (unchecked: for excluding it early). */
export function maskNameOf(ragged: unknown): string | undefined {
  return isRecord(ragged) && ragged.mode === 'pad' && typeof ragged.mask === 'string' ? ragged.mask : undefined;
}

/** Check `ragged` (absent: group mode) against the model. */
export function resolveRagged(model: string, ragged: unknown, context: RaggedContext): ResolvedRagged {
  const group: ResolvedRagged = { mode: 'group', inputs: new Map(), joined: new Map(), mask: null, outputs: new Map(), lengthsFrom: null };
  if (ragged === undefined) return group;
  if (!isRecord(ragged)) {
    throw configError(
      model,
      'ragged',
      `must be { mode: 'group' }, { mode: 'pad', inputs, … } or { mode: 'concat', inputs }; got ${describeConfigValue(ragged)}.`,
      'an object',
      describeConfigValue(ragged),
    );
  }
  const mode = ragged.mode;
  if (mode === 'group') {
    const extra = Object.keys(ragged).find((key) => key !== 'mode');
    if (extra !== undefined) {
      throw configError(
        model,
        `ragged.${extra}`,
        `applies to mode 'pad' only: in mode 'group' requests of different shapes go to different batches and nothing is padded. Use \`ragged: { mode: 'pad', … }\` or remove \`${extra}\`.`,
        "nothing (mode 'group')",
        describeConfigValue(ragged[extra]),
      );
    }
    return group;
  }
  if (mode === 'concat') {
    const otherBatched = [...context.inputAxes.values()].some((axis) => axis !== null);
    return { ...group, mode: 'concat', joined: resolveConcat(model, ragged, { inputs: context.inputs, declared: context.declared, otherBatched }) };
  }
  if (mode !== 'pad') {
    throw configError(
      model,
      'ragged.mode',
      `must be 'group' (same-shape requests batch together), 'pad' (ragged inputs are padded) or 'concat' (rows joined end to end); got ${describeConfigValue(mode)}.`,
      "'group' | 'pad' | 'concat'",
      describeConfigValue(mode),
    );
  }
  const extra = Object.keys(ragged).find((key) => !padKeys.has(key));
  if (extra !== undefined) {
    throw configError(model, `ragged.${extra}`, `is not a ragged option; the options are mode, inputs, mask and outputs.`, [...padKeys].join(', '), extra);
  }
  const raggedInputs = ragged.inputs;
  if (!isRecord(raggedInputs) || Object.keys(raggedInputs).length === 0) {
    throw configError(
      model,
      'ragged.inputs',
      `must name at least one input to pad, e.g. \`{ input_ids: { axis: 1, padValue: 0 } }\`; got ${describeConfigValue(raggedInputs)}.`,
      '{ [input]: { axis, padValue? } }',
      describeConfigValue(raggedInputs),
    );
  }
  const mask = resolveMask(model, ragged.mask, Object.keys(raggedInputs), context);
  const inputs = new Map<string, RaggedAxis>();
  for (const [name, entry] of Object.entries(raggedInputs)) inputs.set(name, resolveRaggedInput(model, name, entry, context));
  const outputs = resolveCutOutputs(model, ragged.outputs, context);
  return { mode: 'pad', inputs, joined: new Map(), mask, outputs, lengthsFrom: inputs.keys().next().value ?? null };
}

function resolveRaggedInput(model: string, name: string, entry: unknown, context: RaggedContext): RaggedAxis {
  const path = `ragged.inputs.${name}`;
  const spec = findTensor(model, path, name, 'input', context);
  if (!isRecord(entry)) {
    throw configError(model, path, `must be { axis, padValue? }; got ${describeConfigValue(entry)}.`, '{ axis, padValue? }', describeConfigValue(entry));
  }
  const extra = Object.keys(entry).find((key) => key !== 'axis' && key !== 'padValue');
  if (extra !== undefined)
    throw configError(model, `${path}.${extra}`, 'is not an option of a ragged input; the options are axis and padValue.', 'axis, padValue', extra);
  const axis = checkLengthAxis(model, path, spec, entry.axis, context.inputAxes.get(name) ?? null, {
    what: 'ragged axis',
    noBatchAxis: `pads input "${name}", which has no batch axis: a padded input is stacked along its batch axis. Declare \`batchAxes.${name}\`.`,
    kind: 'an input with a batch axis',
    isBatchAxis: 'the ragged axis is the one whose length differs between requests (e.g. the sequence axis).',
    isFixed: 'so its length cannot differ between requests. Name the axis whose length varies.',
  });
  const padValue = entry.padValue ?? 0;
  const problem = padValueProblem(spec.dtype, padValue);
  if (problem !== undefined) {
    throw configError(
      model,
      `${path}.padValue`,
      `must be ${problem} to pad ${spec.dtype} input "${name}"; got ${describeConfigValue(padValue)}.`,
      problem,
      describeConfigValue(padValue),
    );
  }
  return { axis, padValue: typeof padValue === 'number' ? padValue : 0 };
}

function resolveMask(model: string, mask: unknown, raggedNames: readonly string[], context: RaggedContext): ResolvedRagged['mask'] {
  if (mask === undefined) return null;
  const path = 'ragged.mask';
  if (typeof mask !== 'string') {
    throw configError(
      model,
      path,
      `must name an input the runtime fills with 1 for real positions and 0 for padding; got ${describeConfigValue(mask)}.`,
      'an input name',
      describeConfigValue(mask),
    );
  }
  const spec = findTensor(model, path, mask, 'input', context);
  if (raggedNames.includes(mask)) {
    throw configError(
      model,
      path,
      `is "${mask}", which is also in \`ragged.inputs\`: the runtime builds the mask (requests omit it), so it is not padded. Remove it from \`ragged.inputs\`.`,
      'an input not in ragged.inputs',
      mask,
    );
  }
  const shape = spec.shape;
  const fixedLength = shape?.[1];
  const fixedBatch = shape?.[0];
  if (shape !== null && (shape.length !== 2 || typeof fixedLength === 'number' || (typeof fixedBatch === 'number' && fixedBatch !== 1))) {
    throw configError(
      model,
      path,
      `is "${mask}", but ${describeTensor(spec)} is not [batch, length]: the mask the runtime builds has one row per unit and one column per position.`,
      '[batch, length]',
      describeTensor(spec),
    );
  }
  const declaredAxis = context.declared.get(mask);
  if (declaredAxis !== undefined && declaredAxis !== 0) {
    throw configError(
      model,
      `batchAxes.${mask}`,
      `is ${String(declaredAxis)}, but "${mask}" is the mask, which is [batch, length]: its batch axis is 0. Remove it from \`batchAxes\`.`,
      '0',
      String(declaredAxis),
    );
  }
  return { name: mask, dtype: spec.dtype };
}

function resolveCutOutputs(model: string, outputs: unknown, context: RaggedContext): Map<string, number> {
  const cut = new Map<string, number>();
  if (outputs === undefined) return cut;
  if (!isRecord(outputs)) {
    throw configError(
      model,
      'ragged.outputs',
      `must map output names to { axis }; got ${describeConfigValue(outputs)}.`,
      '{ [output]: { axis } }',
      describeConfigValue(outputs),
    );
  }
  for (const [name, entry] of Object.entries(outputs)) {
    const path = `ragged.outputs.${name}`;
    const spec = findTensor(model, path, name, 'output', context);
    if (!isRecord(entry)) throw configError(model, path, `must be { axis }; got ${describeConfigValue(entry)}.`, '{ axis }', describeConfigValue(entry));
    const extra = Object.keys(entry).find((key) => key !== 'axis');
    if (extra !== undefined) throw configError(model, `${path}.${extra}`, 'is not an option of a ragged output; the only option is axis.', 'axis', extra);
    const axis = checkLengthAxis(model, path, spec, entry.axis, context.outputAxes.get(name) ?? null, {
      what: 'cut axis',
      noBatchAxis: `cuts output "${name}", which has no batch axis: only an output split per request can be cut to each request's length. Declare \`batchAxes.${name}\`.`,
      kind: 'an output with a batch axis',
      isBatchAxis: 'name the axis that follows the input length.',
      isFixed: 'so it does not follow the input length.',
    });
    cut.set(name, axis);
  }
  return cut;
}

/** What {@link checkLengthAxis} says when a ragged input's or cut output's axis is wrong. */
interface LengthAxisWords {
  /** The axis in messages: "ragged axis", "cut axis". */
  readonly what: string;
  /** The whole problem when the tensor has no batch axis. */
  readonly noBatchAxis: string;
  /** `expected` then: "an input with a batch axis". */
  readonly kind: string;
  /** The fix when the axis is the batch axis. */
  readonly isBatchAxis: string;
  /** The end of the message when the graph fixes the axis. */
  readonly isFixed: string;
}

/**
 * The axis `value` at `${path}.axis` of a tensor whose length varies between requests: the
 * tensor must have a batch axis, and the axis must be an axis of it other than the batch
 * axis, free or symbolic in the graph.
 */
function checkLengthAxis(model: string, path: string, spec: TensorSpec, value: unknown, batchAxis: number | null, words: LengthAxisWords): number {
  if (batchAxis === null) throw configError(model, path, words.noBatchAxis, words.kind, `${describeTensor(spec)}, no batch axis`);
  const axis = checkAxis(model, `${path}.axis`, spec, value, words.what);
  if (axis === batchAxis) {
    throw configError(
      model,
      `${path}.axis`,
      `is ${axis}, the batch axis of ${describeTensor(spec)}: ${words.isBatchAxis}`,
      `an axis other than ${batchAxis}`,
      String(axis),
    );
  }
  const dim = spec.shape?.[axis];
  if (typeof dim === 'number') {
    throw configError(
      model,
      `${path}.axis`,
      `is ${axis}, but the graph fixes that dimension of ${describeTensor(spec)} to ${dim}, ${words.isFixed}`,
      'a free or symbolic axis',
      `${axis} (fixed to ${dim})`,
    );
  }
  return axis;
}

/** The spec of `name` among the model's inputs or outputs (`kind`), or an error that says which it is. */
function findTensor(model: string, path: string, name: string, kind: 'input' | 'output', context: RaggedContext): TensorSpec {
  const own = kind === 'input' ? context.inputs : context.outputs;
  const spec = own.find((s) => s.name === name);
  if (spec !== undefined) return spec;
  const isOther = (kind === 'input' ? context.outputs : context.inputs).some((s) => s.name === name);
  const names = own.map((s) => s.name);
  const fix = !isOther
    ? `the model's ${kind}s are ${names.map((n) => `"${n}"`).join(', ')}.`
    : kind === 'input'
      ? `"${name}" is an output: inputs are padded, outputs are cut back with \`ragged.outputs.${name}\`.`
      : `"${name}" is an input: outputs are cut back, inputs are padded with \`ragged.inputs.${name}\`.`;
  throw configError(model, path, `names no ${kind} of the model; ${fix}`, names.join(', '), name);
}

/** What a pad value must be for `dtype`, when `value` is not that. */
function padValueProblem(dtype: TensorDType, value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'a finite number';
  if (dtype === 'float32') return Math.abs(value) <= float32Max ? undefined : 'a number within float32 range';
  const [low, high] = integerRange[dtype];
  return Number.isInteger(value) && value >= low && value <= high ? undefined : `an integer from ${low} to ${high}`;
}
