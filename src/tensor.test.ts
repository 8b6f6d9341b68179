import { describe, expect, it } from 'vitest';
import { copyTensor, elementCount, formatShape, ownedTensor, tensor, transferablesOf } from './tensor';

describe('tensor helpers', () => {
  it('counts elements, with 1 for a scalar', () => {
    expect(elementCount([])).toBe(1);
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([0, 5])).toBe(0);
  });

  it('tensor() refuses data that does not fit its dims', () => {
    expect(() => tensor('float32', [2, 2], new Float32Array(3))).toThrow('tensor(float32, [2, 2]) needs 4 elements, got 3');
    expect(tensor('int64', [], BigInt64Array.of(1n))).toEqual({ dtype: 'int64', dims: [], data: BigInt64Array.of(1n) });
  });

  it('lists each buffer once for a transfer list', () => {
    const shared = new Float32Array(8);
    const a = tensor('float32', [4], shared.subarray(0, 4));
    const b = tensor('float32', [4], shared.subarray(4));
    const c = tensor('int32', [1], new Int32Array(1));
    expect(transferablesOf([a, b, c])).toEqual([shared.buffer, c.data.buffer]);
  });

  it('ownedTensor copies a view into a larger buffer and keeps an owning one', () => {
    const whole = tensor('float32', [2], Float32Array.of(1, 2));
    expect(ownedTensor(whole)).toBe(whole);
    const view = tensor('float32', [2], Float32Array.of(0, 1, 2).subarray(1));
    const owned = ownedTensor(view);
    expect(owned).not.toBe(view);
    expect([...owned.data]).toEqual([1, 2]);
    expect(owned.data.buffer.byteLength).toBe(8);
  });

  it('copyTensor keeps the dtype and array type', () => {
    const original = tensor('bool', [3], Uint8Array.of(1, 0, 1));
    const copy = copyTensor(original);
    expect(copy).toEqual(original);
    expect(copy.data).not.toBe(original.data);
  });

  it('formats shapes with names and unknowns', () => {
    expect(formatShape(['batch', 576, null])).toBe('[batch, 576, ?]');
  });
});
