import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { decoderVariants, fusedModelScaleVariant, fusedTestVariant, generateDecoder, modelScaleVariant, quantizedModelScaleVariant } from './decoder.js';
import { quantize } from './decoder-fused.js';
import { mulberry32, normals } from './decoder.js';

const { onnx } = onnxProto;

interface Decoded {
  graph: {
    node: { opType: string; domain?: string; input: string[]; output: string[]; attribute: { name: string; i?: number }[] }[];
    input: { name: string }[];
    output: { name: string }[];
    initializer: { name: string; dims: number[]; dataType: number; rawData?: Uint8Array }[];
  };
  opsetImport: { domain: string; version: number }[];
}
const decode = (bytes: Uint8Array): Decoded => onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, arrays: true }) as Decoded; // protobufjs's plain-object form
const small = { ...decoderVariants[1]!, kvHeads: 4, vocab: 64, maxPositions: 16 }; // 2 layers, 4 heads of 32, hidden 128, inner 512
const count = (model: Decoded, opType: string): number => model.graph.node.filter((n) => n.opType === opType).length;

describe('fused decoders (ONNX Runtime contrib ops)', () => {
  const plain = decode(generateDecoder(small).onnx);
  const fused = decode(generateDecoder({ ...small, fused: true }).onnx);

  it('keep the plain graph’s inputs, outputs and weights, in half the nodes', () => {
    expect(fused.graph.input.map((i) => i.name)).toEqual(plain.graph.input.map((i) => i.name));
    expect(fused.graph.output.map((o) => o.name)).toEqual(plain.graph.output.map((o) => o.name));
    const weights = (model: Decoded): Map<string, string> =>
      new Map(model.graph.initializer.filter((t) => t.name.endsWith('.weight')).map((t) => [t.name, Buffer.from(t.rawData ?? []).toString('base64')]));
    expect(weights(fused)).toEqual(weights(plain)); // same seed, same draw order: the same function
    expect(fused.graph.node.length).toBeLessThan(plain.graph.node.length * 0.6);
  });

  it('use MultiHeadAttention per layer, SkipLayerNormalization for every norm but the first, and erf Gelu', () => {
    expect(count(fused, 'MultiHeadAttention')).toBe(2);
    expect(count(fused, 'SkipLayerNormalization')).toBe(4); // ln_2 of both layers, ln_1 of the second, ln_f
    expect(count(fused, 'LayerNormalization')).toBe(1);
    expect(count(fused, 'Gelu')).toBe(2);
    expect(count(fused, 'Erf') + count(fused, 'Softmax') + count(fused, 'Concat')).toBe(0);
    const attention = fused.graph.node.find((n) => n.opType === 'MultiHeadAttention');
    expect(attention).toMatchObject({ domain: 'com.microsoft', output: ['l0_attention', 'present.0.key', 'present.0.value'] });
    expect(attention?.input.slice(5)).toEqual(['attn_bias_heads', 'past_key_values.0.key', 'past_key_values.0.value']);
    expect(Object.fromEntries(attention?.attribute.map((a) => [a.name, a.i]) ?? [])).toEqual({ num_heads: 4 });
    expect(fused.opsetImport).toContainEqual({ domain: 'com.microsoft', version: 1 });
  });

  it('with quantized, make every block projection a 4-bit MatMulNBits', () => {
    const q4 = decode(generateDecoder({ ...small, fused: true, quantized: true }).onnx);
    expect(count(q4, 'MatMulNBits')).toBe(8); // c_attn, attn c_proj, c_fc, mlp c_proj per layer
    expect(count(q4, 'MatMul')).toBe(1); // the tied lm_head
    expect(q4.graph.initializer.find((t) => t.name === 'transformer.h.0.mlp.c_fc.qweight')).toMatchObject({ dims: [512, 4, 16], dataType: 2 });
  });

  it('refuse layouts MultiHeadAttention or MatMulNBits cannot take', () => {
    expect(() => generateDecoder({ ...small, kvHeads: 2, fused: true })).toThrow(/kvHeads = heads/);
    expect(() => generateDecoder({ ...small, quantized: true })).toThrow(/quantized needs fused/);
  });

  it('come in the bench and test variants', () => {
    expect(fusedTestVariant).toEqual({ ...decoderVariants[0], dir: 'decoder-fused', fused: true });
    expect(fusedModelScaleVariant).toEqual({ ...modelScaleVariant, dir: 'decoder-124m-fused', fused: true });
    expect(quantizedModelScaleVariant).toEqual({ ...modelScaleVariant, dir: 'decoder-124m-q4', fused: true, quantized: true });
  });
});

describe('quantize', () => {
  it('packs two codes per byte, low nibble first, zero point 8, scale |max| / 7 per block of 32 rows', () => {
    const weights = new Float32Array(32 * 2); // [32 rows, 2 columns]
    weights[0 * 2 + 0] = 0.7; // row 0, column 0 → code 15
    weights[1 * 2 + 0] = -0.7; // row 1 → code 1
    weights[2 * 2 + 0] = 0.1; // row 2 → code 9
    const { blobs, scales } = quantize(weights, 32, 2);
    expect(Array.from(scales)).toEqual([Math.fround(0.1), 1]); // column 1 is all zeros: scale 1
    expect(blobs.slice(0, 2)).toEqual(Uint8Array.of(15 | (1 << 4), 9 | (8 << 4)));
    expect(blobs.slice(16, 18)).toEqual(Uint8Array.of(0x88, 0x88));
  });

  it('rounds every weight to within half a step', () => {
    const rows = 64;
    const columns = 8;
    const weights = normals(mulberry32(3), rows * columns, 0.1);
    const { blobs, scales } = quantize(weights, rows, columns);
    for (let n = 0; n < columns; n++) {
      for (let k = 0; k < rows; k++) {
        const block = Math.floor(k / 32);
        const scale = scales[n * 2 + block] ?? 0;
        const byte = blobs[(n * 2 + block) * 16 + Math.floor((k % 32) / 2)] ?? 0;
        const code = k % 2 === 0 ? byte & 0x0f : byte >> 4;
        expect(Math.abs((code - 8) * scale - (weights[k * columns + n] ?? 0))).toBeLessThanOrEqual(scale / 2 + 1e-6);
      }
    }
  });
});
