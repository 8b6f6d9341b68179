/**
 * Reusable buffers for stacked batch inputs. A stacked input lives for one engine call
 * (the engine copies it into its own memory); the worker transfers it back with the
 * outputs, so the next batch can reuse its buffer. A fresh buffer costs a page fault per 4 KiB on first touch (~25 µs each on a VM measured
 * by `bench/models.bench.ts`: 22 ms of a 90 ms engine call for 32 image crops); a reused
 * one is warm. Buffers are kept per size class (powers of two), a few per class, up to a
 * byte budget; what does not fit is left to the garbage collector.
 */
import type { Tensor, TensorDType } from '../protocol';
import { elementCount } from '../tensor';
import { allocateTensor } from './box-copy';

const bytesPerElement: Record<TensorDType, number> = { float32: 4, int32: 4, int64: 8, uint8: 1, bool: 1, int8: 1 };

/**
 * Allocates zero-filled tensors; {@link BufferPool.release} takes buffers back. A buffer
 * that went to a worker and came back is a new `ArrayBuffer` object over the same memory,
 * so the pool cannot know its own by identity: it keeps any power-of-two buffer it is
 * given, and the caller gives only buffers nothing else holds.
 */
export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private heldBytes = 0;

  constructor(
    /** Most bytes kept while unused. */
    private readonly maxBytes = 64 << 20,
    /** Most buffers kept per size class. */
    private readonly perClass = 4,
  ) {}

  /** Bytes kept for reuse now. */
  get bytesHeld(): number {
    return this.heldBytes;
  }

  /**
   * A zero-filled tensor of `dtype` and `dims`: a view from offset 0 of a buffer whose size
   * is the next power of two (reused when one is free).
   */
  allocate(dtype: TensorDType, dims: readonly number[]): Tensor {
    const length = elementCount(dims);
    const bytes = length * bytesPerElement[dtype];
    if (bytes === 0) return allocateTensor(dtype, dims);
    const capacity = 2 ** Math.ceil(Math.log2(bytes));
    const reused = this.free.get(capacity)?.pop();
    if (reused !== undefined) this.heldBytes -= capacity;
    let buffer: ArrayBuffer;
    // A kept buffer that was transferred since (detached: 0 bytes) is dropped.
    if (reused === undefined || reused.byteLength !== capacity) buffer = new ArrayBuffer(capacity);
    else {
      buffer = reused;
      new Uint8Array(buffer, 0, bytes).fill(0);
    }
    return viewOf(dtype, [...dims], buffer, length);
  }

  /**
   * Keep the buffers of tensors nothing else holds any more (stacked inputs back from the
   * worker), for later batches. Buffers whose size is not a power of two, or that are kept
   * already, are ignored.
   */
  release(tensors: Iterable<Tensor>): void {
    for (const t of tensors) {
      const { buffer } = t.data;
      if (!(buffer instanceof ArrayBuffer)) continue;
      const capacity = buffer.byteLength;
      if (capacity === 0 || (capacity & (capacity - 1)) !== 0) continue;
      const list = this.free.get(capacity) ?? [];
      if (list.includes(buffer) || list.length >= this.perClass || this.heldBytes + capacity > this.maxBytes) continue;
      list.push(buffer);
      this.free.set(capacity, list);
      this.heldBytes += capacity;
    }
  }

  /** Drop every kept buffer. */
  clear(): void {
    this.free.clear();
    this.heldBytes = 0;
  }
}

function viewOf(dtype: TensorDType, dims: number[], buffer: ArrayBuffer, length: number): Tensor {
  switch (dtype) {
    case 'float32':
      return { dtype, dims, data: new Float32Array(buffer, 0, length) };
    case 'int32':
      return { dtype, dims, data: new Int32Array(buffer, 0, length) };
    case 'int64':
      return { dtype, dims, data: new BigInt64Array(buffer, 0, length) };
    case 'uint8':
    case 'bool':
      return { dtype, dims, data: new Uint8Array(buffer, 0, length) };
    case 'int8':
      return { dtype, dims, data: new Int8Array(buffer, 0, length) };
  }
}
