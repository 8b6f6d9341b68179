/**
 * The running batch of continuous batching: the KV caches of every sequence that decodes
 * together, packed into one `[rows, kvHeads, columns, headDim]` tensor per layer and part
 * (key, value), left-padded so that every sequence's newest position is the last column
 * (or right-padded, each row from column 0, for graphs whose GroupQueryAttention reads
 * them that way: `DecoderLayout.kvPadding`).
 *
 * One decode step feeds each row's newest token with `attention_mask` 0 over its padding
 * and 1 over its own positions, and `position_ids` = the row's own length; the model's
 * `present.*` outputs (one column longer) become the next step's past as they are, with
 * no copy. (Right-padded, GroupQueryAttention writes each row's new position right after
 * its own ones, and the output is again one column wider than the longest row.)
 * Rows are copied only when the membership changes: {@link PackedKv.reshape} drops
 * finished sequences, adds newly prefilled ones, and trims the padding columns no
 * remaining row needs (a sequence joining an empty batch brings its cache as it is).
 *
 * A padded column never reaches a row's attention (its bias is -1e9, so its softmax
 * weight is exactly 0) and holds zeros, so a row decodes as it would alone.
 *
 * Kept on the device: when the step's `present.*` come back as {@link DeviceTensor}s (GPU
 * buffers on WebGPU), they are fed back as they are, so a decode step moves only the new
 * tokens in and the logits out. They come to the CPU only when the membership changes
 * (one download per layer and part, then the packed copy goes up with the next step).
 */
import { InferenceError } from '../../src/errors';
import type { DeviceTensor, TensorMap } from '../../src/protocol';
import { tensor } from '../../src/tensor';
import type { DecoderLayout } from './generate-layout';
import { logitsToKeepOne } from './generate-session';

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

/** One layer's key or value cache: on the CPU, or where the engine kept it. */
type Slot = { readonly kind: 'host'; readonly data: Float32Array } | { readonly kind: 'device'; readonly tensor: DeviceTensor };

/** The inputs of one packed step: those on the CPU, and the caches already on the device. */
export interface StepInputs {
  readonly inputs: TensorMap;
  readonly resident: Record<string, DeviceTensor>;
}

export class PackedKv<M> {
  private rows: Row<M>[] = [];
  /** Columns of every cache tensor: the longest row's length. */
  private columns = 0;
  /** One slot per layer and part (`layer * 2 + part`), `[rows, kvHeads, columns, headDim]`. */
  private caches: Slot[] = [];

