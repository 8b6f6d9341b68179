/**
 * Input validation against a model's signature. Runs on the main thread before a
 * request is sent (so a rejected call detaches nothing) and again in the worker before
 * any engine call (so the engine never sees bad input, whoever calls it).
 */
import { InvalidInputError } from './errors';
import type { Dim, Tensor, TensorMap, TensorSpec } from './protocol';
import { dataMatchesDType, dataTypeName, describeValue, elementCount, formatShape } from './tensor';

/** Options for {@link validateInputs}. */
export interface ValidateOptions {
  /** Reject float inputs containing NaN. @default false */
  readonly rejectNaN?: boolean;
}

const dtypes = new Set(Object.keys(dataTypeName));

/**
 * Check `inputs` against `specs`; throw {@link InvalidInputError} naming the first
 * problem: an unknown or missing input name, a wrong dtype or data type, a malformed
 * shape, a data length that does not match the shape, a rank or fixed dimension that
 * differs from the model's, a symbolic dimension (`batch`) that two inputs disagree on,
 * or (optionally) a NaN.
 */
export function validateInputs(model: string, specs: readonly TensorSpec[], inputs: unknown, options: ValidateOptions = {}): asserts inputs is TensorMap {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw new InvalidInputError(`Inputs of model "${model}" must be an object mapping input names to tensors; got ${describeValue(inputs)}.`, {
      model,
      input: 'inputs',
      expected: `{ ${specs.map((s) => s.name).join(', ')} }`,
      got: describeValue(inputs),
    });
  }
  const given = Object.keys(inputs);
  const names = new Set(specs.map((s) => s.name));
  for (const name of given) {
    if (!names.has(name)) {
      throw new InvalidInputError(`Model "${model}" has no input named "${name}"; its inputs are ${[...names].map((n) => `"${n}"`).join(', ')}.`, {
        model,
        input: name,
        expected: [...names].join(', '),
        got: name,
      });
    }
  }
  const symbols = new Map<string, { size: number; input: string }>();
  const record: Record<string, unknown> = { ...inputs };
  for (const spec of specs) {
    if (!(spec.name in record)) {
      throw new InvalidInputError(
        `Model "${model}" needs input "${spec.name}" (${spec.dtype} ${spec.shape ? formatShape(spec.shape) : 'any shape'}), which was not given.`,
        {
          model,
          input: spec.name,
          expected: `${spec.dtype} ${spec.shape ? formatShape(spec.shape) : ''}`.trim(),
          got: 'nothing',
        },
      );
    }
    validateTensor(model, spec, record[spec.name], symbols, options);
  }
}

function validateTensor(
  model: string,
  spec: TensorSpec,
  value: unknown,
  symbols: Map<string, { size: number; input: string }>,
  options: ValidateOptions,
): void {
  const input = spec.name;
  const fail = (what: string, expected: string, got: string): never => {
    throw new InvalidInputError(`Input "${input}" of model "${model}" ${what}: expected ${expected}, got ${got}.`, { model, input, expected, got });
  };
  if (typeof value !== 'object' || value === null) return fail('is not a tensor', '{ dtype, dims, data }', describeValue(value));
  const { dtype, dims, data } = value as Partial<Record<keyof Tensor, unknown>>; // shape-checked field by field below
  if (typeof dtype !== 'string' || !dtypes.has(dtype)) return fail('has an unknown dtype', [...dtypes].join(' | '), String(dtype));
  if (dtype !== spec.dtype) return fail('has the wrong dtype', spec.dtype, dtype);
  if (!dataMatchesDType(spec.dtype, data)) return fail('has the wrong data type', `a ${dataTypeName[spec.dtype]} for dtype ${spec.dtype}`, describeValue(data));
  if (!Array.isArray(dims) || !dims.every((d): d is number => Number.isInteger(d) && d >= 0)) {
    return fail('has malformed dims', 'an array of non-negative integers', JSON.stringify(dims));
  }
  const length = (data as ArrayLike<unknown>).length; // dataMatchesDType proved it is a typed array
  if (elementCount(dims) !== length) {
    return fail('has a data length that does not match its dims', `${elementCount(dims)} elements for ${formatShape(dims)}`, `${length}`);
  }
  if (spec.shape !== null) {
    if (dims.length !== spec.shape.length) {
      return fail('has the wrong rank', `rank ${spec.shape.length} ${formatShape(spec.shape)}`, `rank ${dims.length} ${formatShape(dims)}`);
    }
    spec.shape.forEach((want: Dim, axis) => {
      const have = dims[axis] ?? -1;
      if (typeof want === 'number' && want >= 0 && want !== have) {
        fail(`has the wrong size on axis ${axis}`, formatShape(spec.shape ?? []), formatShape(dims));
      }
      if (typeof want === 'string') {
        const seen = symbols.get(want);
        if (seen === undefined) symbols.set(want, { size: have, input });
        else if (seen.size !== have) {
          fail(
            `disagrees with input "${seen.input}" on dimension "${want}"`,
            `${want} = ${seen.size} (as in "${seen.input}")`,
            `${want} = ${have} in ${formatShape(dims)}`,
          );
        }
      }
    });
  }
  if (options.rejectNaN === true && data instanceof Float32Array) {
    const at = data.findIndex((x) => Number.isNaN(x));
    if (at >= 0) fail('contains NaN', 'finite numbers', `NaN at flat index ${at}`);
  }
}
