import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors';
import type { TensorMap, TensorSpec } from './protocol';
import { tensor } from './tensor';
import { validateInputs } from './validate';

const specs: TensorSpec[] = [
  { name: 'input', dtype: 'float32', shape: ['batch', 576] },
  { name: 'state', dtype: 'float32', shape: [2, 'batch', 128] },
  { name: 'sr', dtype: 'int64', shape: [] },
];

const valid = (batch = 1): TensorMap => ({
  input: tensor('float32', [batch, 576], new Float32Array(batch * 576)),
  state: tensor('float32', [2, batch, 128], new Float32Array(2 * batch * 128)),
  sr: tensor('int64', [], BigInt64Array.of(16000n)),
});

function rejection(inputs: unknown, rejectNaN = false): InvalidInputError {
  try {
    validateInputs('vad', specs, inputs, { rejectNaN });
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected validateInputs to throw');
}

describe('validateInputs', () => {
  it('accepts inputs that match, at any batch size', () => {
    expect(() => validateInputs('vad', specs, valid(1))).not.toThrow();
    expect(() => validateInputs('vad', specs, valid(7))).not.toThrow();
  });

  it('rejects a non-object', () => {
    expect(rejection(null)).toMatchObject({ code: 'INVALID_INPUT', model: 'vad', input: 'inputs', got: 'null' });
    expect(rejection([1, 2])).toMatchObject({ code: 'INVALID_INPUT', input: 'inputs', got: 'number[]' });
  });

  it('names an unknown input and lists the real ones', () => {
    const error = rejection({ ...valid(), audio: valid().input });
    expect(error).toMatchObject({ input: 'audio', got: 'audio', expected: 'input, state, sr' });
    expect(error.message).toBe('Model "vad" has no input named "audio"; its inputs are "input", "state", "sr".');
  });

  it('names a missing input with its expected dtype and shape', () => {
    const { input, state } = valid();
    const error = rejection({ input, state });
    expect(error).toMatchObject({ input: 'sr', expected: 'int64 []', got: 'nothing' });
  });

  it('rejects the wrong dtype, the wrong array type and an unknown dtype', () => {
    expect(rejection({ ...valid(), sr: tensor('int32', [], Int32Array.of(1)) })).toMatchObject({ input: 'sr', expected: 'int64', got: 'int32' });
    expect(rejection({ ...valid(), input: { dtype: 'float32', dims: [1, 576], data: new Float64Array(576) } })).toMatchObject({
      input: 'input',
      got: 'Float64Array',
    });
    expect(rejection({ ...valid(), input: { dtype: 'float64', dims: [1, 576], data: new Float32Array(576) } })).toMatchObject({ got: 'float64' });
    expect(rejection({ ...valid(), input: { dtype: 'float32', dims: [1, 576], data: Array(576).fill(0) } })).toMatchObject({ got: 'number[]' });
  });

  it('rejects malformed dims and a data length that does not match', () => {
    expect(rejection({ ...valid(), input: { dtype: 'float32', dims: [1, -576], data: new Float32Array(576) } })).toMatchObject({ got: '[1,-576]' });
    expect(rejection({ ...valid(), input: { dtype: 'float32', dims: [1, 1.5], data: new Float32Array(576) } })).toMatchObject({ input: 'input' });
    expect(rejection({ ...valid(), input: { dtype: 'float32', dims: [1, 576], data: new Float32Array(512) } })).toMatchObject({
      expected: '576 elements for [1, 576]',
      got: '512',
    });
  });

  it('rejects the wrong rank and a wrong fixed dimension', () => {
    expect(rejection({ ...valid(), input: tensor('float32', [576], new Float32Array(576)) })).toMatchObject({
      expected: 'rank 2 [batch, 576]',
      got: 'rank 1 [576]',
    });
    expect(rejection({ ...valid(), input: tensor('float32', [1, 512], new Float32Array(512)) })).toMatchObject({
      expected: '[batch, 576]',
      got: '[1, 512]',
    });
  });

  it('checks that inputs agree on a named dimension', () => {
    const error = rejection({ ...valid(1), state: tensor('float32', [2, 3, 128], new Float32Array(768)) });
    expect(error.input).toBe('state');
    expect(error.message).toContain('disagrees with input "input" on dimension "batch"');
    expect(error).toMatchObject({ expected: 'batch = 1 (as in "input")', got: 'batch = 3 in [2, 3, 128]' });
  });

  it('accepts any size on null dimensions and any shape when the model declares none', () => {
    const free: TensorSpec[] = [{ name: 'x', dtype: 'int32', shape: [null, 3] }];
    expect(() => validateInputs('m', free, { x: tensor('int32', [5, 3], new Int32Array(15)) })).not.toThrow();
    const any: TensorSpec[] = [{ name: 'x', dtype: 'int32', shape: null }];
    expect(() => validateInputs('m', any, { x: tensor('int32', [2, 2, 2], new Int32Array(8)) })).not.toThrow();
  });

  it('rejects NaN only when asked', () => {
    const inputs = {
      ...valid(),
      input: tensor(
        'float32',
        [1, 576],
        new Float32Array(576).fill(0).map((_, i) => (i === 7 ? Number.NaN : 0)),
      ),
    };
    expect(() => validateInputs('vad', specs, inputs)).not.toThrow();
    expect(rejection(inputs, true)).toMatchObject({ input: 'input', got: 'NaN at flat index 7' });
  });
});