  constructor(
    private readonly layout: Pick<DecoderLayout, 'layers' | 'kvHeads' | 'headDim' | 'hasPositionIds' | 'hasCacheBranch' | 'logitsToKeepInput' | 'kvPadding'>,
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

  /** The outputs a step should keep on the device: every `present.*`. */
  get presentNames(): readonly string[] {
    return Array.from({ length: this.layout.layers * 2 }, (_, slot) => this.presentName(slot));
  }

  /**
   * Drop the rows whose member `leaves`, then add `joiners`; trims padding no row needs.
   * Copies every kept row once, downloading caches kept on the device first (nothing
   * happens when nobody leaves or joins).
   */
  async reshape(leaves: (member: M) => boolean, joiners: readonly Joiner<M>[]): Promise<void> {
    const kept = this.rows.map((row, index) => ({ row, index })).filter(({ row }) => !leaves(row.member));
    if (kept.length === this.rows.length && joiners.length === 0) return;
    if (kept.length === 0) this.clear();
    const hosted = kept.length === 0 ? this.emptyCaches() : await this.download();
    const columns = Math.max(0, ...kept.map(({ row }) => row.length), ...joiners.map((joiner) => joiner.length));
    const { kvHeads, headDim } = this.layout;
    const count = kept.length + joiners.length;
    const packedCaches = hosted.map((old, slot) => {
      // A lone joiner's batch-1 cache is already the packed layout: take it as it is.
      const lone = kept.length === 0 && joiners.length === 1 ? joiners[0]?.cache[this.presentName(slot)] : undefined;
      if (lone?.dtype === 'float32' && lone.data.length === kvHeads * columns * headDim) return lone.data;
      const packed = new Float32Array(count * kvHeads * columns * headDim);
      kept.forEach(({ row, index }, r) => {
        for (let h = 0; h < kvHeads; h++) {
          const from = ((index * kvHeads + h) * this.columns + this.padding(this.columns, row.length)) * headDim;
          const to = ((r * kvHeads + h) * columns + this.padding(columns, row.length)) * headDim;
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
          const to = (((kept.length + j) * kvHeads + h) * columns + this.padding(columns, joiner.length)) * headDim;
          packed.set(source.data.subarray(from, from + joiner.length * headDim), to);
        }
      });
      return packed;
    });
    this.caches = packedCaches.map((data) => ({ kind: 'host', data }));
    this.rows = [...kept.map(({ row }) => row), ...joiners.map((joiner) => ({ member: joiner.member, length: joiner.length }))];
    this.columns = columns;
  }

  /** The decoder inputs of one step: every row's newest token at its own position. */
  inputs(newest: NewestToken<M>): StepInputs {
    const { layers, kvHeads, headDim } = this.layout;
    const rows = this.rows.length;
    const total = this.columns + 1;
    const mask = new BigInt64Array(rows * total);
    this.rows.forEach((row, r) => {
      const start = r * total + this.padding(total, row.length + 1);
      mask.fill(1n, start, start + row.length + 1);
    });
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
    if (this.layout.logitsToKeepInput !== undefined) inputs[this.layout.logitsToKeepInput] = logitsToKeepOne();
    const resident: Record<string, DeviceTensor> = {};
    for (let layer = 0; layer < layers; layer++) {
      for (let part = 0; part < 2; part++) {
        const name = `past_key_values.${layer}.${part === 0 ? 'key' : 'value'}`;
        const slot = this.caches[layer * 2 + part];
        if (slot?.kind === 'device') resident[name] = slot.tensor;
        else inputs[name] = tensor('float32', [rows, kvHeads, this.columns, headDim], slot?.data ?? new Float32Array(0));
      }
    }
    return { inputs, resident };
  }

  /**
   * Take a step's `present.*` as the new caches, every row one position longer: those in
   * `kept` stay on the device (the ones fed to the step are freed), the rest from `outputs`.
   */
  absorb(outputs: TensorMap, kept: Readonly<Record<string, DeviceTensor>> = {}): void {
    const { kvHeads, headDim } = this.layout;
    const rows = this.rows.length;
    const columns = this.columns + 1;
    const next = this.caches.map((_, slot): Slot => {
      const name = this.presentName(slot);
      const onDevice = kept[name];
      const present = onDevice ?? outputs[name];
      const dims = [rows, kvHeads, columns, headDim];
      const fits = present?.dtype === 'float32' && present.dims.length === 4 && present.dims.every((dim, axis) => dim === dims[axis]);
      if (!fits) {
        throw new InferenceError(`Model "${this.model}" returned a KV cache of an unexpected shape.`, {
          model: this.model,
          expected: `float32 [${dims.join(', ')}]`,
          got: present === undefined ? 'none' : `${present.dtype} [${present.dims.join(', ')}]`,
        });
      }
      if (onDevice !== undefined) return { kind: 'device', tensor: onDevice };
      const hosted = outputs[name];
      if (hosted?.dtype !== 'float32' || hosted.data.length !== rows * kvHeads * columns * headDim)
        throw new InferenceError(`Model "${this.model}" returned KV data that does not fill its shape.`, { model: this.model });
      return { kind: 'host', data: hosted.data };
    });
    this.dispose();
    this.caches = next;
    this.columns = columns;
    for (const row of this.rows) row.length += 1;
  }

  /** Caches on the device now (layer parts), for tests and leak hunts. */
  get onDevice(): number {
    return this.caches.filter((slot) => slot.kind === 'device').length;
  }

  /** Free every row (and the device memory of its caches). */
  clear(): void {
    this.dispose();
    this.rows = [];
    this.columns = 0;
    this.caches = [];
  }

  /** Every slot's data on the CPU (device slots downloaded and freed). */
  private async download(): Promise<Float32Array[]> {
    const hosted = await Promise.all(
      this.caches.map(async (slot) => {
        if (slot.kind === 'host') return slot.data;
        const t = await slot.tensor.download();
        if (t.dtype !== 'float32') throw new InferenceError(`Model "${this.model}" kept a ${t.dtype} KV cache; float32 expected.`, { model: this.model });
        return t.data;
      }),
    );
    this.caches = hosted.map((data) => ({ kind: 'host', data }));
    return hosted.length === 0 ? this.emptyCaches() : hosted;
  }

  private dispose(): void {
    for (const slot of this.caches) if (slot.kind === 'device') slot.tensor.dispose();
  }

  private emptyCaches(): Float32Array[] {
    return Array.from({ length: this.layout.layers * 2 }, () => new Float32Array(0));
  }

  /** Padding columns before a row of `length` positions in a cache `columns` wide. */
  private padding(columns: number, length: number): number {
    return this.layout.kvPadding === 'left' ? columns - length : 0;
  }

  private presentName(slot: number): string {
    return `present.${Math.floor(slot / 2)}.${slot % 2 === 0 ? 'key' : 'value'}`;
  }
}
