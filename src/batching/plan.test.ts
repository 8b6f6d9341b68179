import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors';
import type { Dim, TensorDType, TensorSpec } from '../protocol';
import type { BatchingConfig } from './config';
import { requestInputSpecs, resolveBatchPlan, type BatchPlan } from './plan';

const spec = (name: string, dtype: TensorDType, shape: readonly Dim[] | null): TensorSpec => ({ name, dtype, shape });

// Silero VAD v5 as its `shapes` override declares it.
const silero = {
  inputs: [spec('input', 'float32', ['batch', 576]), spec('state', 'float32', [2, 'batch', 128]), spec('sr', 'int64', [])],
  outputs: [spec('output', 'float32', ['batch', 1]), spec('stateN', 'float32', [2, 'batch', 128])],
};

// A decoder as Hugging Face Optimum exports it.
const decoder = {
  inputs: [spec('input_ids', 'int64', ['batch_size', 'sequence_length']), spec('attention_mask', 'int64', ['batch_size', 'sequence_length'])],
  outputs: [spec('logits', 'float32', ['batch_size', 'sequence_length', 8])],
};

const padDecoder: BatchingConfig = {
  ragged: { mode: 'pad', inputs: { input_ids: { axis: 1, padValue: 0 } }, mask: 'attention_mask', outputs: { logits: { axis: 1 } } },
};

const axesOf = (plan: BatchPlan): Record<string, number | null> =>
  Object.fromEntries([...plan.inputs, ...plan.outputs].map((tensor) => [tensor.name, tensor.batchAxis]));

/** The error `resolveBatchPlan` throws (fails the test when it does not throw one). */
function configError(model: { inputs: TensorSpec[]; outputs: TensorSpec[] }, config: unknown): InvalidOptionsError {
  try {
    // The checks exist for configs from untyped callers: pass the wrong types on purpose.
    resolveBatchPlan('m', model.inputs, model.outputs, config as BatchingConfig);
  } catch (error) {
    if (error instanceof InvalidOptionsError) return error;
    throw error;
  }
  throw new Error('expected resolveBatchPlan to throw');
}

