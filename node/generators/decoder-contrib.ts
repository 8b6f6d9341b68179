/**
 * A Llama-family ONNX decoder built from ONNX Runtime's contrib ops, the way ONNX Runtime
 * GenAI's model builder (and the `q4`/`q4f16` exports on the Hugging Face hub made with
 * it) writes them: a small test fixture with seeded random weights (meaningless text).
 *
 *   - `com.microsoft.GroupQueryAttention` per layer: grouped-query attention with the KV
 *     cache concatenation and the rotary embedding inside the op (`do_rotary = 1`, cos/sin
 *     tables as initializers), fed `seqlens_k` (each row's total length − 1) and
 *     `total_sequence_length`, both computed in the graph from `attention_mask`;
 *   - `com.microsoft.MatMulNBits` for every projection: 4-bit weights in blocks of 32
 *     along the input axis, a float scale per block, the default zero point (8);
 *   - `SimplifiedLayerNormalization` (RMSNorm) and a SwiGLU MLP;
 *   - no `position_ids` input (GroupQueryAttention counts positions from `seqlens_k`) and
 *     no `num_logits_to_keep`: logits for every position, as the builder exports them.
 *
 * GroupQueryAttention reads each row's cache from column 0 up to its own length
 * (right-aligned padding after it), not left-padded as the plain-op graphs allow; the
 * loader must pack a batch's caches that way (`generate-batch.ts`).
 *
 * I/O names follow Optimum's (input_ids, attention_mask, past_key_values.{i}.key/value →
 * logits, present.{i}.key/value), as the builder's exports do. The GPT-2 tokenizer (vocab
 * 50257) goes with it, as with the other fixtures.
 */
import { createHash } from 'node:crypto';
import { GraphBuilder, mulberry32, normals, valueInfo } from './decoder.js';
import type { LlamaVariant } from './decoder-llama.js';
import { TensorDataType, encodeModelProto } from './protobuf.js';
import type { ModelProto, ValueInfoProto } from './protobuf.js';

/** The shape and seed of the contrib-op fixture: a Llama variant's sizes, plus MatMulNBits' `block_size` (hidden and inner divide by it). */
export interface ContribVariant extends Omit<LlamaVariant, 'positionIds' | 'cacheBranch'> {
  /** MatMulNBits' `block_size`: input rows sharing one scale. */
  readonly blockSize: number;
}

export const contribVariant: ContribVariant = {
  dir: 'decoder-llama-contrib',
  layers: 2,
  heads: 4,
  kvHeads: 2,
  headDim: 32,
  hidden: 128,
  inner: 352,
  vocab: 50257,
  maxPositions: 512,
  ropeTheta: 10000,
  blockSize: 32,
  seed: 13,
};

const FLOAT = TensorDataType.FLOAT;
const INT64 = TensorDataType.INT64;
const MS = 'com.microsoft';
const EOS_TOKEN = 50256;
const SCALES = { embedding: 0.05, attention: 0.1, mlp: 0.1 };
const RMS_EPSILON = 1e-6;
/** Standard deviation of a uniform 4-bit code minus the zero point 8 (−8 … 7). */
const CODE_STD = Math.sqrt((16 * 16 - 1) / 12);

/**
 * MatMulNBits' weight blobs for a `[rows, columns]` matrix (x · W): per output column,
 * per block of `blockSize` input rows, `blockSize / 2` bytes of 4-bit codes (element 2i
 * in the low nibble, 2i + 1 in the high one) and one float scale. Codes are uniform;
 * scales set the dequantised weights' standard deviation to about `std`.
 */
export function quantizedWeight(
  random: () => number,
  rows: number,
  columns: number,
  blockSize: number,
  std: number,
): { blobs: Uint8Array; scales: Float32Array } {
  const blocks = rows / blockSize;
  const blobs = new Uint8Array(columns * blocks * (blockSize / 2));
  for (let i = 0; i < blobs.length; i++) blobs[i] = Math.floor(random() * 256);
  const scales = new Float32Array(columns * blocks);
  for (let i = 0; i < scales.length; i++) scales[i] = (std / CODE_STD) * (0.5 + random());
  return { blobs, scales };
}

