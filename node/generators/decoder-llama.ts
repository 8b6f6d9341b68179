/**
 * Llama-family ONNX decoders with seeded random weights: the layout Optimum and the ONNX
 * community export for Llama, Qwen2, SmolLM and their kin, as small test fixtures (random
 * weights, like `decoder.ts`'s GPT-2 fixtures; meaningless text):
 *
 *   - RMSNorm (no biases), SwiGLU MLP (`down(silu(gate(x)) · up(x))`);
 *   - rotary position embeddings (RoPE, the `rotate_half` form) on queries and keys, no
 *     learned position table;
 *   - grouped-query attention (fewer KV heads than query heads, matched by broadcasting);
 *   - a `num_logits_to_keep` input (int64 scalar): the graph projects only the last N
 *     positions to the vocabulary (0 = all), as Transformers' exports do to skip the
 *     prefill's big logits;
 *   - tied embeddings (SmolLM ties them; the lm_head reads the token table).
 *
 * Two variants ({@link llamaVariants}):
 *   decoder-llama        positions from a `position_ids` input (what Llama exports take),
 *                        merged (a `use_cache_branch` input switching an `If` between the
 *                        with-past and the first-pass branch, as Optimum merges them);
 *   decoder-llama-nopos  no `position_ids` input: the graph counts positions from the past
 *                        length, as older exports without it do. Left padding would shift
 *                        every padded row's positions, so a loader must not batch such a
 *                        model's sequences of different lengths side by side.
 *
 * Inputs and outputs use Optimum's names, so the worker loads them as it would a real
 * export: input_ids, attention_mask, [position_ids], past_key_values.{i}.key/value,
 * num_logits_to_keep → logits [batch, kept positions, vocab], present.{i}.key/value.
 * The GPT-2 tokenizer (vocab 50257) goes with them, as with the other fixtures.
 */
import { createHash } from 'node:crypto';
import { GraphBuilder, attentionBias, mulberry32, normals, valueInfo } from './decoder.js';
import { AttributeType, TensorDataType, encodeModelProto } from './protobuf.js';
import type { GraphProto, ModelProto, NodeProto, ValueInfoProto } from './protobuf.js';

/** The shape and seed of one Llama-family fixture. `heads * headDim === hidden`; `heads % kvHeads === 0`; `headDim` even. */
export interface LlamaVariant {
  /** Folder name under `models/`. */
  readonly dir: string;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly hidden: number;
  /** SwiGLU width (`intermediate_size`). */
  readonly inner: number;
  readonly vocab: number;
  /** `max_position_embeddings`: the rotary tables' length. */
  readonly maxPositions: number;
  /** Take `position_ids` as an input (else count them from the past length). */
  readonly positionIds: boolean;
  /**
   * A merged decoder (Optimum's `decoder_model_merged.onnx`): a `use_cache_branch` input
   * and an `If` whose branches take the past as given (true) or drop it (false, the
   * first pass, fed an empty past).
   */
  readonly cacheBranch: boolean;
  readonly ropeTheta: number;
  readonly seed: number;
}

const llamaBase: LlamaVariant = {
  dir: 'decoder-llama',
  layers: 2,
  heads: 4,
  kvHeads: 2,
  headDim: 32,
  hidden: 128,
  inner: 352,
  vocab: 50257,
  maxPositions: 512,
  positionIds: true,
  cacheBranch: true,
  ropeTheta: 10000,
  seed: 11,
};

export const llamaVariants: readonly LlamaVariant[] = [
  llamaBase,
  { ...llamaBase, dir: 'decoder-llama-nopos', positionIds: false, cacheBranch: false, seed: 12 },
];

const FLOAT = TensorDataType.FLOAT;
const INT64 = TensorDataType.INT64;
const EOS_TOKEN = 50256;
const SCALES = { embedding: 0.05, attention: 0.1, mlp: 0.1 };
const RMS_EPSILON = 1e-6;

