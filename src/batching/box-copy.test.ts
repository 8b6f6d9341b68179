import { describe, expect, it } from 'vitest';
import type { Tensor, TensorDType } from '../protocol';
import { elementCount } from '../tensor';
import { allocateTensor, copyBox, fillTensor } from './box-copy';
import { fnv1a64 } from './fnv1a';

/** A seeded PRNG (mulberry32): the same cases on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const valuesOf = (t: Tensor): (number | bigint)[] => (t.dtype === 'int64' ? Array.from(t.data) : Array.from(t.data));

const flatIndex = (index: readonly number[], dims: readonly number[]): number => index.reduce((flat, at, axis) => flat * (dims[axis] ?? 1) + at, 0);

/** Every index of a box, row-major. */
function* indices(box: readonly number[]): Generator<number[]> {
  if (box.some((size) => size === 0)) return;
  const index = box.map(() => 0);
  for (;;) {
    yield [...index];
    let axis = box.length - 1;
    while (axis >= 0 && (index[axis] = (index[axis] ?? 0) + 1) === box[axis]) index[axis--] = 0;
    if (axis < 0) return;
  }
}

describe('allocateTensor / fillTensor', () => {
  it.each<[TensorDType, string]>([
    ['float32', 'Float32Array'],
    ['int32', 'Int32Array'],
    ['int64', 'BigInt64Array'],
    ['uint8', 'Uint8Array'],
    ['int8', 'Int8Array'],
    ['bool', 'Uint8Array'],
  ])('allocates %s as a zeroed %s and fills a range', (dtype, arrayType) => {
    const t = allocateTensor(dtype, [2, 3]);
    expect(t.data.constructor.name).toBe(arrayType);
    expect(t).toMatchObject({ dtype, dims: [2, 3] });
    fillTensor(t, 1, 2, 4);
    expect(valuesOf(t).map(Number)).toEqual([0, 0, 1, 1, 0, 0]);
  });
});

describe('copyBox', () => {
  it('copies a box between tensors of different shapes, at different starts, for every dtype', () => {
    const next = random(7);
    const dtypes: TensorDType[] = ['float32', 'int32', 'int64', 'uint8', 'int8', 'bool'];
    for (let round = 0; round < 300; round += 1) {
      const dtype = dtypes[round % dtypes.length] ?? 'float32';
      const rank = Math.floor(next() * 5);
      // Sometimes a long last axis, so that runs take the `set` path (≥ 64 bytes).
      const box = Array.from({ length: rank }, (_, axis) => Math.floor(next() * (axis === rank - 1 && next() < 0.3 ? 40 : 4)));
      const grow = (): number[] => box.map((size) => size + (next() < 0.5 ? 0 : Math.floor(next() * 3)));
      const fromDims = grow();
      const toDims = grow();
      const fromStart = fromDims.map((size, axis) => Math.floor(next() * (size - (box[axis] ?? 0) + 1)));
      const toStart = toDims.map((size, axis) => Math.floor(next() * (size - (box[axis] ?? 0) + 1)));
      const from = allocateTensor(dtype, fromDims);
      for (let i = 0; i < from.data.length; i += 1) fillTensor(from, (i % 127) + 1, i, i + 1);
      if (dtype === 'bool') fillTensor(from, 1);
      const to = allocateTensor(dtype, toDims);
      copyBox({ tensor: from, start: fromStart }, { tensor: to, start: toStart }, box);

      const expected = Array<number | bigint>(elementCount(toDims)).fill(dtype === 'int64' ? 0n : 0);
      const source = valuesOf(from);
      for (const index of indices(box)) {
        const at = (start: readonly number[]): number[] => index.map((i, axis) => i + (start[axis] ?? 0));
        expected[flatIndex(at(toStart), toDims)] = source[flatIndex(at(fromStart), fromDims)] ?? -1;
      }
      expect(valuesOf(to), `round ${round}: box ${JSON.stringify({ box, fromDims, fromStart, toDims, toStart })}`).toEqual(expected);
    }
  });

  it('reads and writes only through the views it is given', () => {
    const buffer = new Float32Array(8).fill(-1);
    const from: Tensor = { dtype: 'float32', dims: [1, 2], data: Float32Array.of(9, 5, 6, 9).subarray(1, 3) };
    const to: Tensor = { dtype: 'float32', dims: [2, 2], data: buffer.subarray(2, 6) };
    copyBox({ tensor: from, start: [0, 0] }, { tensor: to, start: [1, 0] }, [1, 2]);
    // Row 1 of the view is elements 4 and 5 of the buffer.
    expect(Array.from(buffer)).toEqual([-1, -1, -1, -1, 5, 6, -1, -1]);
  });
});

describe('fnv1a64', () => {
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);

  it('matches the published FNV-1a 64 test vectors', () => {
    expect(fnv1a64(text(''))).toBe('cbf29ce484222325');
    expect(fnv1a64(text('a'))).toBe('af63dc4c8601ec8c');
    expect(fnv1a64(text('foobar'))).toBe('85944171f73967e8');
  });

  it('matches a BigInt reference on random bytes', () => {
    const next = random(11);
    for (let round = 0; round < 50; round += 1) {
      const bytes = Uint8Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256));
      let hash = 0xcbf29ce484222325n;
      for (const byte of bytes) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
      expect(fnv1a64(bytes)).toBe(hash.toString(16).padStart(16, '0'));
    }
  });
});
