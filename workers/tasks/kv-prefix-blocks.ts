/**
 * Moving keys/values between a decoder's KV cache tensors and prefix-cache blocks.
 *
 * The decoder's caches are `present.{layer}.{key|value}`, float32
 * `[1, kvHeads, tokens, headDim]`. A block holds `blockTokens` consecutive positions of
 * every layer's keys and values in one `Float32Array`, laid out
 * `[layer][key, value][kvHead][position][headDim]`, so one block is one contiguous
 * buffer (one IndexedDB part, one memory entry).
 */
import type { Tensor, TensorMap } from '../../src/protocol';
import { tensor } from '../../src/tensor';

/** The sizes a block depends on. */
export interface KvBlockShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly blockTokens: number;
}

/** Floats in one block. */
export function blockFloats(shape: KvBlockShape): number {
  return shape.layers * 2 * shape.kvHeads * shape.blockTokens * shape.headDim;
}

const parts = ['key', 'value'] as const;

function cacheTensor(cache: TensorMap, layer: number, part: string, tokens: number, shape: KvBlockShape): Float32Array {
  const name = `present.${layer}.${part}`;
  const found: Tensor | undefined = cache[name];
  const expected = [1, shape.kvHeads, tokens, shape.headDim];
  if (found?.dtype !== 'float32' || found.dims.length !== 4 || found.dims.some((d, i) => d !== expected[i]))
    throw new Error(
      `KV prefix cache: ${name} is not float32 [${expected.join(', ')}] (got ${found === undefined ? 'none' : `${found.dtype} [${found.dims.join(', ')}]`}).`,
    );
  return found.data;
}

/**
 * Copy blocks `from…to - 1` out of a KV cache covering `tokens` positions (the prefill's
 * `present.*` outputs). The copies own their memory: the cache may be reused or freed.
 */
export function sliceBlocks(cache: TensorMap, tokens: number, from: number, to: number, shape: KvBlockShape): Float32Array[] {
  const { layers, kvHeads, headDim, blockTokens } = shape;
  const run = blockTokens * headDim; // one head's positions of one block
  const blocks = Array.from({ length: to - from }, () => new Float32Array(blockFloats(shape)));
  for (let layer = 0; layer < layers; layer++) {
    for (const [p, part] of parts.entries()) {
      const source = cacheTensor(cache, layer, part, tokens, shape);
      for (const [i, block] of blocks.entries()) {
        const start = (from + i) * blockTokens * headDim;
        for (let head = 0; head < kvHeads; head++) {
          const at = head * tokens * headDim + start;
          block.set(source.subarray(at, at + run), ((layer * 2 + p) * kvHeads + head) * run);
        }
      }
    }
  }
  return blocks;
}

/** Join consecutive blocks into a KV cache (`present.*` names, as the session keeps it) covering their positions. */
export function assembleCache(blocks: readonly Float32Array[], shape: KvBlockShape): TensorMap {
  const { layers, kvHeads, headDim, blockTokens } = shape;
  const tokens = blocks.length * blockTokens;
  const run = blockTokens * headDim;
  const cache: TensorMap = {};
  for (let layer = 0; layer < layers; layer++) {
    for (const [p, part] of parts.entries()) {
      const data = new Float32Array(kvHeads * tokens * headDim);
      for (const [j, block] of blocks.entries()) {
        for (let head = 0; head < kvHeads; head++) {
          const at = ((layer * 2 + p) * kvHeads + head) * run;
          data.set(block.subarray(at, at + run), head * tokens * headDim + j * run);
        }
      }
      cache[`present.${layer}.${part}`] = tensor('float32', [1, kvHeads, tokens, headDim], data);
    }
  }
  return cache;
}
