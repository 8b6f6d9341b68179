import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { contribVariant, generateContribDecoder, quantizedWeight } from './decoder-contrib.js';
import { mulberry32 } from './decoder.js';

const { onnx } = onnxProto;

interface Decoded {
  graph: {
    node: { opType: string; domain?: string; attribute: { name: string; i?: number }[] }[];
    input: { name: string }[];
    output: { name: string }[];
    initializer: { name: string; dims: number[]; dataType: number }[];
  };
  opsetImport: { domain: string; version: number }[];
}

describe('generateContribDecoder', () => {
  const small = { ...contribVariant, vocab: 64, maxPositions: 16 };

  it('writes ONNX Runtime GenAI’s layout: GroupQueryAttention with rotary, MatMulNBits, Optimum names, no position_ids', () => {
    const { onnx: bytes, config } = generateContribDecoder(small);
    expect(createHash('sha256').update(generateContribDecoder(small).onnx).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    const model = onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, arrays: true }) as Decoded; // protobufjs's plain-object form
    expect(model.graph.input.map((i) => i.name)).toEqual([
      'input_ids',
      'attention_mask',
      'past_key_values.0.key',
      'past_key_values.0.value',
      'past_key_values.1.key',
      'past_key_values.1.value',
    ]);
    expect(model.graph.output.map((o) => o.name)).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
    const contrib = model.graph.node.filter((n) => n.domain === 'com.microsoft');
    const gqa = contrib.filter((n) => n.opType === 'GroupQueryAttention');
    expect(gqa).toHaveLength(2);
    const attributes = Object.fromEntries((gqa[0]?.attribute ?? []).map((a) => [a.name, a.i]));
    expect(attributes).toMatchObject({ num_heads: 4, kv_num_heads: 2, do_rotary: 1 });
    // q, k, v, o, gate, up, down per layer
    expect(contrib.filter((n) => n.opType === 'MatMulNBits')).toHaveLength(14);
    expect(model.graph.node.some((n) => n.opType === 'SimplifiedLayerNormalization')).toBe(true);
    const qweight = model.graph.initializer.find((t) => t.name === 'model.layers.0.self_attn.q_proj.qweight');
    expect(qweight).toMatchObject({ dims: [128, 4, 16], dataType: 2 }); // [N, K / 32 blocks, 16 bytes of 4-bit codes], uint8
    expect(model.opsetImport).toEqual([
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    expect(config).toMatchObject({ model_type: 'llama', num_key_value_heads: 2, head_dim: 32, quantization: { bits: 4, block_size: 32 } });
    expect(config.inpage).toMatchObject({ bytes: bytes.length });
  });

  it('quantizes to 4-bit codes whose dequantised weights have about the asked standard deviation', () => {
    const { blobs, scales } = quantizedWeight(mulberry32(1), 128, 64, 32, 0.1);
    expect(blobs).toHaveLength(64 * 4 * 16);
    expect(scales).toHaveLength(64 * 4);
    let sum = 0;
    let squares = 0;
    for (let n = 0; n < 64; n++) {
      for (let k = 0; k < 128; k++) {
        const block = Math.floor(k / 32);
        const byte = blobs[(n * 4 + block) * 16 + Math.floor((k % 32) / 2)] ?? 0;
        const code = k % 2 === 0 ? byte & 0x0f : byte >> 4;
        const weight = (code - 8) * (scales[n * 4 + block] ?? 0);
        sum += weight;
        squares += weight * weight;
      }
    }
    const count = 64 * 128;
    const std = Math.sqrt(squares / count - (sum / count) ** 2);
    expect(std).toBeGreaterThan(0.08);
    expect(std).toBeLessThan(0.13);
  });

  it('refuses sizes that do not fit together', () => {
    expect(() => generateContribDecoder({ ...small, inner: 100 })).toThrow(/divide by blockSize/);
  });
});
