/**
 * Checks shared by the batching config's resolvers: the `InvalidOptionsError` they throw
 * (its `input` is the field path, such as `batchAxes.state`), and the axis check every
 * axis field goes through.
 */
import { InvalidOptionsError } from '../errors';
import type { TensorSpec } from '../protocol';
import { formatShape } from '../tensor';

/** True for a plain object (not `null`, not an array). */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A config value as a message shows it: `1.5`, `"logits"`, `NaN`, `{"axis":1}`. */
export function describeConfigValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function' || typeof value === 'symbol') return typeof value;
  try {
    return JSON.stringify(value);
  } catch {
    return typeof value; // a cycle, or a bigint inside
  }
}

/**
 * The error for a bad batching field: `Model "m": \`path\` problem`, with the path as
 * `input`. `problem` says what is wrong and what to do.
 */
export function configError(model: string, path: string, problem: string, expected: string, got: string): InvalidOptionsError {
  return new InvalidOptionsError(`Model "${model}": \`${path}\` ${problem}`, { model, input: path, expected, got });
}

/** A tensor's shape for messages: `"state" [2, batch, 128]`, or `"x" (shape unknown)`. */
export function describeTensor(spec: TensorSpec): string {
  return spec.shape === null ? `"${spec.name}" (shape unknown)` : `"${spec.name}" ${formatShape(spec.shape)}`;
}

/** The axes of a shape that are not fixed by the graph (free or symbolic), for suggestions. */
export function unfixedAxes(spec: TensorSpec): number[] {
  if (spec.shape === null) return [];
  return spec.shape.flatMap((dim, axis) => (typeof dim === 'number' ? [] : [axis]));
}

/**
 * Check that `value` at `path` is an integer axis of `spec` (any axis ≥ 0 when its rank is
 * unknown) and return it. `what` names the axis in messages ("batch axis", "ragged axis").
 */
export function checkAxis(model: string, path: string, spec: TensorSpec, value: unknown, what: string, nullHint = ''): number {
  const rank = spec.shape?.length;
  const range = rank === undefined ? 'an integer ≥ 0' : rank === 0 ? 'no axis (a scalar)' : `an integer from 0 to ${rank - 1}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw configError(
      model,
      path,
      `must be an integer ${what} of ${describeTensor(spec)}${nullHint}; got ${describeConfigValue(value)}.`,
      range,
      describeConfigValue(value),
    );
  }
  if (value < 0 || (rank !== undefined && value >= rank)) {
    const fix = rank === 0 ? `it is a scalar, so it has no ${what}${nullHint === '' ? '' : ': use null'}` : `use ${range}`;
    throw configError(model, path, `is ${value}, out of range for ${describeTensor(spec)}: ${fix}.`, range, String(value));
  }
  return value;
}
