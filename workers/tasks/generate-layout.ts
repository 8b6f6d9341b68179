/**
 * What a decoder's graph says about itself, read from its Optimum-style inputs and
 * outputs: how many layers carry a KV cache, each cache's KV-head count and head size,
 * the vocabulary size and which optional inputs it takes. Sizes the graph leaves
 * symbolic come from the model's `config.json` (Hugging Face keys); nothing is assumed.
 */
import { ModelLoadError } from '../../src/errors';
import type { Backend, ModelInfo, TensorSpec } from '../../src/protocol';

/** The sizes a generation loop needs, and where each came from. */
export interface DecoderLayout {
  /** Decoder layers (pairs of `past_key_values.{i}.key/value` inputs). */
  readonly layers: number;
  /** Heads per KV cache entry (fewer than attention heads under grouped-query attention). */
  readonly kvHeads: number;
  readonly headDim: number;
  readonly vocab: number;
  /** Longest sequence (prompt + generated) the model's position table covers. */
  readonly maxContext: number;
  /** Attention heads, when the config says (not visible in the graph's I/O). */
  readonly heads?: number;
  readonly eosTokenId: number;
  /** The graph takes `position_ids` (most Optimum exports do). */
  readonly hasPositionIds: boolean;
  /** The graph is a merged decoder with a `use_cache_branch` switch. */
  readonly hasCacheBranch: boolean;
  /**
   * Where a batched row's cache sits among the padding columns. `'left'`: its newest
   * position in the last column, padding before it (plain attention ops read the mask).
   * `'right'`: from column 0 up to its own length, padding after it, as ONNX Runtime's
   * `com.microsoft.GroupQueryAttention` reads it (its `seqlens_k` gives each row's length;
   * its rotary positions follow from that, so such a graph needs no `position_ids`).
   */
  readonly kvPadding: 'left' | 'right';
  /**
   * The graph's int64 scalar input that limits the logits to the last N positions
   * (`num_logits_to_keep`, or `logits_to_keep` in newer exports): fed 1, so a prefill
   * returns one row of logits instead of one per prompt token.
   */
  readonly logitsToKeepInput?: 'num_logits_to_keep' | 'logits_to_keep';
  /** Which facts came from the graph and which from the config. */
  readonly sources: Readonly<Record<'kvHeads' | 'headDim' | 'vocab' | 'maxContext', 'graph' | 'config' | 'option'>>;
}

/** The `config.json` keys the loader reads (Hugging Face names, GPT-2 and Llama style). */
export interface DecoderConfig {
  readonly n_layer?: number;
  readonly num_hidden_layers?: number;
  readonly n_head?: number;
  readonly num_attention_heads?: number;
  readonly num_key_value_heads?: number;
  readonly head_dim?: number;
  readonly n_embd?: number;
  readonly hidden_size?: number;
  readonly vocab_size?: number;
  readonly n_positions?: number;
  readonly max_position_embeddings?: number;
  readonly eos_token_id?: number;
}

const configKeys: readonly (keyof DecoderConfig)[] = [
  'n_layer',
  'num_hidden_layers',
  'n_head',
  'num_attention_heads',
  'num_key_value_heads',
  'head_dim',
  'n_embd',
  'hidden_size',
  'vocab_size',
  'n_positions',
  'max_position_embeddings',
  'eos_token_id',
];

/** Keep the positive-integer fields of a parsed `config.json` the loader understands. */
export function parseDecoderConfig(json: unknown): DecoderConfig {
  if (typeof json !== 'object' || json === null) return {};
  const config: Partial<Record<keyof DecoderConfig, number>> = {};
  for (const key of configKeys) {
    const value: unknown = Reflect.get(json, key);
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) config[key] = value;
  }
  return config;
}

/** GPT-2's `<|endoftext|>`. */
export const gpt2EosTokenId = 50256;

/** ONNX Runtime's fused attention contrib op, which reads each row's cache from column 0 (`kvPadding: 'right'`). */
export const groupQueryAttention = 'com.microsoft.GroupQueryAttention';

/** ONNX Runtime's attention contrib ops, as an export's fused graph names them, most specific first. */
const fusedAttentionOps = ['GroupQueryAttention', 'MultiHeadAttention', 'Attention'] as const;

/**
 * How a decoder's graph computes attention, for `facts.attention`: the name of ONNX Runtime's
 * fused contrib op it uses, or `plain ops` (MatMul, Softmax, …). ONNX Runtime Web fuses
 * nothing itself for WebGPU, so there a plain graph runs about twice the kernels per step
 * of a fused export (measured on an H200: 47 against 75 tokens/s for GPT-2 small's shape).
 */
export function attentionFact(operators: readonly string[] | undefined, backend: Backend): string {
  const fused = fusedAttentionOps.find((op) => operators?.includes(`com.microsoft.${op}`) === true);
  if (fused !== undefined) return fused;
  if (operators === undefined) return 'unknown';
  return backend === 'webgpu'
    ? 'plain ops: ONNX Runtime Web fuses none for WebGPU; an export on its attention and normalization contrib ops decodes faster'
    : 'plain ops';
}

const pastPattern = /^past_key_values\.(\d+)\.(key|value)$/;

