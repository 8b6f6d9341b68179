import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from './errors';
import type { TensorSpec } from './protocol';
import { applyShapeOverrides, checkShapeOverrides } from './signature';

const declared: TensorSpec[] = [
  { name: 'input', dtype: 'float32', shape: [null, null] },
  { name: 'state', dtype: 'float32', shape: [2, null, 128] },
];

describe('applyShapeOverrides', () => {
  it('tightens free dimensions and names them', () => {
    const specs = applyShapeOverrides('vad', declared, { input: ['batch', 576], state: [2, 'batch', 128] });
    expect(specs.map((s) => s.shape)).toEqual([
      ['batch', 576],
      [2, 'batch', 128],
    ]);
  });

  it('refuses an override for an unknown input, a different rank, or a contradicting size', () => {
    expect(() => applyShapeOverrides('vad', declared, { audio: [1] })).toThrow(InvalidOptionsError);
    expect(() => applyShapeOverrides('vad', declared, { input: [576] })).toThrow('contradicts the graph');
    expect(() => applyShapeOverrides('vad', declared, { state: [3, 'batch', 128] })).toThrow('[3, batch, 128]');
    expect(() => applyShapeOverrides('vad', declared, { input: [1.5, 2] })).toThrow('must be an array of sizes');
  });

  it('leaves inputs without an override as declared', () => {
    expect(applyShapeOverrides('vad', declared, {})).toEqual(declared);
  });

  it('checks what needs no graph before a load: an object of Dim lists', () => {
    expect(() => checkShapeOverrides(undefined, { input: ['batch', 576], state: [2, null, 128] })).not.toThrow();
    expect(() => checkShapeOverrides(undefined, undefined)).not.toThrow();
    expect(() => checkShapeOverrides(undefined, 'batch')).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', input: 'shapes', got: '"batch"' }));
    expect(() => checkShapeOverrides('vad', { input: [-1, 576] })).toThrow(expect.objectContaining({ model: 'vad', input: 'input', got: '[-1,576]' }));
  });
});