function buildContrib(variant: ContribVariant): ModelProto {
  const { layers, heads, kvHeads, headDim, hidden, inner, vocab, maxPositions, blockSize } = variant;
  const half = headDim / 2;
  const random = mulberry32(variant.seed);
  const g = new GraphBuilder();

  const embed = g.floats('model.embed_tokens.weight', [vocab, hidden], normals(random, vocab * hidden, SCALES.embedding));
  // Rotary tables [maxPositions, headDim / 2], GroupQueryAttention's cos_cache / sin_cache.
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * variant.ropeTheta ** ((-2 * i) / headDim);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  const cosCache = g.floats('cos_cache', [maxPositions, half], cos);
  const sinCache = g.floats('sin_cache', [maxPositions, half], sin);

  // seqlens_k = sum(attention_mask, axis 1) − 1 and total_sequence_length = its width, as int32.
  const one1 = g.ints('one_1d', [1]);
  const maskSum = g.op('ReduceSum', ['attention_mask', one1], { keepdims: 0 }, 'mask_sum');
  const seqlensK = g.op('Cast', [g.op('Sub', [maskSum, g.ints('one', [1], [])])], { to: TensorDataType.INT32 }, 'seqlens_k');
  const width = g.op('Gather', [g.op('Shape', ['attention_mask']), g.ints('axis_one', [1], [])], { axis: 0 }, 'mask_width');
  const totalLength = g.op('Cast', [width], { to: TensorDataType.INT32 }, 'total_sequence_length');

  const rmsNorm = (x: string, weightName: string): string =>
    g.op('SimplifiedLayerNormalization', [x, g.floats(weightName, [hidden], new Float32Array(hidden).fill(1))], { axis: -1, epsilon: RMS_EPSILON });
  const linear = (x: string, name: string, rows: number, columns: number, std: number): string => {
    const { blobs, scales } = quantizedWeight(random, rows, columns, blockSize, std);
    const blocks = rows / blockSize;
    g.initializers.push({ name: `${name}.qweight`, dims: [columns, blocks, blockSize / 2], dataType: TensorDataType.UINT8, rawData: blobs });
    const scaleName = g.floats(`${name}.scales`, [columns * blocks], scales);
    return g.opIn(MS, 'MatMulNBits', [x, `${name}.qweight`, scaleName], { K: rows, N: columns, bits: 4, block_size: blockSize });
  };

  const inputs: ValueInfoProto[] = [
    valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', INT64, ['batch_size', 'total_sequence_length']),
  ];
  const outputs: ValueInfoProto[] = [valueInfo('logits', FLOAT, ['batch_size', 'sequence_length', vocab])];
  let x = g.op('Gather', [embed, 'input_ids'], { axis: 0 }, 'embeddings');
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    const names = { pastK: `past_key_values.${l}.key`, pastV: `past_key_values.${l}.value`, presentK: `present.${l}.key`, presentV: `present.${l}.value` };
    for (const name of [names.pastK, names.pastV]) inputs.push(valueInfo(name, FLOAT, ['batch_size', kvHeads, 'past_sequence_length', headDim]));
    for (const name of [names.presentK, names.presentV]) outputs.push(valueInfo(name, FLOAT, ['batch_size', kvHeads, 'total_sequence_length', headDim]));
    const normed = rmsNorm(x, `${p}.input_layernorm.weight`);
    const q = linear(normed, `${p}.self_attn.q_proj`, hidden, heads * headDim, SCALES.attention);
    const k = linear(normed, `${p}.self_attn.k_proj`, hidden, kvHeads * headDim, SCALES.attention);
    const v = linear(normed, `${p}.self_attn.v_proj`, hidden, kvHeads * headDim, SCALES.attention);
    const attention = `${p}.attn_output`;
    g.opInTo(
      MS,
      'GroupQueryAttention',
      [q, k, v, names.pastK, names.pastV, seqlensK, totalLength, cosCache, sinCache],
      { num_heads: heads, kv_num_heads: kvHeads, do_rotary: 1, rotary_interleaved: 0 },
      [attention, names.presentK, names.presentV],
    );
    x = g.op('Add', [x, linear(attention, `${p}.self_attn.o_proj`, hidden, hidden, SCALES.attention)], {}, `l${l}_residual_attn`);
    const post = rmsNorm(x, `${p}.post_attention_layernorm.weight`);
    const gate = linear(post, `${p}.mlp.gate_proj`, hidden, inner, SCALES.mlp);
    const up = linear(post, `${p}.mlp.up_proj`, hidden, inner, SCALES.mlp);
    const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate])]);
    x = g.op('Add', [x, linear(g.op('Mul', [silu, up]), `${p}.mlp.down_proj`, inner, hidden, SCALES.mlp)], {}, `l${l}_residual_mlp`);
  }
  g.opTo('MatMul', [rmsNorm(x, 'model.norm.weight'), g.op('Transpose', [embed], { perm: [1, 0] }, 'lm_head_weight')], {}, ['logits']);

  return {
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: MS, version: 1 },
    ],
    producerName: 'inpage (node/generators/decoder-contrib.ts)',
    docString: `Llama-family decoder on ONNX Runtime contrib ops with seeded random weights (seed ${variant.seed}): a layout fixture, not a language model.`,
    graph: { name: `inpage_contrib_${variant.dir}`, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
  };
}

/**
 * Generate the contrib-op fixture: the `.onnx` bytes and a Hugging Face Llama
 * `config.json` (with an `inpage` block: seed, size, SHA-256). Pure: writes nothing.
 */
export function generateContribDecoder(variant: ContribVariant = contribVariant): { onnx: Uint8Array; config: Record<string, unknown> } {
  const { heads, kvHeads, headDim, hidden, inner, blockSize } = variant;
  if (heads * headDim !== hidden || heads % kvHeads !== 0 || headDim % 2 !== 0 || hidden % blockSize !== 0 || inner % blockSize !== 0 || blockSize % 2 !== 0)
    throw new Error(
      `generateContribDecoder: variant ${variant.dir}: heads × headDim must equal hidden, heads divide by kvHeads, headDim be even, hidden and inner divide by blockSize`,
    );
  const onnx = encodeModelProto(buildContrib(variant));
  const config = {
    $comment: 'Generated by inpage (node/generators/decoder-contrib.ts): seeded random weights, a layout fixture, not a language model.',
    model_type: 'llama',
    num_hidden_layers: variant.layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    hidden_size: hidden,
    intermediate_size: inner,
    vocab_size: variant.vocab,
    max_position_embeddings: variant.maxPositions,
    rope_theta: variant.ropeTheta,
    rms_norm_eps: RMS_EPSILON,
    tie_word_embeddings: true,
    bos_token_id: EOS_TOKEN,
    eos_token_id: EOS_TOKEN,
    quantization: { method: 'MatMulNBits', bits: 4, block_size: blockSize },
    inpage: { file: 'decoder.onnx', seed: variant.seed, bytes: onnx.length, sha256: createHash('sha256').update(onnx).digest('hex') },
  };
  return { onnx, config };
}
