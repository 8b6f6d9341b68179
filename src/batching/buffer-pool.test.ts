import { describe, expect, it } from 'vitest';
import type { Tensor } from '../protocol';
import { tensor } from '../tensor';
import { bytesOf } from './box-copy';
import { BufferPool } from './buffer-pool';

const allZero = (t: Tensor): boolean => bytesOf(t).every((byte) => byte === 0);

describe('BufferPool', () => {
  it('hands out zero-filled views of power-of-two buffers, and reuses a released buffer, zeroed again', () => {
    const pool = new BufferPool();
    const a = pool.allocate('float32', [3, 5]);
    expect(a.dims).toEqual([3, 5]);
    expect(a.data).toHaveLength(15);
    expect(a.data.buffer.byteLength).toBe(64);
    expect(allZero(a)).toBe(true);
    bytesOf(a).fill(7);
    pool.release([a]);
    expect(pool.bytesHeld).toBe(64);
    const b = pool.allocate('int32', [2, 7]); // 56 bytes: the same 64-byte class
    expect(b.data.buffer).toBe(a.data.buffer);
    expect(allZero(b)).toBe(true);
    expect(pool.bytesHeld).toBe(0);
    const c = pool.allocate('int64', [3]);
    expect(c.data).toBeInstanceOf(BigInt64Array);
    expect(c.data.buffer).not.toBe(a.data.buffer);
  });

  it('keeps power-of-two buffers only, each once, a few per class within its byte budget, and drops detached ones', () => {
    const pool = new BufferPool(256, 2);
    pool.release([tensor('float32', [3], new Float32Array(3))]); // 12 bytes: no size class
    expect(pool.bytesHeld).toBe(0);
    // A buffer back from a worker is a new object over the same memory: kept by its size alone.
    const returned = tensor('float32', [4], new Float32Array(4));
    pool.release([returned, returned]);
    expect(pool.bytesHeld).toBe(16);
    expect(pool.allocate('int32', [3]).data.buffer).toBe(returned.data.buffer);
    const many = [0, 1, 2].map(() => pool.allocate('uint8', [64]));
    pool.release(many);
    expect(pool.bytesHeld).toBe(128); // two kept per class
    const big = pool.allocate('float32', [64]); // 256 bytes: over the budget with the 128 held
    pool.release([big]);
    expect(pool.bytesHeld).toBe(128);
    pool.release([many[0] ?? big]); // released twice: ignored
    expect(pool.bytesHeld).toBe(128);
    // A kept buffer that got transferred away is not handed out again.
    const kept = pool.allocate('uint8', [64]);
    pool.release([kept]);
    structuredClone(kept.data.buffer, { transfer: [kept.data.buffer] });
    const again = pool.allocate('uint8', [64]);
    expect(again.data.buffer.byteLength).toBe(64);
    expect(again.data).toHaveLength(64);
    pool.clear();
    expect(pool.bytesHeld).toBe(0);
  });
});
