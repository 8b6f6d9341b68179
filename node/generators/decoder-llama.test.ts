import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { generateLlamaDecoder, llamaVariants } from './decoder-llama.js';

const { onnx } = onnxProto;

interface Decoded {
  graph: { node: { opType: string }[]; input: { name: string }[]; output: { name: string }[] };
  opsetImport: { domain: string; version: number }[];
}

describe('generateLlamaDecoder', () => {
  it.each(llamaVariants.map((variant) => [variant.dir, variant] as const))('%s: Optimum names, the Llama ops, deterministic bytes', (_dir, variant) => {
    const { onnx: bytes, config } = generateLlamaDecoder(variant);
    expect(createHash('sha256').update(generateLlamaDecoder(variant).onnx).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    const model = onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, arrays: true }) as Decoded; // protobufjs's plain-object form
    const inputs = model.graph.input.map((i) => i.name);
    expect(inputs).toEqual([
      'input_ids',
      'attention_mask',
      ...(variant.positionIds ? ['position_ids'] : []),
      'past_key_values.0.key',
      'past_key_values.0.value',
      'past_key_values.1.key',
      'past_key_values.1.value',
      'num_logits_to_keep',
      ...(variant.cacheBranch ? ['use_cache_branch'] : []),
    ]);
    expect(model.graph.output.map((o) => o.name)).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
    const ops = new Set(model.graph.node.map((n) => n.opType));
    for (const op of ['ReduceMean', 'Sqrt', 'Sigmoid', 'Neg', 'Split', 'Gather', 'Softmax']) expect(ops).toContain(op);
    expect(ops).not.toContain('LayerNormalization'); // RMSNorm, not GPT-2's LayerNorm
    expect(ops.has('If')).toBe(variant.cacheBranch);
    expect(model.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(config).toMatchObject({ model_type: 'llama', num_hidden_layers: 2, num_key_value_heads: 2, head_dim: 32, tie_word_embeddings: true });
    expect(config.inpage).toMatchObject({ bytes: bytes.length });
  });

  it('refuses sizes that do not fit together', () => {
    const base = llamaVariants[0];
    if (base === undefined) throw new Error('no variants');
    expect(() => generateLlamaDecoder({ ...base, headDim: 31, hidden: 124 })).toThrow(/headDim be even/);
  });
});
