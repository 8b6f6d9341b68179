import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withConstantInput } from './onnx-constant';

describe('withConstantInput', () => {
  it('moves Silero VAD’s sr from the graph inputs to an int64 initializer, leaving the rest byte for byte', () => {
    const model = new Uint8Array(readFileSync('public/models/silero_vad_v5.onnx'));
    const edited = withConstantInput(model, 'sr', 16000);
    const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
    // The scalar initializer: data_type 7, int64_data [16000], name "sr".
    expect(text(edited)).toContain(text(Uint8Array.of(0x10, 7, 0x3a, 2, 0x80, 0x7d, 0x42, 2, 0x73, 0x72)));
    expect(edited.length).toBeGreaterThan(model.length - 64);
    expect(edited.length).toBeLessThan(model.length + 64);
    expect(() => withConstantInput(model, 'nope', 1)).toThrow(/no input "nope"/);
  });
});
