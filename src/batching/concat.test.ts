import { describe, expect, it } from 'vitest';
import type { Dim, Tensor, TensorDType, TensorMap, TensorSpec } from '../protocol';
import { tensor } from '../tensor';
import type { BatchingConfig } from './config';
import { resolveBatchPlan } from './plan';
import { batchKeyOf, requestUnits, splitOutputs, stackRequests } from './stack';

const spec = (name: string, dtype: TensorDType, shape: readonly Dim[] | null): TensorSpec => ({ name, dtype, shape });

// USE-lite's signature: a sparse batch of token ids, one [text, position] row per token; one 512-d vector per text.
const useInputs = [spec('indices', 'int32', [null, 2]), spec('values', 'int32', [null])];
const useOutputs = [spec('embedding', 'float32', [null, 512])];
const useConfig: BatchingConfig = { ragged: { mode: 'concat', inputs: { indices: { itemColumn: 0 }, values: {} } } };
const plan = resolveBatchPlan('use', useInputs, useOutputs, useConfig);

/** A request of texts given as token id lists: the sparse [text, position] rows and their ids. */
function sparse(texts: readonly (readonly number[])[]): TensorMap {
  const rows = texts.flatMap((ids, text) => ids.map((id, position) => [text, position, id] as const));
  return {
    indices: tensor('int32', [rows.length, 2], Int32Array.from(rows.flatMap(([text, position]) => [text, position]))),
    values: tensor('int32', [rows.length], Int32Array.from(rows.map(([, , id]) => id))),
  };
}

/** A stand-in for the encoder: item i's vector is [sum of its ids, its token count, 0, …]. */
function fakeEncoder(inputs: TensorMap): TensorMap {
  const indices = inputs.indices;
  const values = inputs.values;
  if (indices?.dtype !== 'int32' || values?.dtype !== 'int32') throw new Error('bad inputs');
  const items = Math.max(...Array.from(indices.data.filter((_, i) => i % 2 === 0))) + 1;
  const out = new Float32Array(items * 512);
  values.data.forEach((id, row) => {
    const item = indices.data[row * 2] ?? 0;
    out[item * 512] = (out[item * 512] ?? 0) + id;
    out[item * 512 + 1] = (out[item * 512 + 1] ?? 0) + 1;
  });
  return { embedding: tensor('float32', [items, 512], out) };
}

/** Column 0 of a [rows, 2] tensor (the item numbers). */
const items = (t: Tensor | undefined): (number | bigint)[] => (t === undefined ? [] : [...t.data].filter((_, i) => i % 2 === 0));