function numericDim(spec: TensorSpec | undefined, axis: number): number | undefined {
  const dim = spec?.shape?.[axis];
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

/** Where a config's layer count and the graph's disagree, the config is another model's. */
function configLayers(config: DecoderConfig): number | undefined {
  return config.n_layer ?? config.num_hidden_layers;
}

/**
 * Read a decoder's layout from its signature, filling symbolic sizes from `config`.
 *
 * @param maxContext the caller's context limit, which wins over the config's.
 * @throws ModelLoadError when the graph lacks Optimum's inputs/outputs, or a size is
 *   neither declared by the graph nor given by a config that matches it.
 */
export function readDecoderLayout(model: ModelInfo, config: DecoderConfig | undefined, maxContext?: number): DecoderLayout {
  const error = (message: string, expected: string, got: string): ModelLoadError =>
    new ModelLoadError(`Model "${model.modelId}" ${message}`, { model: model.modelId, expected, got });
  const inputs = new Map(model.inputs.map((spec) => [spec.name, spec]));
  for (const name of ['input_ids', 'attention_mask']) {
    if (inputs.get(name)?.dtype !== 'int64')
      throw error(`is not an Optimum decoder: it needs an int64 input "${name}".`, `int64 ${name}`, [...inputs.keys()].join(', '));
  }
  const logits = model.outputs.find((spec) => spec.name === 'logits');
  if (logits === undefined) throw error('is not an Optimum decoder: it has no "logits" output.', 'logits', model.outputs.map((o) => o.name).join(', '));

  const layerIds = new Set<number>();
  for (const name of inputs.keys()) {
    const match = pastPattern.exec(name);
    if (match !== null) layerIds.add(Number(match[1]));
  }
  const layers = layerIds.size;
  if (layers === 0) throw error('has no KV-cache inputs, so it cannot generate with a KV cache.', 'past_key_values.{i}.key/value inputs', 'none');
  const outputs = new Set(model.outputs.map((spec) => spec.name));
  for (let i = 0; i < layers; i++) {
    for (const part of ['key', 'value']) {
      if (inputs.get(`past_key_values.${i}.${part}`)?.dtype !== 'float32' || !outputs.has(`present.${i}.${part}`)) {
        throw error(
          `has gaps in its KV cache: layer ${i} lacks a float32 past_key_values.${i}.${part} input or a present.${i}.${part} output.`,
          `float32 KV caches for layers 0…${layers - 1}`,
          `${layers} layers`,
        );
      }
    }
  }

  const logitsToKeep = (): Pick<DecoderLayout, 'logitsToKeepInput'> => {
    for (const name of ['num_logits_to_keep', 'logits_to_keep'] as const) {
      const spec = inputs.get(name);
      if (spec === undefined) continue;
      if (spec.dtype !== 'int64' || (spec.shape !== null && spec.shape.length > 1))
        throw error(
          `takes "${name}" as ${spec.dtype} of rank ${spec.shape?.length ?? '?'}; the loader feeds an int64 scalar.`,
          `int64 ${name} scalar`,
          spec.dtype,
        );
      return { logitsToKeepInput: name };
    }
    return {};
  };
  const usable = config !== undefined && (configLayers(config) === undefined || configLayers(config) === layers) ? config : undefined;
  const firstPast = inputs.get('past_key_values.0.key');
  const heads = usable?.n_head ?? usable?.num_attention_heads;
  const hidden = usable?.n_embd ?? usable?.hidden_size;
  const graphKvHeads = numericDim(firstPast, 1);
  const graphHeadDim = numericDim(firstPast, 3);
  const graphVocab = numericDim(logits, 2);
  const configKvHeads = usable?.num_key_value_heads ?? heads;
  const configHeadDim = usable?.head_dim ?? (heads !== undefined && hidden !== undefined ? hidden / heads : undefined);
  const configMaxContext = usable?.n_positions ?? usable?.max_position_embeddings;
  const whyNoConfig =
    config === undefined
      ? 'there is no config.json next to it'
      : usable === undefined
        ? 'its config.json describes a different model'
        : 'its config.json does not say';
  const need = (what: string, value: number | undefined, hint: string): number => {
    if (value === undefined || !Number.isInteger(value) || value <= 0) {
      throw error(`does not declare its ${what} in the graph, and ${whyNoConfig}. ${hint}`, `a numeric ${what}`, 'symbolic');
    }
    return value;
  };
  const kvHeads = need('KV-head count (axis 1 of past_key_values.0.key)', graphKvHeads ?? configKvHeads, 'Add config.json with num_key_value_heads or n_head.');
  const headDim = need('head size (axis 3 of past_key_values.0.key)', graphHeadDim ?? configHeadDim, 'Add config.json with head_dim, or n_embd and n_head.');
  const vocab = need('vocabulary size (axis 2 of logits)', graphVocab ?? usable?.vocab_size, 'Add config.json with vocab_size.');
  const contextLimit = need('context length', maxContext ?? configMaxContext, 'Pass the maxContext option, or add config.json with n_positions.');
  return {
    layers,
    kvHeads,
    headDim,
    vocab,
    maxContext: contextLimit,
    ...(heads === undefined ? {} : { heads }),
    eosTokenId: usable?.eos_token_id ?? gpt2EosTokenId,
    hasPositionIds: inputs.has('position_ids'),
    hasCacheBranch: inputs.has('use_cache_branch'),
    kvPadding: model.operators?.includes(groupQueryAttention) === true ? 'right' : 'left',
    ...logitsToKeep(),
    sources: {
      kvHeads: graphKvHeads === undefined ? 'config' : 'graph',
      headDim: graphHeadDim === undefined ? 'config' : 'graph',
      vocab: graphVocab === undefined ? 'config' : 'graph',
      maxContext: maxContext === undefined ? 'config' : 'option',
    },
  };
}
