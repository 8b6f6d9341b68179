import { describe, expect, it } from 'vitest';
import type { Tensor, TensorMap } from '../../src/protocol';
import { tensor } from '../../src/tensor';
import { PackedKv } from './generate-batch';

const layout = { layers: 1, kvHeads: 2, headDim: 2, hasPositionIds: true, hasCacheBranch: false } as const;

/** A batch-1 cache of `length` positions whose every float names its head, position and lane: h·100 + p·10 + lane + base. */
function cacheOf(length: number, base: number): TensorMap {
  const data = new Float32Array(layout.kvHeads * length * layout.headDim);
  for (let h = 0; h < layout.kvHeads; h++)
    for (let p = 0; p < length; p++) for (let d = 0; d < layout.headDim; d++) data[(h * length + p) * layout.headDim + d] = base + h * 100 + p * 10 + d;
  const t = tensor('float32', [1, layout.kvHeads, length, layout.headDim], data);
  return { 'present.0.key': t, 'present.0.value': t };
}

/** Row `row`'s floats for head `h` of a packed past input, one array per column. */
function columnsOf(past: Tensor | undefined, row: number, h: number): number[][] {
  if (past?.dtype !== 'float32') throw new Error('no float32 past');
  const [, heads = 0, columns = 0, dim = 0] = past.dims;
  return Array.from({ length: columns }, (_, c) =>
    Array.from(past.data.subarray(((row * heads + h) * columns + c) * dim, ((row * heads + h) * columns + c + 1) * dim)),
  );
}

describe('PackedKv', () => {
  it('takes a lone joiner’s cache as it is, with no copy', async () => {
    const batch = new PackedKv<string>({ ...layout, kvPadding: 'left' }, 'm');
    const cache = cacheOf(3, 0);
    await batch.reshape(() => false, [{ member: 'a', cache, length: 3 }]);
    const { inputs } = batch.inputs(() => 7);
    expect(inputs['past_key_values.0.key']?.data).toBe(cache['present.0.key']?.data);
    expect(inputs.attention_mask?.data).toEqual(BigInt64Array.of(1n, 1n, 1n, 1n));
    expect(inputs.position_ids?.data).toEqual(BigInt64Array.of(3n));
  });

  it('left-pads shorter rows, so every row’s newest position is the last column', async () => {
    const batch = new PackedKv<string>({ ...layout, kvPadding: 'left' }, 'm');
    await batch.reshape(
      () => false,
      [
        { member: 'long', cache: cacheOf(3, 0), length: 3 },
        { member: 'short', cache: cacheOf(1, 1000), length: 1 },
      ],
    );
    const { inputs } = batch.inputs(() => 7);
    const past = inputs['past_key_values.0.key'];
    expect(past?.dims).toEqual([2, 2, 3, 2]);
    expect(columnsOf(past, 0, 1)).toEqual([
      [100, 101],
      [110, 111],
      [120, 121],
    ]);
    expect(columnsOf(past, 1, 1)).toEqual([
      [0, 0],
      [0, 0],
      [1100, 1101],
    ]);
    expect(inputs.attention_mask?.data).toEqual(BigInt64Array.of(1n, 1n, 1n, 1n, 0n, 0n, 1n, 1n));
    expect(inputs.position_ids?.data).toEqual(BigInt64Array.of(3n, 1n));
  });

  it('right-pads for GroupQueryAttention graphs, and trims padding when the longest row leaves', async () => {
    const batch = new PackedKv<string>({ ...layout, kvPadding: 'right' }, 'm');
    await batch.reshape(
      () => false,
      [
        { member: 'long', cache: cacheOf(3, 0), length: 3 },
        { member: 'short', cache: cacheOf(2, 1000), length: 2 },
      ],
    );
    let { inputs } = batch.inputs(() => 7);
    expect(columnsOf(inputs['past_key_values.0.value'], 1, 0)).toEqual([
      [1000, 1001],
      [1010, 1011],
      [0, 0],
    ]);
    expect(inputs.attention_mask?.data).toEqual(BigInt64Array.of(1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n));
    await batch.reshape((member) => member === 'long', []);
    ({ inputs } = batch.inputs(() => 7));
    expect(batch.members).toEqual(['short']);
    expect(columnsOf(inputs['past_key_values.0.value'], 0, 0)).toEqual([
      [1000, 1001],
      [1010, 1011],
    ]);
  });

  it('refuses a joiner whose cache has the wrong shape', async () => {
    const batch = new PackedKv<string>({ ...layout, kvPadding: 'left' }, 'm');
    await expect(batch.reshape(() => false, [{ member: 'a', cache: cacheOf(2, 0), length: 3 }])).rejects.toThrow(/unexpected shape/);
  });
});
