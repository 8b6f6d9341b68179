/**
 * The running batch of continuous batching: the KV caches of every sequence that decodes
 * together, packed into one `[rows, kvHeads, columns, headDim]` tensor per layer and part
 * (key, value), left-padded so that every sequence's newest position is the last column.
 *
 * One decode step feeds each row's newest token with `attention_mask` 0 over its padding
 * and 1 over its own positions, and `position_ids` = the row's own length; the model's
 * `present.*` outputs (one column longer) become the next step's past as they are, with
 * no copy. Rows are copied only when the membership changes: {@link PackedKv.reshape}
 * drops finished sequences, adds newly prefilled ones, and trims the padding columns no
 * remaining row needs.
 *
 * A padded column never reaches a row's attention (its bias is -1e9, so its softmax
 * weight is exactly 0) and holds zeros, so a row decodes as it would alone.
 */
import { InferenceError } from '../../src/errors';
import type { TensorMap } from '../../src/protocol';
import { tensor } from '../../src/tensor';
import type { DecoderLayout } from './generate-layout';

/** A sequence joining the batch: its batch-1 KV cache (`present.*` of its prefill) and how many positions it covers. */
export interface Joiner<M> {
  readonly member: M;
  readonly cache: TensorMap;
  readonly length: number;
}

interface Row<M> {
  readonly member: M;
  /** Positions this row has cached (its columns are the last `length`). */
  length: number;
}

/** What a packed step needs from each row: its newest token. */
export type NewestToken<M> = (member: M) => number;

export class PackedKv<M> {
  private rows: Row<M>[] = [];
  /** Columns of every cache tensor: the longest row's length. */
  private columns = 0;
  /** One array per layer and part (`layer * 2 + part`), `[rows, kvHeads, columns, headDim]`. */
  private caches: Float32Array[] = [];

  constructor(
    private readonly layout: Pick<DecoderLayout, 'layers' | 'kvHeads' | 'headDim' | 'hasPositionIds' | 'hasCacheBranch'>,
    private readonly model: string,
  ) {}

  /** Sequences in the batch. */
  get size(): number {
    return this.rows.length;
  }

  /** The batch's members, in row order. */
  get members(): readonly M[] {
    return this.rows.map((row) => row.member);
  }

  /** Columns of the packed caches (the longest row), for tests and metrics. */
  get width(): number {
    return this.columns;
  }

  /**
   * Drop the rows whose member `leaves`, then add `joiners`; trims padding no row needs.
   * Copies every kept row once (nothing happens when nobody leaves or joins).
   */
  reshape(leaves: (member: M) => boolean, joiners: readonly Joiner<M>[]): void {
    const kept = this.rows.map((row, index) => ({ row, index })).filter(({ row }) => !leaves(row.member));
    if (kept.length === this.rows.length && joiners.length === 0) return;
    const columns = Math.max(0, ...kept.map(({ row }) => row.length), ...joiners.map((joiner) => joiner.length));
    const { kvHeads, headDim } = this.layout;
    const count = kept.length + joiners.length;
    const next = this.caches.length === 0 ? this.emptyCaches() : this.caches;
    this.caches = next.map((old, slot) => {
      const packed = new Float32Array(count * kvHeads * columns * headDim);
      kept.forEach(({ row, index }, r) => {
        for (let h = 0; h < kvHeads; h++) {
          const from = ((index * kvHeads + h) * this.columns + this.columns - row.length) * headDim;
          const to = ((r * kvHeads + h) * columns + columns - row.length) * headDim;
          packed.set(old.subarray(from, from + row.length * headDim), to);
        }
      });
      joiners.forEach((joiner, j) => {
        const source = joiner.cache[this.presentName(slot)];
        if (source?.dtype !== 'float32' || source.data.length !== kvHeads * joiner.length * headDim) {
          throw new InferenceError(`Model "${this.model}" returned a KV cache of an unexpected shape for a joining sequence.`, {
            model: this.model,
            expected: `float32 [1, ${kvHeads}, ${joiner.length}, ${headDim}]`,
            got: source === undefined ? 'none' : `${source.dtype} [${source.dims.join(', ')}]`,
          });
        }
        for (let h = 0; h < kvHeads; h++) {
          const from = h * joiner.length * headDim;
          const to = (((kept.length + j) * kvHeads + h) * columns + columns - joiner.length) * headDim;
          packed.set(source.data.subarray(from, from + joiner.length * headDim), to);
        }
      });
      return packed;
    });
    this.rows = [...kept.map(({ row }) => row), ...joiners.map((joiner) => ({ member: joiner.member, length: joiner.length }))];
    this.columns = columns;
  }

  /** The decoder inputs of one step: every row's newest token at its own position. */
  inputs(newest: NewestToken<M>): TensorMap {
    const { layers, kvHeads, headDim } = this.layout;
    const rows = this.rows.length;
    const total = this.columns + 1;
    const mask = new BigInt64Array(rows * total);
    this.rows.forEach((row, r) => mask.fill(1n, r * total + total - 1 - row.length, (r + 1) * total));
    const inputs: TensorMap = {
      input_ids: tensor(
        'int64',
        [rows, 1],
        BigInt64Array.from(this.rows, (row) => BigInt(newest(row.member))),
      ),
      attention_mask: tensor('int64', [rows, total], mask),
    };
    if (this.layout.hasPositionIds)
      inputs.position_ids = tensor(
        'int64',
        [rows, 1],
        BigInt64Array.from(this.rows, (row) => BigInt(row.length)),
      );
    if (this.layout.hasCacheBranch) inputs.use_cache_branch = tensor('bool', [1], Uint8Array.of(1));
    for (let layer = 0; layer < layers; layer++) {
      for (let part = 0; part < 2; part++) {
        const data = this.caches[layer * 2 + part] ?? new Float32Array(0);
        inputs[`past_key_values.${layer}.${part === 0 ? 'key' : 'value'}`] = tensor('float32', [rows, kvHeads, this.columns, headDim], data);
      }
    }
    return inputs;
  }

  /** Take a step's `present.*` outputs as the new caches: every row one position longer. */
  absorb(outputs: TensorMap): void {
    const { kvHeads, headDim } = this.layout;
    const columns = this.columns + 1;
    this.caches = this.caches.map((_, slot) => {
      const present = outputs[this.presentName(slot)];
      if (present?.dtype !== 'float32' || present.data.length !== this.rows.length * kvHeads * columns * headDim) {
        throw new InferenceError(`Model "${this.model}" returned a KV cache of an unexpected shape.`, {
          model: this.model,
          expected: `float32 [${this.rows.length}, ${kvHeads}, ${columns}, ${headDim}]`,
          got: present === undefined ? 'none' : `${present.dtype} [${present.dims.join(', ')}]`,
        });
      }
      return present.data;
    });
    this.columns = columns;
    for (const row of this.rows) row.length += 1;
  }

  /** Free every row. */
  clear(): void {
    this.rows = [];
    this.columns = 0;
    this.caches = [];
  }

  private emptyCaches(): Float32Array[] {
    return Array.from({ length: this.layout.layers * 2 }, () => new Float32Array(0));
  }

  private presentName(slot: number): string {
    return `present.${Math.floor(slot / 2)}.${slot % 2 === 0 ? 'key' : 'value'}`;
  }
}
