/**
 * Dtype-generic tensor memory helpers for stacking and splitting: allocate a tensor of any
 * dtype, fill (part of) it with a number, and copy an axis-aligned box of elements between
 * two row-major tensors. Copies work on the bytes (every dtype alike, `int64` included),
 * one contiguous run at a time.
 */
import type { Tensor, TensorDType } from '../protocol';
import { elementCount } from '../tensor';

/** A new zero-filled tensor of `dtype` and `dims`, in its own buffer. */
export function allocateTensor(dtype: TensorDType, dims: readonly number[]): Tensor {
  const length = elementCount(dims);
  const shape = [...dims];
  switch (dtype) {
    case 'float32':
      return { dtype, dims: shape, data: new Float32Array(length) };
    case 'int32':
      return { dtype, dims: shape, data: new Int32Array(length) };
    case 'int64':
      return { dtype, dims: shape, data: new BigInt64Array(length) };
    case 'uint8':
    case 'bool':
      return { dtype, dims: shape, data: new Uint8Array(length) };
    case 'int8':
      return { dtype, dims: shape, data: new Int8Array(length) };
  }
}

/** Set elements `[start, end)` of `t` (flat, row-major) to `value` (a bigint for `int64`). */
export function fillTensor(t: Tensor, value: number, start = 0, end = t.data.length): void {
  if (t.dtype === 'int64') t.data.fill(BigInt(value), start, end);
  else t.data.fill(value, start, end);
}

/** The bytes of a tensor's data (a view, no copy). */
export function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** One side of a box copy: a tensor and where the box starts in it, per axis. */
export interface BoxSide {
  readonly tensor: Tensor;
  readonly start: readonly number[];
}

// Runs shorter than this many bytes are copied by a loop: `subarray` + `set` costs more.
const shortRunBytes = 64;

/**
 * Copy the box of `box` dims (per axis) from `from` to `to`, each at its own start. Both
 * tensors must have the same dtype and rank, and the box must fit in both. Axes after the
 * last one where the box is not the whole of both tensors are copied as one contiguous run
 * per position of the axes before it: a batch along axis 0 is one run per request.
 */
export function copyBox(from: BoxSide, to: BoxSide, box: readonly number[]): void {
  const rank = box.length;
  if (box.some((size) => size === 0)) return;
  const elementBytes = from.tensor.data.BYTES_PER_ELEMENT;
  const fromStrides = stridesOf(from.tensor.dims, elementBytes);
  const toStrides = stridesOf(to.tensor.dims, elementBytes);
  // The last axis where the box is not whole, in both tensors, bounds the contiguous run.
  let split = rank - 1;
  while (split >= 0 && box[split] === from.tensor.dims[split] && box[split] === to.tensor.dims[split]) split -= 1;
  const runAxis = Math.max(split, 0);
  const runBytes = rank === 0 ? elementBytes : (box[runAxis] ?? 0) * (fromStrides[runAxis] ?? 0);
  let fromPos = 0;
  let toPos = 0;
  for (let axis = 0; axis < rank; axis += 1) {
    fromPos += (from.start[axis] ?? 0) * (fromStrides[axis] ?? 0);
    toPos += (to.start[axis] ?? 0) * (toStrides[axis] ?? 0);
  }
  const source = bytesOf(from.tensor);
  const target = bytesOf(to.tensor);
  // An odometer over the axes before `runAxis`, moving both positions by their strides.
  const outer = box.slice(0, runAxis);
  const index = outer.map(() => 0);
  for (;;) {
    copyRun(source, fromPos, target, toPos, runBytes);
    let axis = outer.length - 1;
    for (; axis >= 0; axis -= 1) {
      const stepFrom = fromStrides[axis] ?? 0;
      const stepTo = toStrides[axis] ?? 0;
      const at = (index[axis] ?? 0) + 1;
      if (at < (outer[axis] ?? 0)) {
        index[axis] = at;
        fromPos += stepFrom;
        toPos += stepTo;
        break;
      }
      index[axis] = 0;
      fromPos -= (at - 1) * stepFrom;
      toPos -= (at - 1) * stepTo;
    }
    if (axis < 0) return;
  }
}

function copyRun(source: Uint8Array, from: number, target: Uint8Array, to: number, bytes: number): void {
  if (bytes >= shortRunBytes) {
    target.set(source.subarray(from, from + bytes), to);
    return;
  }
  for (let i = 0; i < bytes; i += 1) target[to + i] = source[from + i] ?? 0;
}

/** Byte strides of a row-major shape. */
function stridesOf(dims: readonly number[], elementBytes: number): number[] {
  const strides = new Array<number>(dims.length);
  let stride = elementBytes;
  for (let axis = dims.length - 1; axis >= 0; axis -= 1) {
    strides[axis] = stride;
    stride *= dims[axis] ?? 1;
  }
  return strides;
}
