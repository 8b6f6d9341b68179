import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { decoderVariants, generateDecoder, modelScaleVariant } from './decoder.js';
import type { DecoderVariant } from './decoder.js';

const { onnx } = onnxProto;

/**
 * SHA-256 of the generated decoder.onnx and of its config.json as written
 * (`JSON.stringify(config, null, 2) + '\n'`), as src/model-manifest.json pins them: users'
 * machines must generate exactly these bytes. (The generator began as a byte-identical port
 * of the repository's old scripts/make-decoder.mjs; only the producer strings changed since.)
 */
const EXPECTED = {
  decoder: {
    onnx: '7f3fcb6f209deff4569a23092db5230578927a426ed6087abf6f896b0e0be543',
    bytes: 65174011,
    config: '37c0be2fea8e23a8c5722988f81e6010a6d61f31b8cefd33b606ac55ad77e733',
  },
  'decoder-gqa': {
    onnx: '10fd79f6c68477922f6071491b5b1e1be1a014148c8c7a5c4f2fc05c10b6af39',
    bytes: 27462345,
    config: 'f323ae9bb19e120174c79ae860c6a4ad876f2b8a469fa574ef24398787936482',
  },
} as const;

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
const configText = (config: Record<string, unknown>): string => `${JSON.stringify(config, null, 2)}\n`;

/** The parts of a decoded ModelProto the structure test reads (protobufjs's `toObject`, int64 as numbers). */
interface DecodedValueInfo {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: number; dimParam?: string }[] } } };
}
interface DecodedModel {
  irVersion: number;
  producerName: string;
  opsetImport: { domain: string; version: number }[];
  graph: {
    name: string;
    node: { name: string; opType: string; input: string[]; output: string[]; attribute: { name: string; type: number; f?: number }[] }[];
    initializer: { name: string; dims: number[]; rawData?: Uint8Array }[];
    input: DecodedValueInfo[];
    output: DecodedValueInfo[];
  };
}

/** Decode with onnx-proto (protobufjs), the library the script encoded with. */
function decode(bytes: Uint8Array): DecodedModel {
  return onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, arrays: true }) as DecodedModel;
}

const generated = new Map<string, { onnx: Uint8Array; config: Record<string, unknown>; ms: number }>();
/** Generate each variant once per file (the big one takes ~1 s). */
function generate(variant: Readonly<DecoderVariant>): { onnx: Uint8Array; config: Record<string, unknown>; ms: number } {
  let result = generated.get(variant.dir);
  if (result === undefined) {
    const started = performance.now();
    const out = generateDecoder(variant);
    result = { ...out, ms: performance.now() - started };
    generated.set(variant.dir, result);
  }
  return result;
}

function variantNamed(dir: keyof typeof EXPECTED): Readonly<DecoderVariant> {
  const variant = decoderVariants.find((v) => v.dir === dir);
  if (variant === undefined) throw new Error(`no variant ${dir}`);
  return variant;
}

describe('decoderVariants', () => {
  it('are the script’s two variants', () => {
    expect(decoderVariants.map((v) => v.dir)).toEqual(['decoder', 'decoder-gqa']);
    expect(variantNamed('decoder')).toEqual({
      dir: 'decoder',
      layers: 4,
      heads: 4,
      kvHeads: 4,
      headDim: 64,
      hidden: 256,
      inner: 1024,
      vocab: 50257,
      maxPositions: 1024,
      seed: 20240517,
    });
    expect(variantNamed('decoder-gqa')).toEqual({
      dir: 'decoder-gqa',
      layers: 2,
      heads: 4,
      kvHeads: 2,
      headDim: 32,
      hidden: 128,
      inner: 512,
      vocab: 50257,
      maxPositions: 512,
      seed: 7,
    });
  });
});

describe('modelScaleVariant', () => {
  it('has GPT-2 small’s shape: 124,439,808 parameters with the lm_head tied', () => {
    const v = modelScaleVariant;
    expect(v).toMatchObject({
      dir: 'decoder-124m',
      layers: 12,
      heads: 12,
      kvHeads: 12,
      headDim: 64,
      hidden: 768,
      inner: 3072,
      vocab: 50257,
      maxPositions: 1024,
    });
    const kv = v.kvHeads * v.headDim;
    const block =
      2 * v.hidden +
      (v.hidden * (v.hidden + 2 * kv) + v.hidden + 2 * kv) +
      (v.hidden * v.hidden + v.hidden) +
      2 * v.hidden +
      (v.hidden * v.inner + v.inner) +
      (v.inner * v.hidden + v.hidden);
    expect(v.vocab * v.hidden + v.maxPositions * v.hidden + v.layers * block + 2 * v.hidden).toBe(124_439_808);
    expect(v.heads * v.headDim).toBe(v.hidden); // what generateDecoder checks (generating it takes ~5 s and 1 GiB: not a unit test)
  });
});

