/**
 * Tensor helpers shared by the main thread and the workers: construction with checks,
 * element counts, and the list of buffers to transfer.
 */
import type { Dim, Tensor, TensorDataOf, TensorDType } from './protocol';

/** Number of elements a shape holds (1 for a scalar `[]`). */
export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const d of dims) count *= d;
  return count;
}

/** The typed-array constructor name each dtype must use. */
export const dataTypeName: Record<TensorDType, string> = {
  float32: 'Float32Array',
  int32: 'Int32Array',
  int64: 'BigInt64Array',
  uint8: 'Uint8Array',
  int8: 'Int8Array',
  bool: 'Uint8Array',
};

/** True when `data` is the typed array `dtype` requires. */
export function dataMatchesDType(dtype: TensorDType, data: unknown): boolean {
  switch (dtype) {
    case 'float32':
      return data instanceof Float32Array;
    case 'int32':
      return data instanceof Int32Array;
    case 'int64':
      return data instanceof BigInt64Array;
    case 'uint8':
    case 'bool':
      return data instanceof Uint8Array;
    case 'int8':
      return data instanceof Int8Array;
  }
}

/** The name of a value's type, for error messages (`Float64Array`, `number[]`, `null` …). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `${typeof value[0] === 'number' ? 'number' : typeof value[0]}[]`;
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

/** A value as an error message's `got`: numbers and booleans as written, strings quoted (cut at 40 characters), anything else by its type ({@link describeValue}). */
export function shownValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return describeValue(value);
}

/** Format a shape for messages: `[1, 576]`, `[batch, 576]`, `[?, 3]`. */
export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/**
 * Make a tensor, checking that `data` fits `dims`.
 *
 * @example
 * const frame = tensor('float32', [1, 576], new Float32Array(576));
 */
export function tensor<D extends TensorDType>(dtype: D, dims: readonly number[], data: TensorDataOf[D]): Extract<Tensor, { dtype: D }> {
  const expected = elementCount(dims);
  if (data.length !== expected) {
    throw new RangeError(`tensor(${dtype}, ${formatShape(dims)}) needs ${expected} elements, got ${data.length}`);
  }
  // The mapped `Tensor` union cannot be narrowed by a generic `D`; the check above makes this safe.
  return { dtype, dims: [...dims], data } as unknown as Extract<Tensor, { dtype: D }>;
}

/**
 * The distinct `ArrayBuffer`s behind a set of tensors, for a transfer list.
 * Shared memory (a `SharedArrayBuffer`) cannot be transferred and is skipped.
 */
export function transferablesOf(tensors: Iterable<Tensor>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of tensors) {
    const buffer = t.data.buffer;
    if (buffer instanceof ArrayBuffer) buffers.add(buffer);
  }
  return [...buffers];
}

/**
 * A tensor whose data owns its whole buffer, so transferring it moves exactly its
 * bytes (a view into a larger or shared buffer is copied).
 */
export function ownedTensor(t: Tensor): Tensor {
  const { data } = t;
  const owns = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return owns ? t : copyTensor(t);
}

/** A tensor with a fresh copy of `t`'s data in its own buffer. */
export function copyTensor(t: Tensor): Tensor {
  switch (t.dtype) {
    case 'float32':
      return { dtype: t.dtype, dims: t.dims, data: new Float32Array(t.data) };
    case 'int32':
      return { dtype: t.dtype, dims: t.dims, data: new Int32Array(t.data) };
    case 'int64':
      return { dtype: t.dtype, dims: t.dims, data: new BigInt64Array(t.data) };
    case 'uint8':
    case 'bool':
      return { dtype: t.dtype, dims: t.dims, data: new Uint8Array(t.data) };
    case 'int8':
      return { dtype: t.dtype, dims: t.dims, data: new Int8Array(t.data) };
  }
}

/** A tensor of zeros (`false` for bool) of `dtype` and `dims`. */
export function zerosTensor(dtype: TensorDType, dims: readonly number[]): Tensor {
  const n = elementCount(dims);
  switch (dtype) {
    case 'float32':
      return { dtype, dims, data: new Float32Array(n) };
    case 'int32':
      return { dtype, dims, data: new Int32Array(n) };
    case 'int64':
      return { dtype, dims, data: new BigInt64Array(n) };
    case 'uint8':
    case 'bool':
      return { dtype, dims, data: new Uint8Array(n) };
    case 'int8':
      return { dtype, dims, data: new Int8Array(n) };
  }
}
