import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from './errors';
import { backendProbe, checkProbe } from './backend-probe';

describe('backendProbe', () => {
  it('times batch 1 alone for a model that does not batch', () => {
    expect(backendProbe({ format: 'onnx', source: '/m.onnx' }, false)).toEqual({ batchSizes: [1] });
  });

  it('adds the largest batch: the modality default, or the batching option', () => {
    expect(backendProbe({ format: 'onnx', source: '/m.onnx', modality: 'audio' }, true).batchSizes).toEqual([1, 32]);
    const probe = backendProbe(
      { format: 'onnx', source: '/m.onnx', batching: { maxBatchSize: 16 }, batchAxes: { x: 0 }, probe: { dims: { h: 64 }, fill: { sr: 16000 } } },
      true,
    );
    expect(probe).toEqual({ batchSizes: [1, 16], batchAxes: { x: 0 }, dims: { h: 64 }, fill: { sr: 16000 } });
  });
});

describe('checkProbe', () => {
  it('accepts sizes and finite fills', () => {
    expect(() => checkProbe({ dims: { height: 640 }, fill: { sr: 16000, x: -0.5 } })).not.toThrow();
  });

  it.each([
    [{ dims: { height: 0 } }, 'probe.dims.height'],
    [{ dims: { height: 1.5 } }, 'probe.dims.height'],
    [{ dims: [3] }, 'probe.dims'],
    [{ fill: { sr: Number.NaN } }, 'probe.fill.sr'],
    ['fast', 'probe'],
  ])('rejects %j, naming %s', (probe, field) => {
    let caught: unknown;
    try {
      checkProbe(probe as never); // deliberately malformed, as a JavaScript caller could pass
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOptionsError);
    expect(caught).toMatchObject({ input: field });
  });
});