describe('resolveBatchPlan: batch axes', () => {
  it('infers Silero: the batch symbol gives state its inner axis; the scalar has none', () => {
    const plan = resolveBatchPlan('vad', silero.inputs, silero.outputs, {});
    expect(axesOf(plan)).toEqual({ input: 0, state: 1, sr: null, output: 0, stateN: 1 });
    expect(plan).toMatchObject({ model: 'vad', mode: 'group', batchable: true, graphMaxBatchSize: null, maxBatchSize: null, mask: null, lengthsFrom: null });
  });

  it('takes declared axes over inference, and null as "no batch axis"', () => {
    const outputs = [spec('output', 'float32', null), spec('stateN', 'float32', null)];
    const plan = resolveBatchPlan('vad', silero.inputs, outputs, { batchAxes: { stateN: 1, input: null, state: 1 } });
    expect(axesOf(plan)).toEqual({ input: null, state: 1, sr: null, output: 0, stateN: 1 });
  });

  it('gives a free or symbolic leading dimension axis 0, fixed shapes and scalars none', () => {
    const inputs = [spec('a', 'float32', [null, 3]), spec('b', 'int32', ['n', 'm']), spec('c', 'float32', [1, 4]), spec('d', 'uint8', [])];
    const plan = resolveBatchPlan('m', inputs, [spec('y', 'float32', [null])], {});
    expect(axesOf(plan)).toEqual({ a: 0, b: 0, c: null, d: null, y: 0 });
  });

  it('matches the declared batch symbol anywhere before falling back to the leading axis', () => {
    const inputs = [spec('a', 'float32', ['layers', 'batch', 4]), spec('b', 'float32', ['layers', 'batch', 8]), spec('c', 'float32', ['batch'])];
    expect(axesOf(resolveBatchPlan('m', inputs, [], { batchAxes: { a: 1 } }))).toEqual({ a: 1, b: 1, c: 0 });
    // Undeclared, the leading symbols are all batch symbols: 'layers' wins for a and b.
    expect(axesOf(resolveBatchPlan('m', inputs, [], {}))).toEqual({ a: 0, b: 0, c: 0 });
  });

  it('gives an output of unknown shape axis 0 when the model batches, none when it cannot', () => {
    const out = [spec('y', 'float32', null)];
    expect(resolveBatchPlan('m', [spec('x', 'float32', [null, 3])], out, {}).outputs[0]?.batchAxis).toBe(0);
    const fixed = resolveBatchPlan('m', [spec('x', 'float32', [1, 3])], [spec('y', 'float32', [null, 2])], {});
    expect(fixed.outputs[0]?.batchAxis).toBeNull();
    expect(fixed).toMatchObject({ batchable: false, graphMaxBatchSize: 1, maxBatchSize: 1 });
  });

  it('caps the model at 1 when a batch axis is fixed to 1 by the graph', () => {
    const plan = resolveBatchPlan('movenet', [spec('image', 'int32', [1, 192, 192, 3])], [spec('keypoints', 'float32', [1, 1, 17, 3])], {
      batchAxes: { image: 0, keypoints: 0 },
    });
    expect(plan).toMatchObject({ batchable: false, graphMaxBatchSize: 1, maxBatchSize: 1 });
    expect(axesOf(plan)).toEqual({ image: 0, keypoints: 0 });
  });

  it('keeps a declared maxBatchSize', () => {
    expect(resolveBatchPlan('vad', silero.inputs, silero.outputs, { maxBatchSize: 32 }).maxBatchSize).toBe(32);
    expect(resolveBatchPlan('vad', silero.inputs, silero.outputs, { maxBatchSize: 1 })).toMatchObject({ batchable: true, maxBatchSize: 1 });
  });

  it('resolves pad mode: ragged axis and pad value, mask, cut outputs; the mask is no request input', () => {
    const plan = resolveBatchPlan('gpt', decoder.inputs, decoder.outputs, padDecoder);
    expect(plan.mode).toBe('pad');
    expect(plan.inputs).toEqual([{ name: 'input_ids', dtype: 'int64', batchAxis: 0, ragged: { axis: 1, padValue: 0 }, concat: null }]);
    expect(plan.outputs).toEqual([{ name: 'logits', dtype: 'float32', batchAxis: 0, cutAxis: 1 }]);
    expect(plan.mask).toEqual({ name: 'attention_mask', dtype: 'int64' });
    expect(plan.lengthsFrom).toBe('input_ids');
    expect(requestInputSpecs(decoder.inputs, plan).map((s) => s.name)).toEqual(['input_ids']);
    const noMask = resolveBatchPlan('gpt', decoder.inputs, decoder.outputs, { ragged: { mode: 'pad', inputs: { input_ids: { axis: 1 } } } });
    expect(noMask.inputs.map((i) => i.ragged)).toEqual([{ axis: 1, padValue: 0 }, null]);
    expect(requestInputSpecs(decoder.inputs, noMask)).toHaveLength(2);
  });

  it('is plain data that survives structured cloning', () => {
    const plan = resolveBatchPlan('gpt', decoder.inputs, decoder.outputs, padDecoder);
    expect(structuredClone(plan)).toEqual(plan);
  });
});