const head = (t: Tensor | undefined): number[] => (t?.dtype === 'float32' ? Array.from(t.data).filter((_, i) => i % 512 < 2) : []);

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe("ragged: { mode: 'concat' } (rows joined end to end)", () => {
  it('plans joined inputs with no batch axis, the outputs split on axis 0', () => {
    expect(plan.mode).toBe('concat');
    expect(plan.batchable).toBe(true);
    expect(plan.inputs.map((i) => [i.name, i.batchAxis, i.concat])).toEqual([
      ['indices', null, { itemColumn: 0 }],
      ['values', null, { itemColumn: null }],
    ]);
    expect(plan.outputs.map((o) => [o.name, o.batchAxis])).toEqual([['embedding', 0]]);
  });

  it("counts a request's units from its item column, and keys requests of any row count alike", () => {
    const a = sparse([[5, 6, 7], [8]]);
    const b = sparse([[1], [2, 3], [4, 4, 4, 4]]);
    expect(requestUnits('use', a, plan)).toBe(2);
    expect(requestUnits('use', b, plan)).toBe(3);
    expect(batchKeyOf(a, plan)).toBe(batchKeyOf(b, plan));
  });

  it('joins rows with item numbers offset, and splits the outputs back: equal to running each request alone', () => {
    const requests = [
      sparse([[5, 6, 7], [8]]),
      sparse([[1]]),
      sparse([
        [2, 3],
        [4, 4, 4, 4],
        [9, 9],
      ]),
    ];
    const batch = stackRequests('use', requests, plan);
    expect(batch.units).toEqual([2, 1, 3]);
    expect(batch.inputs.indices?.dims).toEqual([13, 2]);
    expect(items(batch.inputs.indices)).toEqual([0, 0, 0, 1, 2, 3, 3, 4, 4, 4, 4, 5, 5]);
    const split = splitOutputs('use', fakeEncoder(batch.inputs), batch.units, plan);
    expect(split.map((outputs) => head(outputs.embedding))).toEqual(requests.map((request) => head(fakeEncoder(request).embedding)));
    expect(split.map((outputs) => outputs.embedding?.dims)).toEqual([
      [2, 512],
      [1, 512],
      [3, 512],
    ]);
  });

  it('offsets an int64 item column too', () => {
    const plan64 = resolveBatchPlan('coo', [spec('idx', 'int64', [null, 2]), spec('val', 'float32', [null])], [spec('y', 'float32', [null])], {
      ragged: { mode: 'concat', inputs: { idx: { itemColumn: 0 }, val: {} } },
    });
    const request = (items: number): TensorMap => ({
      idx: tensor('int64', [items, 2], BigInt64Array.from(Array.from({ length: items }, (_, i) => [BigInt(i), 0n]).flat())),
      val: tensor('float32', [items], new Float32Array(items)),
    });
    const batch = stackRequests('coo', [request(2), request(3)], plan64);
    expect(items(batch.inputs.idx)).toEqual([0n, 1n, 2n, 3n, 4n]);
  });

  it('refuses requests it cannot count: no rows, a negative item number', () => {
    const empty = { indices: tensor('int32', [0, 2], new Int32Array(0)), values: tensor('int32', [0], new Int32Array(0)) };
    expect(thrown(() => requestUnits('use', empty, plan))).toMatchObject({ code: 'INVALID_INPUT', input: 'indices' });
    const negative = { indices: tensor('int32', [1, 2], Int32Array.of(-1, 0)), values: tensor('int32', [1], Int32Array.of(3)) };
    expect(thrown(() => requestUnits('use', negative, plan))).toMatchObject({ code: 'INVALID_INPUT', input: 'indices', got: '-1' });
  });

  it.each([
    [{ ragged: { mode: 'concat', inputs: {} } }, 'ragged.inputs'],
    [{ ragged: { mode: 'concat', inputs: { tokens: {} } } }, 'ragged.inputs.tokens'],
    [{ ragged: { mode: 'concat', inputs: { indices: {}, values: {} } } }, 'ragged.inputs'], // nothing gives the units
    [{ ragged: { mode: 'concat', inputs: { indices: { itemColumn: 2 } } } }, 'ragged.inputs.indices.itemColumn'],
    [{ ragged: { mode: 'concat', inputs: { indices: { itemColumn: 0, axis: 1 } } } }, 'ragged.inputs.indices.axis'],
    [{ ragged: { mode: 'concat', inputs: { indices: { itemColumn: 0 } }, mask: 'm' } }, 'ragged.mask'],
    [{ ragged: { mode: 'concat', inputs: { indices: { itemColumn: 0 } } }, batchAxes: { indices: 0 } }, 'batchAxes.indices'],
  ])('refuses a bad concat config %j, naming %s', (config, path) => {
    expect(thrown(() => resolveBatchPlan('use', useInputs, useOutputs, config as BatchingConfig))).toMatchObject({ code: 'INVALID_OPTIONS', input: path });
  });

  it('refuses an item column on a float input and a joined input whose axis 0 the graph fixes', () => {
    const inputs = [spec('pts', 'float32', [null, 3]), spec('fixed', 'int32', [4, 2])];
    const outputs = [spec('y', 'float32', [null])];
    const ragged = (entries: Record<string, unknown>): BatchingConfig => ({ ragged: { mode: 'concat', inputs: entries } }) as BatchingConfig;
    expect(thrown(() => resolveBatchPlan('m', inputs, outputs, ragged({ pts: { itemColumn: 0 } })))).toMatchObject({ input: 'ragged.inputs.pts.itemColumn' });
    expect(thrown(() => resolveBatchPlan('m', inputs, outputs, ragged({ fixed: { itemColumn: 0 } })))).toMatchObject({ input: 'ragged.inputs.fixed' });
  });
});
