/**
 * The blocks of a GPT-2 decoder written with ONNX Runtime's fused contrib ops, as its
 * transformer optimizer (`onnxruntime.transformers.optimizer --model_type gpt2`, or
 * Optimum's `-O3`/`-O4`) writes GPT-2 for a GPU, on the ops ONNX Runtime Web's WebGPU
 * backend implements. ONNX Runtime Web applies none of these fusions itself for WebGPU (its
 * level-2 fusions are limited to the CPU, CUDA, ROCm and DirectML providers), so a
 * WebGPU user gets them only from a model exported that way.
 *
 * `decoder.ts` calls {@link fusedBlocks} for variants with `fused: true`; it draws every
 * weight through `draw` in the plain graph's order, so a fused and a plain decoder of one
 * seed compute the same function (up to float rounding; `quantized` rounds the
 * projections to 4 bits on purpose).
 */
import { TensorDataType } from './protobuf.js';
import type { DecoderVariant, GraphBuilder } from './decoder.js';

export const MS = 'com.microsoft';

/** Draws the next `count` weights of the seeded stream with the named scale. */
export type Draw = (count: number, scale: 'attention' | 'mlpIn' | 'mlpOut') => Float32Array;

/** MatMulNBits' input rows per scale. */
const BLOCK = 32;

/**
 * A `[rows, columns]` fp32 matrix (x · W, row-major) as MatMulNBits' 4-bit blobs: per
 * output column, per block of {@link BLOCK} input rows, 16 bytes of codes (element 2i in the
 * low nibble, 2i + 1 in the high one, zero point 8) and one scale (the block's |max| / 7).
 */
export function quantize(weights: Float32Array, rows: number, columns: number): { blobs: Uint8Array; scales: Float32Array } {
  const blocks = rows / BLOCK;
  const blobs = new Uint8Array(columns * blocks * (BLOCK / 2));
  const scales = new Float32Array(columns * blocks);
  for (let n = 0; n < columns; n++) {
    for (let b = 0; b < blocks; b++) {
      let max = 0;
      for (let i = 0; i < BLOCK; i++) max = Math.max(max, Math.abs(weights[(b * BLOCK + i) * columns + n] ?? 0));
      const scale = max === 0 ? 1 : max / 7;
      scales[n * blocks + b] = scale;
      for (let i = 0; i < BLOCK; i++) {
        const code = Math.min(15, Math.max(0, Math.round((weights[(b * BLOCK + i) * columns + n] ?? 0) / scale) + 8));
        const at = (n * blocks + b) * (BLOCK / 2) + (i >> 1);
        blobs[at] = (blobs[at] ?? 0) | (i % 2 === 0 ? code : code << 4);
      }
    }
  }
  return { blobs, scales };
}

/**
 * The transformer blocks and the final LayerNorm; returns ln_f's output.
 *   - `SkipLayerNormalization` adds a sublayer's output, its bias and the residual and
 *     normalises in one op (its 4th output is the new residual): one opens each block
 *     after the first, one closes the last (ln_f);
 *   - `MultiHeadAttention` per layer: q, k, v [B, S, hidden] split from one projection,
 *     the KV cache concatenation, the 1/√headDim scale, the shared causal + padding bias
 *     (expanded to [B, heads, S, T]: ONNX Runtime Web does not broadcast it) and the
 *     softmax inside;
 *   - `Gelu` (erf, as the plain graph's formula);
 *   - projections as MatMul, or with `quantized` as 4-bit `MatMulNBits`.
 */
export function fusedBlocks(g: GraphBuilder, variant: DecoderVariant, draw: Draw, embeddings: string, bias: string, qkvSplit: string): string {
  const { layers, heads, hidden, inner } = variant;
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
  const zeros = (n: number): Float32Array => new Float32Array(n);
  const headsBias = g.op('Expand', [bias, g.ints('shape_bias_heads', [1, heads, 1, 1])], {}, 'attn_bias_heads');
  const project = (x: string, name: string, rows: number, columns: number, weights: Float32Array): string => {
    if (variant.quantized !== true) return g.op('MatMul', [x, g.floats(`${name}.weight`, [rows, columns], weights)]);
    const { blobs, scales } = quantize(weights, rows, columns);
    g.initializers.push({ name: `${name}.qweight`, dims: [columns, rows / BLOCK, BLOCK / 2], dataType: TensorDataType.UINT8, rawData: blobs });
    const scaleName = g.floats(`${name}.scales`, [scales.length], scales);
    return g.opIn(MS, 'MatMulNBits', [x, `${name}.qweight`, scaleName], { K: rows, N: columns, bits: 4, block_size: BLOCK });
  };
  let residual = embeddings;
  /** The previous sublayer's output and its bias, not yet added to the residual. */
  let pending: { readonly output: string; readonly bias: string } | undefined;
  /** LayerNorm of residual + pending (a SkipLayerNormalization once there is one); moves `residual` on. */
  const norm = (name: string): string => {
    const gamma = g.floats(`${name}.weight`, [hidden], ones(hidden));
    const beta = g.floats(`${name}.bias`, [hidden], zeros(hidden));
    if (pending === undefined) return g.op('LayerNormalization', [residual, gamma, beta], { axis: -1, epsilon: 1e-5 });
    const skip = [pending.output, residual, gamma, beta, pending.bias];
    const [normed, , , sum] = g.opsIn(MS, 'SkipLayerNormalization', skip, { epsilon: 1e-5 }, 4, `${name}_skip`) as [string, string, string, string];
    residual = sum;
    return normed;
  };
  for (let l = 0; l < layers; l++) {
    const p = `transformer.h.${l}`;
    const ln1 = norm(`${p}.ln_1`);
    const qkv = g.op('Add', [
      project(ln1, `${p}.attn.c_attn`, hidden, 3 * hidden, draw(hidden * 3 * hidden, 'attention')),
      g.floats(`${p}.attn.c_attn.bias`, [3 * hidden], zeros(3 * hidden)),
    ]);
    const [q, k, v] = g.ops('Split', [qkv, qkvSplit], { axis: -1 }, 3, `l${l}_qkv`) as [string, string, string];
    const context = `l${l}_attention`;
    const attention = [q, k, v, '', '', headsBias, `past_key_values.${l}.key`, `past_key_values.${l}.value`];
    g.opInTo(MS, 'MultiHeadAttention', attention, { num_heads: heads }, [context, `present.${l}.key`, `present.${l}.value`]);
    const projected = project(context, `${p}.attn.c_proj`, hidden, hidden, draw(hidden * hidden, 'attention'));
    pending = { output: projected, bias: g.floats(`${p}.attn.c_proj.bias`, [hidden], zeros(hidden)) };
    const ln2 = norm(`${p}.ln_2`);
    const fc = g.op('Add', [
      project(ln2, `${p}.mlp.c_fc`, hidden, inner, draw(hidden * inner, 'mlpIn')),
      g.floats(`${p}.mlp.c_fc.bias`, [inner], zeros(inner)),
    ]);
    const gelu = g.opIn(MS, 'Gelu', [fc]);
    const mlp = project(gelu, `${p}.mlp.c_proj`, inner, hidden, draw(inner * hidden, 'mlpOut'));
    pending = { output: mlp, bias: g.floats(`${p}.mlp.c_proj.bias`, [hidden], zeros(hidden)) };
  }
  return norm('transformer.ln_f');
}
