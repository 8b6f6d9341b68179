import { describe, expect, it } from 'vitest';
import { InferenceError, InvalidInputError } from '../errors';
import type { Dim, Tensor, TensorDType, TensorMap, TensorSpec } from '../protocol';
import { elementCount, tensor } from '../tensor';
import type { BatchingConfig } from './config';
import { resolveBatchPlan } from './plan';
import { batchKeyOf, requestUnits, splitOutputs, stackRequests } from './stack';

const spec = (name: string, dtype: TensorDType, shape: readonly Dim[] | null): TensorSpec => ({ name, dtype, shape });

/** A float32 tensor whose element i is `first + i`. */
const ramp = (dims: readonly number[], first: number): Tensor =>
  tensor(
    'float32',
    dims,
    Float32Array.from({ length: elementCount(dims) }, (_, i) => first + i),
  );

const valuesOf = (t: Tensor | undefined): (number | bigint)[] => (t === undefined ? [] : t.dtype === 'int64' ? Array.from(t.data) : Array.from(t.data));

const get = (map: TensorMap | undefined, name: string): Tensor => {
  const t = map?.[name];
  if (t === undefined) throw new Error(`no tensor "${name}"`);
  return t;
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

// ── Silero VAD v5: input [B, 576], state [2, B, 128] (axis 1), sr scalar; output [B, 1], stateN [2, B, 128].
const sileroSpecs = {
  inputs: [spec('input', 'float32', [null, 576]), spec('state', 'float32', [2, null, 128]), spec('sr', 'int64', [])],
  outputs: [spec('output', 'float32', [null, 1]), spec('stateN', 'float32', null)],
};
const sileroConfig: BatchingConfig = { batchAxes: { state: 1, stateN: 1 } };
const sileroPlan = resolveBatchPlan('vad', sileroSpecs.inputs, sileroSpecs.outputs, sileroConfig);
const sr = (rate: bigint): Tensor => tensor('int64', [], BigInt64Array.of(rate));
const vadRequest = (batch: number, seed: number, rate = 16000n): { input: Tensor; state: Tensor; sr: Tensor } => ({
  input: ramp([batch, 576], seed * 10_000),
  state: ramp([2, batch, 128], seed * 10_000 + 5000),
  sr: sr(rate),
});

/** A stand-in for Silero that computes per item: output = first sample + sr, stateN = state + 1. */
function fakeSilero(inputs: TensorMap): TensorMap {
  const input = get(inputs, 'input');
  const state = get(inputs, 'state');
  const rate = Number(valuesOf(get(inputs, 'sr'))[0]);
  const batch = input.dims[0] ?? 0;
  const first = valuesOf(input);
  return {
    output: tensor(
      'float32',
      [batch, 1],
      Float32Array.from({ length: batch }, (_, b) => Number(first[b * 576]) + rate),
    ),
    stateN: tensor(
      'float32',
      state.dims,
      Float32Array.from(valuesOf(state), (v) => Number(v) + 1),
    ),
  };
}

describe('requestUnits', () => {
  it('is the size of the batch axis, inner axes included; 1 when no input is batched', () => {
    expect(requestUnits('vad', vadRequest(1, 0), sileroPlan)).toBe(1);
    expect(requestUnits('vad', vadRequest(3, 0), sileroPlan)).toBe(3);
    const fixed = resolveBatchPlan('m', [spec('x', 'float32', [1, 3])], [], {});
    expect(requestUnits('m', { x: ramp([1, 3], 0) }, fixed)).toBe(1);
  });

  it('names both inputs when they disagree on the batch size', () => {
    const error = thrown(() => requestUnits('vad', { ...vadRequest(2, 0), state: ramp([2, 3, 128], 0) }, sileroPlan));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', model: 'vad', input: 'state', expected: '2 on axis 1 (as in "input")', got: '[2, 3, 128]' });
    expect(error).toHaveProperty(
      'message',
      'Inputs "input" and "state" of model "vad" disagree on the batch size: 2 on axis 0 of "input", 3 on axis 1 of "state". Every batched input of one request holds the same number of items.',
    );
  });

  it('rejects an empty request and a missing input', () => {
    expect(thrown(() => requestUnits('vad', { ...vadRequest(1, 0), input: ramp([0, 576], 0) }, sileroPlan))).toMatchObject({
      code: 'INVALID_INPUT',
      input: 'input',
    });
    const { input, sr: rate } = vadRequest(1, 0);
    expect(thrown(() => requestUnits('vad', { input, sr: rate }, sileroPlan))).toMatchObject({ code: 'INVALID_INPUT', input: 'state', got: 'nothing' });
  });
});

describe('batchKeyOf', () => {
  it('is equal across batch sizes and data of batched inputs, and differs by shared values', () => {
    const key = batchKeyOf(vadRequest(1, 0), sileroPlan);
    expect(batchKeyOf(vadRequest(5, 7), sileroPlan)).toBe(key);
    expect(batchKeyOf(vadRequest(1, 0, 8000n), sileroPlan)).not.toBe(key);
    expect(batchKeyOf(vadRequest(2, 3, 8000n), sileroPlan)).toBe(batchKeyOf(vadRequest(1, 0, 8000n), sileroPlan));
    expect(key).toMatch(/^\[\["input","float32",\["\*",576\]\],\["state","float32",\[2,"\*",128\]\],\["sr","int64",\[\],"[0-9a-f]{16}"\]\]$/);
  });

  it('differs by dtype and by non-batch dims in group mode; ignores the ragged axis in pad mode', () => {
    const inputs = [spec('ids', 'int64', [null, null])];
    const group = resolveBatchPlan('m', inputs, [], {});
    const pad = resolveBatchPlan('m', inputs, [], { ragged: { mode: 'pad', inputs: { ids: { axis: 1 } } } });
    const ids = (len: number): TensorMap => ({ ids: tensor('int64', [1, len], new BigInt64Array(len)) });
    expect(batchKeyOf(ids(3), group)).not.toBe(batchKeyOf(ids(4), group));
    expect(batchKeyOf(ids(3), pad)).toBe(batchKeyOf(ids(4), pad));
    const shared = resolveBatchPlan('m', [spec('x', 'float32', ['b']), spec('k', 'float32', [2])], [], {});
    const f = (k: Float32Array): TensorMap => ({ x: ramp([1], 0), k: tensor('float32', [2], k) });
    expect(batchKeyOf(f(Float32Array.of(1, 2)), shared)).toBe(batchKeyOf(f(Float32Array.of(1, 2)), shared));
    expect(batchKeyOf(f(Float32Array.of(1, 2)), shared)).not.toBe(batchKeyOf(f(Float32Array.of(2, 1)), shared));
  });

  it('hashes only the bytes a tensor views, not the rest of its buffer', () => {
    const plan = resolveBatchPlan('m', [spec('k', 'uint8', [2])], [], {});
    const buffer = Uint8Array.of(9, 1, 2, 9);
    expect(batchKeyOf({ k: tensor('uint8', [2], buffer.subarray(1, 3)) }, plan)).toBe(batchKeyOf({ k: tensor('uint8', [2], Uint8Array.of(1, 2)) }, plan));
  });
});

describe('stackRequests / splitOutputs: Silero', () => {
  const requests = [vadRequest(1, 1), vadRequest(3, 2), vadRequest(2, 3)];

  it('interleaves state along axis 1 exactly as built by hand', () => {
    const batch = stackRequests('vad', requests, sileroPlan);
    expect(batch.units).toEqual([1, 3, 2]);
    expect(batch.lengths).toBeUndefined();
    const state = get(batch.inputs, 'state');
    expect(state.dims).toEqual([2, 6, 128]);
    // By hand: for each of the 2 layers, request 1's 1 row, request 2's 3 rows, request 3's 2 rows.
    const expected: number[] = [];
    for (let layer = 0; layer < 2; layer += 1) {
      requests.forEach((request) => {
        const s = get(request, 'state');
        const rows = s.dims[1] ?? 0;
        expected.push(
          ...valuesOf(s)
            .slice(layer * rows * 128, (layer + 1) * rows * 128)
            .map(Number),
        );
      });
    }
    expect(valuesOf(state)).toEqual(expected);
    expect(valuesOf(get(batch.inputs, 'input'))).toEqual(requests.flatMap((r) => valuesOf(get(r, 'input'))));
    expect(get(batch.inputs, 'sr')).toMatchObject({ dtype: 'int64', dims: [] });
    expect(valuesOf(get(batch.inputs, 'sr'))).toEqual([16000n]);
  });

  it('gives every request what the model would have given it alone', () => {
    const batch = stackRequests('vad', requests, sileroPlan);
    const split = splitOutputs('vad', fakeSilero(batch.inputs), batch.units, sileroPlan);
    expect(split).toHaveLength(3);
    split.forEach((outputs, i) => {
      const alone = fakeSilero(requests[i] ?? {});
      expect(get(outputs, 'output')).toEqual(get(alone, 'output'));
      expect(get(outputs, 'stateN')).toEqual(get(alone, 'stateN'));
    });
  });

  it('builds new buffers, never views into the requests, and splits into separate buffers', () => {
    const batch = stackRequests('vad', requests, sileroPlan);
    const requestBuffers = new Set(requests.flatMap((r) => Object.values(r).map((t) => t.data.buffer)));
    for (const t of Object.values(batch.inputs)) expect(requestBuffers.has(t.data.buffer)).toBe(false);
    const outputs = fakeSilero(batch.inputs);
    const split = splitOutputs('vad', outputs, batch.units, sileroPlan);
    const buffers = split.flatMap((o) => Object.values(o).map((t) => t.data.buffer));
    expect(new Set(buffers).size).toBe(buffers.length);
    for (const t of Object.values(outputs)) expect(buffers).not.toContain(t.data.buffer);
  });

  it('passes a lone request through, with the mask added in pad mode', () => {
    const request = vadRequest(2, 0);
    const batch = stackRequests('vad', [request], sileroPlan);
    expect(batch.units).toEqual([2]);
    expect(get(batch.inputs, 'state')).toBe(request.state);
    const outputs = fakeSilero(batch.inputs);
    expect(splitOutputs('vad', outputs, batch.units, sileroPlan)).toEqual([outputs]);
  });

  it('refuses requests that cannot share a batch', () => {
    const odd = { ...vadRequest(1, 0), sr: tensor('int32', [], Int32Array.of(16000)) };
    expect(thrown(() => stackRequests('vad', [vadRequest(1, 0), odd], sileroPlan))).toMatchObject({ code: 'INVALID_INPUT', input: 'sr' });
    const wide = resolveBatchPlan('m', [spec('x', 'float32', [null, null])], [], {});
    const error = thrown(() => stackRequests('m', [{ x: ramp([1, 3], 0) }, { x: ramp([1, 4], 0) }], wide));
    expect(error).toMatchObject({ code: 'INVALID_INPUT', input: 'x', expected: 'float32 [1, 3]', got: 'float32 [1, 4]' });
    expect(thrown(() => stackRequests('m', [], wide))).toBeInstanceOf(InvalidInputError);
  });

  it('fails with INFERENCE_FAILED when an output does not hold the batch on its batch axis', () => {
    const batch = stackRequests('vad', requests, sileroPlan);
    const outputs = { ...fakeSilero(batch.inputs), stateN: ramp([6, 2, 128], 0) };
    const error = thrown(() => splitOutputs('vad', outputs, batch.units, sileroPlan));
    expect(error).toBeInstanceOf(InferenceError);
    expect(error).toMatchObject({ input: 'stateN', expected: '6 on axis 1', got: '[6, 2, 128]' });
    expect(error).toHaveProperty('message', expect.stringMatching(/declare `batchAxes.stateN`/));
  });

  it('copies an output without a batch axis to every request', () => {
    const plan = resolveBatchPlan('m', [spec('x', 'float32', ['b', 2])], [spec('y', 'float32', ['b', 2]), spec('norm', 'float32', [])], {});
    const batch = stackRequests('m', [{ x: ramp([1, 2], 0) }, { x: ramp([2, 2], 10) }], plan);
    const norm = tensor('float32', [], Float32Array.of(7));
    const split = splitOutputs('m', { y: get(batch.inputs, 'x'), norm }, batch.units, plan);
    expect(split.map((o) => valuesOf(o.norm))).toEqual([[7], [7]]);
    expect(split[0]?.norm?.data.buffer).not.toBe(split[1]?.norm?.data.buffer);
    expect(split.map((o) => valuesOf(o.y))).toEqual([
      [0, 1],
      [10, 11, 12, 13],
    ]);
  });
});

describe('stackRequests / splitOutputs: dtypes', () => {
  it('stacks int64 and bool along axis 0 and an inner axis, and splits them back', () => {
    const plan = resolveBatchPlan(
      'm',
      [spec('ids', 'int64', ['b', 3]), spec('flags', 'bool', [2, 'b'])],
      [spec('ids', 'int64', ['b', 3]), spec('flags', 'bool', [2, 'b'])],
      {},
    );
    const request = (batch: number, first: bigint): TensorMap => ({
      ids: tensor(
        'int64',
        [batch, 3],
        BigInt64Array.from({ length: batch * 3 }, (_, i) => first + BigInt(i)),
      ),
      flags: tensor(
        'bool',
        [2, batch],
        Uint8Array.from({ length: 2 * batch }, (_, i) => (i + (first < 0n ? 1 : 0)) % 2),
      ),
    });
    const requests = [request(1, 1n << 40n), request(2, -5n)];
    const batch = stackRequests('m', requests, plan);
    expect(get(batch.inputs, 'ids')).toEqual(
      tensor('int64', [3, 3], BigInt64Array.of(1n << 40n, (1n << 40n) + 1n, (1n << 40n) + 2n, -5n, -4n, -3n, -2n, -1n, 0n)),
    );
    // flags [2, b]: r0 is [[0], [1]], r1 [[1, 0], [1, 0]]; the batch's row 0 is [r0 row 0, r1 row 0], its row 1 [r0 row 1, r1 row 1].
    expect(get(batch.inputs, 'flags')).toEqual(tensor('bool', [2, 3], Uint8Array.of(0, 1, 0, 1, 1, 0)));
    expect(splitOutputs('m', batch.inputs, batch.units, plan)).toEqual(requests);
  });
});

describe('stackRequests / splitOutputs: pad mode', () => {
  const vocab = 4;
  const specs = {
    inputs: [spec('input_ids', 'int64', ['batch', 'sequence']), spec('attention_mask', 'int64', ['batch', 'sequence'])],
    outputs: [spec('logits', 'float32', ['batch', 'sequence', vocab])],
  };
  const config: BatchingConfig = {
    ragged: { mode: 'pad', inputs: { input_ids: { axis: 1, padValue: 99 } }, mask: 'attention_mask', outputs: { logits: { axis: 1 } } },
  };
  const plan = resolveBatchPlan('gpt', specs.inputs, specs.outputs, config);
  const ids = (rows: readonly (readonly number[])[]): TensorMap => ({
    input_ids: tensor('int64', [rows.length, rows[0]?.length ?? 0], BigInt64Array.from(rows.flat(), BigInt)),
  });
  /** A stand-in model: logits[b, t, v] = id · 10 + v where the mask is 1, -1 where it is 0. */
  const fakeModel = (inputs: TensorMap): TensorMap => {
    const idsTensor = get(inputs, 'input_ids');
    const mask = valuesOf(inputs.attention_mask);
    const [batch = 0, length = 0] = idsTensor.dims;
    const values = valuesOf(idsTensor);
    const logits = Float32Array.from({ length: batch * length * vocab }, (_, i) => {
      const position = Math.floor(i / vocab);
      return mask[position] === 1n ? Number(values[position]) * 10 + (i % vocab) : -1;
    });
    return { logits: tensor('float32', [batch, length, vocab], logits) };
  };
  const alone = (request: TensorMap): TensorMap => {
    const [rows = 0, length = 0] = get(request, 'input_ids').dims;
    return fakeModel({ ...request, attention_mask: tensor('int64', [rows, length], new BigInt64Array(rows * length).fill(1n)) });
  };
  const requests = [
    ids([[1, 2, 3]]),
    ids([[4, 5, 6, 7, 8]]),
    ids([[9, 10]]),
    ids([
      [11, 12, 13, 14],
      [15, 16, 17, 18],
    ]),
  ];

  it('pads token ids with the pad value, builds the int64 mask, and returns the lengths', () => {
    const batch = stackRequests('gpt', requests, plan);
    expect(batch.units).toEqual([1, 1, 1, 2]);
    expect(batch.lengths).toEqual([3, 5, 2, 4]);
    expect(get(batch.inputs, 'input_ids')).toEqual(
      tensor('int64', [5, 5], BigInt64Array.from([1, 2, 3, 99, 99, 4, 5, 6, 7, 8, 9, 10, 99, 99, 99, 11, 12, 13, 14, 99, 15, 16, 17, 18, 99], BigInt)),
    );
    expect(get(batch.inputs, 'attention_mask')).toEqual(
      tensor('int64', [5, 5], BigInt64Array.from([1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0], BigInt)),
    );
  });

  it('cuts the logits back to each request length: what the model gives it alone', () => {
    const batch = stackRequests('gpt', requests, plan);
    const split = splitOutputs('gpt', fakeModel(batch.inputs), batch.units, plan, batch.lengths);
    expect(split.map((o) => get(o, 'logits').dims)).toEqual([
      [1, 3, vocab],
      [1, 5, vocab],
      [1, 2, vocab],
      [2, 4, vocab],
    ]);
    split.forEach((outputs, i) => expect(outputs).toEqual(alone(requests[i] ?? {})));
  });

  it('cuts proportionally when the output axis is a multiple of the length', () => {
    const doubled = resolveBatchPlan('m', [spec('x', 'float32', ['b', null])], [spec('y', 'float32', ['b', null])], {
      ragged: { mode: 'pad', inputs: { x: { axis: 1 } }, outputs: { y: { axis: 1 } } },
    });
    const batch = stackRequests('m', [{ x: ramp([1, 2], 0) }, { x: ramp([1, 3], 0) }], doubled);
    // y has 2 positions per input position (an upsampling model): 6 for the longest (3).
    const split = splitOutputs('m', { y: ramp([2, 6], 0) }, batch.units, doubled, batch.lengths);
    expect(split.map((o) => valuesOf(o.y))).toEqual([
      [0, 1, 2, 3],
      [6, 7, 8, 9, 10, 11],
    ]);
    // Not a multiple: 5 positions for 3; a request of length 2 keeps ceil(5 · 2 / 3) = 4.
    const uneven = splitOutputs('m', { y: ramp([2, 5], 0) }, batch.units, doubled, batch.lengths);
    expect(uneven.map((o) => o.y?.dims)).toEqual([
      [1, 4],
      [1, 5],
    ]);
  });

  it.each(['int32', 'float32', 'bool', 'uint8'] as const)('builds a %s mask', (dtype) => {
    const masked = resolveBatchPlan('m', [spec('x', 'float32', ['b', null]), spec('mask', dtype, ['b', null])], [], {
      ragged: { mode: 'pad', inputs: { x: { axis: 1, padValue: -0.5 } }, mask: 'mask' },
    });
    const batch = stackRequests('m', [{ x: ramp([1, 1], 5) }, { x: ramp([1, 3], 7) }], masked);
    expect(get(batch.inputs, 'mask')).toMatchObject({ dtype, dims: [2, 3] });
    expect(valuesOf(get(batch.inputs, 'mask')).map(Number)).toEqual([1, 0, 0, 1, 1, 1]);
    expect(valuesOf(get(batch.inputs, 'x'))).toEqual([5, -0.5, -0.5, 7, 8, 9]);
  });

  it('passes a lone request through and still builds its mask', () => {
    const request = requests[1] ?? {};
    const batch = stackRequests('gpt', [request], plan);
    expect(batch).toMatchObject({ units: [1], lengths: [5] });
    expect(get(batch.inputs, 'input_ids')).toBe(request.input_ids);
    expect(valuesOf(batch.inputs.attention_mask)).toEqual([1n, 1n, 1n, 1n, 1n]);
    expect(splitOutputs('gpt', fakeModel(batch.inputs), batch.units, plan, batch.lengths)).toEqual([alone(request)]);
  });

  it('fails when lengths are missing for an output to cut', () => {
    const batch = stackRequests('gpt', requests.slice(0, 2), plan);
    expect(thrown(() => splitOutputs('gpt', fakeModel(batch.inputs), batch.units, plan))).toMatchObject({ code: 'INFERENCE_FAILED', input: 'logits' });
    expect(thrown(() => splitOutputs('gpt', fakeModel(batch.inputs), batch.units, plan, [3]))).toMatchObject({ code: 'INFERENCE_FAILED' });
  });
});