function buildLlama(variant: LlamaVariant): ModelProto {
  const { layers, heads, kvHeads, headDim, hidden, inner, vocab, maxPositions } = variant;
  const group = heads / kvHeads;
  const half = headDim / 2;
  const random = mulberry32(variant.seed);
  const g = new GraphBuilder();

  const embed = g.floats('model.embed_tokens.weight', [vocab, hidden], normals(random, vocab * hidden, SCALES.embedding));
  const arange = g.ints(
    'positions',
    Array.from({ length: maxPositions }, (_, i) => i),
  );
  // Rotary tables [maxPositions, headDim]: cos/sin(p · θ^(-2i/d)), the halves repeated (rotate_half form).
  const cos = new Float32Array(maxPositions * headDim);
  const sin = new Float32Array(maxPositions * headDim);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * variant.ropeTheta ** ((-2 * i) / headDim);
      for (const at of [p * headDim + i, p * headDim + half + i]) {
        cos[at] = Math.cos(angle);
        sin[at] = Math.sin(angle);
      }
    }
  }
  const cosTable = g.floats('rotary.cos', [maxPositions, headDim], cos);
  const sinTable = g.floats('rotary.sin', [maxPositions, headDim], sin);
  const { bias, ownPositions, zero1, one1, two1 } = attentionBias(g, arange, group);
  const eps = g.scalar('rms_eps', RMS_EPSILON);
  const two = g.scalar('f_two', 2);

  // Positions [B or 1, S]: the input, or past length + index (the same for every row).
  const positions = variant.positionIds ? 'position_ids' : g.op('Unsqueeze', [ownPositions, zero1], {}, 'counted_positions');
  const cosAt = g.op('Unsqueeze', [g.op('Gather', [cosTable, positions], { axis: 0 }), two1], {}, 'rope_cos'); // [B, S, 1, D]
  const sinAt = g.op('Unsqueeze', [g.op('Gather', [sinTable, positions], { axis: 0 }), two1], {}, 'rope_sin');
  const halves = g.ints('rope_halves', [half, half]);
  /** RoPE on [B, S, heads, D]: t · cos + rotate_half(t) · sin, rotate_half(t) = [−t₂, t₁]. */
  const rope = (t: string): string => {
    const [first, second] = g.ops('Split', [t, halves], { axis: -1 }, 2, `${t}_halves`) as [string, string];
    const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: -1 });
    return g.op('Add', [g.op('Mul', [t, cosAt]), g.op('Mul', [rotated, sinAt])]);
  };
  const rmsNorm = (x: string, weightName: string): string => {
    const meanSquare = g.op('ReduceMean', [g.op('Pow', [x, two])], { axes: [-1], keepdims: 1 });
    const normed = g.op('Div', [x, g.op('Sqrt', [g.op('Add', [meanSquare, eps])])]);
    return g.op('Mul', [normed, g.floats(weightName, [hidden], new Float32Array(hidden).fill(1))]);
  };
  const linear = (x: string, name: string, rows: number, columns: number, std: number): string =>
    g.op('MatMul', [x, g.floats(name, [rows, columns], normals(random, rows * columns, std))]);

  let x = g.op('Gather', [embed, 'input_ids'], { axis: 0 }, 'embeddings');
  const qScale = g.scalar('q_scale', 1 / Math.sqrt(headDim));
  const kvShape = g.ints('shape_kv_heads', [0, 0, kvHeads, headDim]);
  const qShape = g.ints('shape_q_heads', [0, 0, heads, headDim]);
  const groupShape = g.ints('shape_q_groups', [0, 0, kvHeads, group, headDim]);
  const hiddenShape = g.ints('shape_hidden', [0, 0, hidden]);

  const inputs: ValueInfoProto[] = [valueInfo('input_ids', INT64, ['batch_size', 'sequence_length'])];
  inputs.push(valueInfo('attention_mask', INT64, ['batch_size', 'total_sequence_length']));
  if (variant.positionIds) inputs.push(valueInfo('position_ids', INT64, ['batch_size', 'sequence_length']));
  const outputs: ValueInfoProto[] = [valueInfo('logits', FLOAT, ['batch_size', 'logits_sequence_length', vocab])];

  const pastShape = ['batch_size', kvHeads, 'past_sequence_length', headDim];
  const pastName = (l: number, part: 'key' | 'value'): string => `past_key_values.${l}.${part}`;
  for (let l = 0; l < layers; l++) for (const part of ['key', 'value'] as const) inputs.push(valueInfo(pastName(l, part), FLOAT, pastShape));
  // The past each layer attends to: as given, or through the merged decoder's branch.
  let pastOf = pastName;
  if (variant.cacheBranch) {
    const names = Array.from({ length: layers }, (_, l) => [pastName(l, 'key'), pastName(l, 'value')]).flat();
    const branch = (label: string, node: (name: string, out: string) => NodeProto): GraphProto => ({
      name: `${label}_branch`,
      node: names.map((name) => node(name, `${label}.${name}`)),
      output: names.map((name) => valueInfo(`${label}.${name}`, FLOAT, pastShape)),
    });
    const thenBranch = branch('with_past', (name, out) => ({ opType: 'Identity', input: [name], output: [out], name: `n_${out}` }));
    const elseBranch = branch('without_past', (name, out) => ({ opType: 'Slice', input: [name, zero1, zero1, two1], output: [out], name: `n_${out}` }));
    g.nodes.push({
      opType: 'If',
      input: ['use_cache_branch'],
      output: names.map((name) => `cached.${name}`),
      name: 'n_use_cache_branch',
      attribute: [
        { name: 'then_branch', type: AttributeType.GRAPH, g: thenBranch },
        { name: 'else_branch', type: AttributeType.GRAPH, g: elseBranch },
      ],
    });
    pastOf = (l, part) => `cached.${pastName(l, part)}`;
  }

  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    const normed = rmsNorm(x, `${p}.input_layernorm.weight`);
    const q = linear(normed, `${p}.self_attn.q_proj.weight`, hidden, heads * headDim, SCALES.attention);
    const k = linear(normed, `${p}.self_attn.k_proj.weight`, hidden, kvHeads * headDim, SCALES.attention);
    const v = linear(normed, `${p}.self_attn.v_proj.weight`, hidden, kvHeads * headDim, SCALES.attention);
    const pastK = pastOf(l, 'key');
    const pastV = pastOf(l, 'value');
    const presentK = `present.${l}.key`;
    const presentV = `present.${l}.value`;
    for (const name of [presentK, presentV]) outputs.push(valueInfo(name, FLOAT, ['batch_size', kvHeads, 'total_sequence_length', headDim]));
    const keys = g.op('Transpose', [rope(g.op('Reshape', [k, kvShape]))], { perm: [0, 2, 1, 3] });
    const values = g.op('Transpose', [g.op('Reshape', [v, kvShape])], { perm: [0, 2, 1, 3] });
    g.opTo('Concat', [pastK, keys], { axis: 2 }, [presentK]);
    g.opTo('Concat', [pastV, values], { axis: 2 }, [presentV]);
    // Queries: RoPE per head, then [B, KV, G, S, D] against keys [B, KV, 1, D, T].
    const rotatedQ = g.op('Mul', [rope(g.op('Reshape', [q, qShape])), qScale]);
    const query = g.op('Transpose', [g.op('Reshape', [rotatedQ, groupShape])], { perm: [0, 2, 3, 1, 4] });
    const keysT = g.op('Unsqueeze', [g.op('Transpose', [presentK], { perm: [0, 1, 3, 2] }), two1]);
    const probs = g.op('Softmax', [g.op('Add', [g.op('MatMul', [query, keysT]), bias])], { axis: -1 });
    const mixed = g.op('MatMul', [probs, g.op('Unsqueeze', [presentV, two1])]);
    const merged = g.op('Reshape', [g.op('Transpose', [mixed], { perm: [0, 3, 1, 2, 4] }), hiddenShape]);
    x = g.op('Add', [x, linear(merged, `${p}.self_attn.o_proj.weight`, hidden, hidden, SCALES.attention)], {}, `l${l}_residual_attn`);

    const post = rmsNorm(x, `${p}.post_attention_layernorm.weight`);
    const gate = linear(post, `${p}.mlp.gate_proj.weight`, hidden, inner, SCALES.mlp);
    const up = linear(post, `${p}.mlp.up_proj.weight`, hidden, inner, SCALES.mlp);
    const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate])]);
    x = g.op('Add', [x, linear(g.op('Mul', [silu, up]), `${p}.mlp.down_proj.weight`, inner, hidden, SCALES.mlp)], {}, `l${l}_residual_mlp`);
  }

  // num_logits_to_keep: only the last N positions reach the vocabulary projection (0 = all).
  inputs.push(valueInfo('num_logits_to_keep', INT64, []));
  if (variant.cacheBranch) inputs.push(valueInfo('use_cache_branch', TensorDataType.BOOL, [1]));
  const keepStart = g.op('Neg', [g.op('Reshape', ['num_logits_to_keep', one1])], {}, 'keep_start');
  const kept = g.op('Slice', [rmsNorm(x, 'model.norm.weight'), keepStart, g.ints('slice_end', [2 ** 62]), one1], {}, 'kept_positions');
  g.opTo('MatMul', [kept, g.op('Transpose', [embed], { perm: [1, 0] }, 'lm_head_weight')], {}, ['logits']);

  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'inpage (node/generators/decoder-llama.ts)',
    docString: `Llama-family decoder with seeded random weights (seed ${variant.seed}): a layout fixture, not a language model.`,
    graph: { name: `inpage_llama_${variant.dir}`, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
  };
}

