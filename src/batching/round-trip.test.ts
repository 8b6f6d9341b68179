/**
 * Property-style tests: random shapes, batch axes, dtypes and request batches; the stacked
 * batch must equal a naive index-by-index reference, and splitting an identity model's
 * outputs must give every request back exactly its own tensors.
 */
import { describe, expect, it } from 'vitest';
import type { Dim, Tensor, TensorDType, TensorMap, TensorSpec } from '../protocol';
import { copyTensor, elementCount } from '../tensor';
import { allocateTensor, fillTensor } from './box-copy';
import type { BatchingConfig } from './config';
import { resolveBatchPlan } from './plan';
import { splitOutputs, stackRequests } from './stack';

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

const dtypes: TensorDType[] = ['float32', 'int32', 'int64', 'uint8', 'int8', 'bool'];
const valuesOf = (t: Tensor | undefined): (number | bigint)[] => (t === undefined ? [] : t.dtype === 'int64' ? Array.from(t.data) : Array.from(t.data));

/** A tensor of random values that `dtype` holds exactly (int64 beyond 2⁵³ too). */
function randomTensor(next: () => number, dtype: TensorDType, dims: readonly number[]): Tensor {
  const t = allocateTensor(dtype, dims);
  for (let i = 0; i < elementCount(dims); i += 1) {
    const value = dtype === 'bool' ? Math.floor(next() * 2) : dtype === 'uint8' ? Math.floor(next() * 256) : Math.floor(next() * 256) - 128;
    if (t.dtype === 'int64') t.data[i] = BigInt(value) * (1n << 40n) + BigInt(i);
    else fillTensor(t, dtype === 'float32' ? value + 0.25 : value, i, i + 1);
  }
  return t;
}

/** The value of `t` at a multi-index. */
const at = (t: Tensor, index: readonly number[]): number | bigint | undefined =>
  valuesOf(t)[index.reduce((flat, i, axis) => flat * (t.dims[axis] ?? 1) + i, 0)];

/** The naive stacking of `tensors` along `axis` (padding `raggedAxis` with `pad`), by index. */
function naiveStack(tensors: readonly Tensor[], axis: number, raggedAxis: number | undefined, pad: number): (number | bigint)[] {
  const [first] = tensors;
  if (first === undefined) return [];
  const dims = [...first.dims];
  dims[axis] = tensors.reduce((sum, t) => sum + (t.dims[axis] ?? 0), 0);
  if (raggedAxis !== undefined) dims[raggedAxis] = Math.max(...tensors.map((t) => t.dims[raggedAxis] ?? 0));
  const out: (number | bigint)[] = [];
  for (let flat = 0; flat < elementCount(dims); flat += 1) {
    const index = dims.map(() => 0);
    let rest = flat;
    for (let a = dims.length - 1; a >= 0; a -= 1) {
      index[a] = rest % (dims[a] ?? 1);
      rest = Math.floor(rest / (dims[a] ?? 1));
    }
    let offset = index[axis] ?? 0;
    const owner = tensors.find((t) => {
      if (offset < (t.dims[axis] ?? 0)) return true;
      offset -= t.dims[axis] ?? 0;
      return false;
    });
    const local = index.map((i, a) => (a === axis ? offset : i));
    const padded = owner === undefined || (raggedAxis !== undefined && (local[raggedAxis] ?? 0) >= (owner.dims[raggedAxis] ?? 0));
    out.push(padded ? (first.dtype === 'int64' ? BigInt(pad) : pad) : (at(owner, local) ?? Number.NaN));
  }
  return out;
}

interface Case {
  readonly plan: ReturnType<typeof resolveBatchPlan>;
  readonly requests: { x: Tensor; k: Tensor }[];
  readonly axis: number;
  readonly raggedAxis: number | undefined;
  readonly pad: number;
}

/** A random model (`x` batched on a random axis, `k` shared) and requests of random batch sizes. */
function randomCase(next: () => number, mode: 'group' | 'pad'): Case {
  const dtype = dtypes[Math.floor(next() * dtypes.length)] ?? 'float32';
  const rank = 1 + Math.floor(next() * 4) + (mode === 'pad' ? 1 : 0);
  const axis = Math.floor(next() * rank);
  const raggedAxis = mode === 'pad' ? (axis + 1 + Math.floor(next() * (rank - 1))) % rank : undefined;
  const dims = Array.from({ length: rank }, () => 1 + Math.floor(next() * 3));
  const shape: Dim[] = dims.map((d, a) => (a === axis ? 'batch' : a === raggedAxis ? 'length' : d));
  const kDims = [1 + Math.floor(next() * 3)];
  const inputs: TensorSpec[] = [
    { name: 'x', dtype, shape },
    { name: 'k', dtype: 'int64', shape: kDims },
  ];
  const outputs: TensorSpec[] = [
    { name: 'y', dtype, shape },
    { name: 'kOut', dtype: 'int64', shape: kDims },
  ];
  const pad = dtype === 'bool' ? 1 : dtype === 'uint8' ? 200 : -7;
  const config: BatchingConfig = {
    batchAxes: { x: axis, y: axis },
    ...(raggedAxis === undefined ? {} : { ragged: { mode: 'pad', inputs: { x: { axis: raggedAxis, padValue: pad } }, outputs: { y: { axis: raggedAxis } } } }),
  };
  const plan = resolveBatchPlan('random', inputs, outputs, config);
  const k = randomTensor(next, 'int64', kDims);
  const requests = Array.from({ length: 1 + Math.floor(next() * 5) }, () => {
    const own = dims.map((d, a) => (a === axis ? 1 + Math.floor(next() * 3) : a === raggedAxis ? Math.floor(next() * 5) : d));
    return { x: randomTensor(next, dtype, own), k: copyTensor(k) };
  });
  return { plan, requests, axis, raggedAxis, pad };
}

/** An identity model: y = x, kOut = k. */
const identity = (inputs: TensorMap): TensorMap => {
  const { x, k } = inputs;
  if (x === undefined || k === undefined) throw new Error('missing input');
  return { y: x, kOut: k };
};

describe.each(['group', 'pad'] as const)('stack → split round trips (%s mode)', (mode) => {
  it('stacks like the naive reference and splits back to exactly each request', () => {
    const next = random(mode === 'group' ? 1 : 2);
    for (let round = 0; round < 300; round += 1) {
      const { plan, requests, axis, raggedAxis, pad } = randomCase(next, mode);
      const batch = stackRequests('random', requests, plan);
      const xs = requests.map((r) => r.x);
      const label = `round ${round}: ${JSON.stringify({ axis, raggedAxis, dims: xs.map((x) => x.dims) })}`;
      expect(batch.units, label).toEqual(xs.map((x) => x.dims[axis]));
      expect(valuesOf(batch.inputs.x), label).toEqual(naiveStack(xs, axis, raggedAxis, pad));
      expect(valuesOf(batch.inputs.k), label).toEqual(valuesOf(requests[0]?.k));
      const split = splitOutputs('random', identity(batch.inputs), batch.units, plan, batch.lengths);
      expect(split, label).toEqual(requests.map((r) => ({ y: r.x, kOut: r.k })));
    }
  });
});