describe.each(Object.keys(EXPECTED) as (keyof typeof EXPECTED)[])('generateDecoder(%s)', (dir) => {
  const expected = EXPECTED[dir];

  it('generates the pinned decoder.onnx, byte for byte', () => {
    const { onnx: bytes, ms } = generate(variantNamed(dir));
    console.log(`generateDecoder(${dir}): ${bytes.length} bytes in ${Math.round(ms)} ms`);
    expect(bytes.length).toBe(expected.bytes);
    expect(sha256(bytes)).toBe(expected.onnx);
  });

  it('gives the pinned config.json', () => {
    const { config } = generate(variantNamed(dir));
    expect(sha256(configText(config))).toBe(expected.config);
    expect(config).toMatchObject({
      model_type: 'gpt2',
      n_layer: variantNamed(dir).layers,
      inpage: { file: 'decoder.onnx', bytes: expected.bytes, sha256: expected.onnx },
    });
    expect(config.inpage).not.toHaveProperty('generatorHash');
  });

  it('decodes with onnx-proto to an Optimum-named GPT-2 graph', () => {
    const variant = variantNamed(dir);
    const { layers, kvHeads, headDim, hidden, vocab, maxPositions } = variant;
    const model = decode(generate(variant).onnx);
    expect(model.irVersion).toBe(8);
    expect(model.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(model.producerName).toBe('inpage (node/generators/decoder.ts)');
    const graph = model.graph;
    expect(graph.name).toBe(`inpage_gpt2_${dir}`);

    const kv = (prefix: string): string[] => Array.from({ length: layers }, (_, l) => [`${prefix}.${l}.key`, `${prefix}.${l}.value`]).flat();
    expect(graph.input.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'position_ids', ...kv('past_key_values')]);
    expect(graph.output.map((o) => o.name)).toEqual(['logits', ...kv('present')]);
    const dims = (info: DecodedValueInfo | undefined): (string | number | undefined)[] =>
      (info?.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimParam ?? d.dimValue);
    const elemType = (info: DecodedValueInfo | undefined): number | undefined => info?.type?.tensorType?.elemType;
    expect(dims(graph.input[0])).toEqual(['batch_size', 'sequence_length']);
    expect(elemType(graph.input[0])).toBe(onnx.TensorProto.DataType.INT64);
    expect(dims(graph.input[1])).toEqual(['batch_size', 'total_sequence_length']);
    expect(dims(graph.input[3])).toEqual(['batch_size', kvHeads, 'past_sequence_length', headDim]);
    expect(elemType(graph.input[3])).toBe(onnx.TensorProto.DataType.FLOAT);
    expect(dims(graph.output[0])).toEqual(['batch_size', 'sequence_length', vocab]);
    expect(dims(graph.output[1])).toEqual(['batch_size', kvHeads, 'total_sequence_length', headDim]);

    // Tied lm_head: one token table, read by the Gather and (transposed) by the logits MatMul.
    const wte = graph.initializer.find((t) => t.name === 'transformer.wte.weight');
    expect(wte?.dims).toEqual([vocab, hidden]);
    expect(graph.initializer.find((t) => t.name === 'transformer.wpe.weight')?.dims).toEqual([maxPositions, hidden]);
    expect(graph.initializer.some((t) => /lm_head/.test(t.name))).toBe(false);
    expect(graph.node.find((n) => n.output.includes('lm_head_weight'))?.input).toEqual(['transformer.wte.weight']);
    expect(graph.node.find((n) => n.output.includes('logits'))?.opType).toBe('MatMul');
    // GELU as erf, one per block; GQA broadcasts the bias over the group axis.
    expect(graph.node.filter((n) => n.opType === 'Erf')).toHaveLength(layers);
    expect(graph.node.some((n) => n.name === 'n_attn_bias_5d')).toBe(variant.kvHeads !== variant.heads);
    const epsilon = graph.node.find((n) => n.opType === 'LayerNormalization')?.attribute.find((a) => a.name === 'epsilon');
    expect(epsilon?.type).toBe(onnx.AttributeProto.AttributeType.FLOAT);
    expect(epsilon?.f).toBeCloseTo(1e-5, 10);

    // Seeded weights with the embedding's standard deviation (0.02).
    const raw = wte?.rawData;
    if (raw === undefined) throw new Error('no wte data');
    const table = new Float32Array(raw.slice().buffer, 0, 100_000);
    const std = Math.sqrt(table.reduce((sum, v) => sum + v * v, 0) / table.length);
    expect(std).toBeGreaterThan(0.0195);
    expect(std).toBeLessThan(0.0205);
  });
});

describe('generateDecoder', () => {
  it('refuses a variant whose sizes do not fit together', () => {
    const base = variantNamed('decoder-gqa');
    expect(() => generateDecoder({ ...base, heads: 3 })).toThrow('variant decoder-gqa: heads × headDim must equal hidden and heads divide by kvHeads');
    expect(() => generateDecoder({ ...base, kvHeads: 3 })).toThrow(/heads divide by kvHeads/);
    expect(() => generateDecoder({ ...base, layers: 0 })).toThrow('variant decoder-gqa: layers must be a positive integer, got 0');
  });

  it('is deterministic and seed-dependent', () => {
    const small: DecoderVariant = { dir: 'tiny', layers: 1, heads: 2, kvHeads: 1, headDim: 4, hidden: 8, inner: 16, vocab: 32, maxPositions: 16, seed: 1 };
    const a = generateDecoder(small).onnx;
    expect(generateDecoder(small).onnx).toEqual(a);
    expect(sha256(generateDecoder({ ...small, seed: 2 }).onnx)).not.toBe(sha256(a));
  });
});