describe('resolveBatchPlan: bad configs fail with INVALID_OPTIONS naming the field', () => {
  interface Case {
    readonly what: string;
    readonly model?: { inputs: TensorSpec[]; outputs: TensorSpec[] };
    readonly config: unknown;
    readonly input: string;
    readonly message: RegExp;
  }
  const pad = (extra: Record<string, unknown>): Record<string, unknown> => ({ ragged: { mode: 'pad', inputs: { input_ids: { axis: 1 } }, ...extra } });
  const cases: Case[] = [
    { what: 'batchAxes not an object', config: { batchAxes: [0] }, input: 'batchAxes', message: /must be an object mapping tensor names/ },
    { what: 'an unknown tensor in batchAxes', config: { batchAxes: { stat: 1 } }, input: 'batchAxes.stat', message: /names no input or output.*"state"/ },
    { what: 'an axis that is not an integer', config: { batchAxes: { state: 1.5 } }, input: 'batchAxes.state', message: /must be an integer batch axis/ },
    { what: 'an axis given as a string', config: { batchAxes: { state: '1' } }, input: 'batchAxes.state', message: /got "1"/ },
    { what: 'an axis out of range', config: { batchAxes: { state: 3 } }, input: 'batchAxes.state', message: /is 3, out of range.*use an integer from 0 to 2/ },
    { what: 'a negative axis', config: { batchAxes: { input: -1 } }, input: 'batchAxes.input', message: /is -1, out of range/ },
    { what: 'an axis on a scalar', config: { batchAxes: { sr: 0 } }, input: 'batchAxes.sr', message: /is a scalar.*use null/ },
    { what: 'a batch axis the graph fixes', config: { batchAxes: { state: 0 } }, input: 'batchAxes.state', message: /fixes that dimension.*to 2.*\(1\)/ },
    { what: 'maxBatchSize not an integer', config: { maxBatchSize: 2.5 }, input: 'maxBatchSize', message: /must be an integer from 1 and up/ },
    { what: 'maxBatchSize below 1', config: { maxBatchSize: 0 }, input: 'maxBatchSize', message: /got 0/ },
    { what: 'maxBatchSize as a string', config: { maxBatchSize: '8' }, input: 'maxBatchSize', message: /got "8"/ },
    { what: 'a ragged config that is not an object', config: { ragged: 'pad' }, input: 'ragged', message: /must be \{ mode: 'group' \}/ },
    {
      what: 'an unknown ragged.mode',
      config: { ragged: { mode: 'bucket' } },
      input: 'ragged.mode',
      message: /must be 'group'.*'pad'.*or 'concat'.*got "bucket"/,
    },
    {
      what: 'pad options in group mode',
      config: { ragged: { mode: 'group', inputs: { input: { axis: 1 } } } },
      input: 'ragged.inputs',
      message: /applies to mode 'pad' only/,
    },
    { what: 'an unknown ragged option', config: pad({ masks: 'x' }), input: 'ragged.masks', message: /is not a ragged option/ },
  ];
  const decoderCases: Case[] = [
    { what: 'pad mode without inputs', config: { ragged: { mode: 'pad', inputs: {} } }, input: 'ragged.inputs', message: /must name at least one input/ },
    {
      what: 'a ragged entry for an unknown input',
      config: { ragged: { mode: 'pad', inputs: { tokens: { axis: 1 } } } },
      input: 'ragged.inputs.tokens',
      message: /names no input.*"input_ids"/,
    },
    {
      what: 'a ragged entry on an output',
      config: { ragged: { mode: 'pad', inputs: { logits: { axis: 1, padValue: 0 } } } },
      input: 'ragged.inputs.logits',
      message: /is an output.*ragged\.outputs\.logits/,
    },
    {
      what: 'a ragged entry that is not an object',
      config: { ragged: { mode: 'pad', inputs: { input_ids: 1 } } },
      input: 'ragged.inputs.input_ids',
      message: /must be \{ axis, padValue\? \}/,
    },
    {
      what: 'an unknown key in a ragged entry',
      config: { ragged: { mode: 'pad', inputs: { input_ids: { axis: 1, pad: 0 } } } },
      input: 'ragged.inputs.input_ids.pad',
      message: /not an option/,
    },
    {
      what: 'a ragged entry without an axis',
      config: { ragged: { mode: 'pad', inputs: { input_ids: { padValue: 0 } } } },
      input: 'ragged.inputs.input_ids.axis',
      message: /must be an integer ragged axis.*got undefined/,
    },
    {
      what: 'a ragged axis out of range',
      config: { ragged: { mode: 'pad', inputs: { input_ids: { axis: 2 } } } },
      input: 'ragged.inputs.input_ids.axis',
      message: /out of range/,
    },
    {
      what: 'a ragged axis equal to the batch axis',
      config: { ragged: { mode: 'pad', inputs: { input_ids: { axis: 0 } } } },
      input: 'ragged.inputs.input_ids.axis',
      message: /the batch axis of "input_ids"/,
    },
    {
      what: 'a pad value that is NaN',
      config: { ragged: { mode: 'pad', inputs: { input_ids: { axis: 1, padValue: Number.NaN } } } },
      input: 'ragged.inputs.input_ids.padValue',
      message: /must be a finite number.*got NaN/,
    },
    {
      what: 'a pad value that is Infinity',
      config: { ragged: { mode: 'pad', inputs: { input_ids: { axis: 1, padValue: Infinity } } } },
      input: 'ragged.inputs.input_ids.padValue',
      message: /finite number/,
    },
    {
      what: 'a fractional pad value for int64',
      config: { ragged: { mode: 'pad', inputs: { input_ids: { axis: 1, padValue: 0.5 } } } },
      input: 'ragged.inputs.input_ids.padValue',
      message: /must be an integer from .* to pad int64/,
    },
    { what: 'a mask naming an unknown input', config: pad({ mask: 'mask' }), input: 'ragged.mask', message: /names no input/ },
    { what: 'a mask naming an output', config: pad({ mask: 'logits' }), input: 'ragged.mask', message: /is an output/ },
    {
      what: 'a mask that is also ragged',
      config: { ragged: { mode: 'pad', inputs: { input_ids: { axis: 1 }, attention_mask: { axis: 1 } }, mask: 'attention_mask' } },
      input: 'ragged.mask',
      message: /also in `ragged.inputs`/,
    },
    { what: 'a mask that is not a string', config: pad({ mask: 1 }), input: 'ragged.mask', message: /must name an input/ },
    {
      what: 'a mask with another batch axis',
      config: { batchAxes: { attention_mask: 1 }, ...pad({ mask: 'attention_mask' }) },
      input: 'batchAxes.attention_mask',
      message: /its batch axis is 0/,
    },
    { what: 'a cut axis out of range', config: pad({ outputs: { logits: { axis: 3 } } }), input: 'ragged.outputs.logits.axis', message: /out of range/ },
    {
      what: 'a cut axis equal to the batch axis',
      config: pad({ outputs: { logits: { axis: 0 } } }),
      input: 'ragged.outputs.logits.axis',
      message: /the batch axis/,
    },
    {
      what: 'a cut axis the graph fixes',
      config: pad({ outputs: { logits: { axis: 2 } } }),
      input: 'ragged.outputs.logits.axis',
      message: /fixes that dimension.*to 8/,
    },
    {
      what: 'a cut output that is unknown',
      config: pad({ outputs: { scores: { axis: 1 } } }),
      input: 'ragged.outputs.scores',
      message: /names no output.*"logits"/,
    },
    { what: 'a cut output that is an input', config: pad({ outputs: { input_ids: { axis: 1 } } }), input: 'ragged.outputs.input_ids', message: /is an input/ },
    {
      what: 'a ragged input without a batch axis',
      config: { batchAxes: { input_ids: null }, ...pad({}) },
      input: 'ragged.inputs.input_ids',
      message: /has no batch axis.*Declare `batchAxes.input_ids`/,
    },
  ];
  const other: Case[] = [
    {
      what: 'a ragged axis the graph fixes',
      model: { inputs: [spec('x', 'float32', ['batch', 16])], outputs: [] },
      config: { ragged: { mode: 'pad', inputs: { x: { axis: 1 } } } },
      input: 'ragged.inputs.x.axis',
      message: /fixes that dimension of "x" \[batch, 16\] to 16/,
    },
    {
      what: 'a bool pad value other than 0 or 1',
      model: { inputs: [spec('x', 'bool', ['batch', null])], outputs: [] },
      config: { ragged: { mode: 'pad', inputs: { x: { axis: 1, padValue: 2 } } } },
      input: 'ragged.inputs.x.padValue',
      message: /integer from 0 to 1/,
    },
    {
      what: 'a uint8 pad value out of range',
      model: { inputs: [spec('x', 'uint8', ['batch', null])], outputs: [] },
      config: { ragged: { mode: 'pad', inputs: { x: { axis: 1, padValue: -1 } } } },
      input: 'ragged.inputs.x.padValue',
      message: /integer from 0 to 255/,
    },
    {
      what: 'a mask that is not [batch, length]',
      model: { inputs: [spec('x', 'int64', ['batch', null]), spec('mask', 'int64', ['batch', null, 1])], outputs: [] },
      config: { ragged: { mode: 'pad', inputs: { x: { axis: 1 } }, mask: 'mask' } },
      input: 'ragged.mask',
      message: /is not \[batch, length\]/,
    },
    {
      what: 'an ambiguous tensor without a declared axis',
      model: { inputs: [spec('x', 'float32', ['batch', 3]), spec('h', 'float32', [1, null, 64])], outputs: [] },
      config: {},
      input: 'batchAxes.h',
      message: /batch axis of input "h" \[1, \?, 64\] is ambiguous.*`batchAxes: \{ "h": 1 \}`/,
    },
    {
      what: 'an ambiguous output',
      model: { inputs: [spec('x', 'float32', ['batch', 3])], outputs: [spec('y', 'float32', [2, null])] },
      config: {},
      input: 'batchAxes.y',
      message: /output "y" \[2, \?\] is ambiguous/,
    },
    {
      what: 'an input of unknown shape without a declared axis',
      model: { inputs: [spec('x', 'float32', null)], outputs: [] },
      config: {},
      input: 'batchAxes.x',
      message: /has no declared shape/,
    },
    {
      what: 'maxBatchSize > 1 for a model that cannot batch',
      model: { inputs: [spec('x', 'float32', [1, 3]), spec('k', 'int32', [])], outputs: [] },
      config: { maxBatchSize: 8 },
      input: 'maxBatchSize',
      message: /the model cannot batch: none of its inputs has a batch axis/,
    },
    {
      what: 'maxBatchSize above the graph limit',
      model: { inputs: [spec('x', 'float32', [1, 3])], outputs: [] },
      config: { batchAxes: { x: 0 }, maxBatchSize: 4 },
      input: 'maxBatchSize',
      message: /is 4, above the 1 the graph allows \("x" \[1, 3\] fixes batch axis 0 to 1\)/,
    },
  ];

  it.each(cases)('$what → $input', ({ config, input, message }) => {
    const error = configError(silero, config);
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', model: 'm', input });
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`Model "m": \`${input}\``)).toBe(true);
    expect(error.expected).toBeTypeOf('string');
    expect(error.got).toBeTypeOf('string');
  });
  it.each(decoderCases)('$what → $input', ({ config, input, message }) => {
    const error = configError(decoder, config);
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', input });
    expect(error.message).toMatch(message);
  });
  it.each(other)('$what → $input', ({ model, config, input, message }) => {
    const error = configError(model ?? silero, config);
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', input });
    expect(error.message).toMatch(message);
  });

  it('says in full what to do about a fixed batch axis', () => {
    const error = configError(silero, { batchAxes: { state: 0 } });
    expect(error.message).toBe(
      'Model "m": `batchAxes.state` is 0, but the graph fixes that dimension of "state" [2, batch, 128] to 2: a batch axis must be free or symbolic. Declare the axis whose size is the batch (1), or null if requests share "state".',
    );
    expect(error).toMatchObject({ expected: 'one of 1, or null', got: '0 (fixed to 2)' });
  });

  it('says in full what the accepted values of maxBatchSize are', () => {
    const error = configError(silero, { maxBatchSize: 0 });
    expect(error.message).toBe('Model "m": `maxBatchSize` must be an integer from 1 and up (units per engine call); got 0.');
    expect(error).toMatchObject({ expected: 'an integer ≥ 1', got: '0' });
  });
});