/**
 * Generate one Llama-family fixture: the `.onnx` bytes and a Hugging Face Llama
 * `config.json` (with an `inpage` block: seed, size, SHA-256). Pure: writes nothing.
 */
export function generateLlamaDecoder(variant: LlamaVariant): { onnx: Uint8Array; config: Record<string, unknown> } {
  if (variant.heads * variant.headDim !== variant.hidden || variant.heads % variant.kvHeads !== 0 || variant.headDim % 2 !== 0)
    throw new Error(`generateLlamaDecoder: variant ${variant.dir}: heads × headDim must equal hidden, heads divide by kvHeads, headDim be even`);
  const onnx = encodeModelProto(buildLlama(variant));
  const config = {
    $comment: 'Generated by inpage (node/generators/decoder-llama.ts): seeded random weights, a layout fixture, not a language model.',
    model_type: 'llama',
    num_hidden_layers: variant.layers,
    num_attention_heads: variant.heads,
    num_key_value_heads: variant.kvHeads,
    head_dim: variant.headDim,
    hidden_size: variant.hidden,
    intermediate_size: variant.inner,
    vocab_size: variant.vocab,
    max_position_embeddings: variant.maxPositions,
    rope_theta: variant.ropeTheta,
    rms_norm_eps: RMS_EPSILON,
    tie_word_embeddings: true,
    bos_token_id: EOS_TOKEN,
    eos_token_id: EOS_TOKEN,
    inpage: { file: 'decoder.onnx', seed: variant.seed, bytes: onnx.length, sha256: createHash('sha256').update(onnx).digest('hex') },
  };
  return { onnx, config };
}
