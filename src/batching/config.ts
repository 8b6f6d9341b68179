/**
 * The batching part of a model's config: which axis of each tensor is the batch, how
 * requests of different lengths share a batch, and the largest batch. Types only; they
 * are checked and resolved into a `BatchPlan` by `resolveBatchPlan` (`plan.ts`).
 *
 * Triton's model config is the reference: `batchAxes` is its implicit batch dimension made
 * explicit per tensor, `ragged: { mode: 'pad' }` its `allow_ragged_batch` done by padding,
 * `ragged: { mode: 'concat' }` its `allow_ragged_batch` without padding (rows joined end to
 * end, with an item index offset like its `BATCH_ACCUMULATED_ELEMENT_COUNT` batch input),
 * and `maxBatchSize` its `max_batch_size`.
 */

/**
 * Which axis of each input and output is the batch axis, by tensor name; `null` means the
 * tensor has no batch axis: requests share it, and only requests whose values are equal
 * (such as a sample-rate scalar) go in one batch. Tensors left out are inferred from the
 * graph's shapes (see `resolveBatchPlan`); declare the ones the graph leaves ambiguous.
 *
 * @default inferred from the graph
 * @example
 * // Silero VAD v5: `state` is [2, batch, 128], `sr` one scalar for the whole batch.
 * const batchAxes: BatchAxes = { input: 0, state: 1, sr: null, output: 0, stateN: 1 };
 */
export type BatchAxes = Readonly<Record<string, number | null>>;

/**
 * How one input of varying length is padded when requests of different lengths share a
 * batch (`ragged: { mode: 'pad' }`).
 *
 * @example
 * // Token ids [1, length]: pad the length axis with token 0.
 * const tokens: RaggedInput = { axis: 1, padValue: 0 };
 */
export interface RaggedInput {
  /** The axis whose size differs between requests (never the batch axis). */
  readonly axis: number;
  /**
   * The value padding positions are filled with. Must fit the input's dtype: an integer
   * for integer dtypes, 0 or 1 for `bool`.
   *
   * @default 0
   */
  readonly padValue?: number;
}

/**
 * An output cut back to each request's own length after a padded batch ran: along `axis`,
 * request `i` keeps `ceil(size * length_i / maxLength)` positions, where `length_i` is its
 * length on the first ragged input's axis and `maxLength` the longest in the batch.
 *
 * @example
 * // Logits [batch, length, vocab]: each request gets back only its own positions.
 * const logits: RaggedOutput = { axis: 1 };
 */
export interface RaggedOutput {
  /** The axis to cut (never the batch axis). */
  readonly axis: number;
}

/**
 * Requests whose shapes differ (other than on the batch axis) go in different batches: only
 * same-shape peers are stacked. This is also what happens without a `ragged` config.
 *
 * @example
 * const ragged: RaggedConfig = { mode: 'group' };
 */
export interface RaggedGroupConfig {
  readonly mode: 'group';
}

/**
 * Requests of different lengths share a batch: each ragged input is padded to the longest
 * request's length, an optional mask input tells the model which positions are real, and
 * declared outputs are cut back to each request's length.
 *
 * @example
 * // A text model: `input_ids` [batch, length] padded with 0, `attention_mask` built by the
 * // runtime (requests omit it), `logits` [batch, length, vocab] cut back.
 * const ragged: RaggedConfig = {
 *   mode: 'pad',
 *   inputs: { input_ids: { axis: 1, padValue: 0 } },
 *   mask: 'attention_mask',
 *   outputs: { logits: { axis: 1 } },
 * };
 */
export interface RaggedPadConfig {
  readonly mode: 'pad';
  /** The inputs whose length varies, by name, with their ragged axis and pad value. At least one. */
  readonly inputs: Readonly<Record<string, RaggedInput>>;
  /**
   * An input the runtime fills with 1 for real positions and 0 for padding; requests omit
   * it. Its shape is `[batch, maxLength]`, the length being the first ragged input's.
   *
   * @default no mask input
   */
  readonly mask?: string;
  /**
   * Outputs cut back to each request's length, by name.
   *
   * @default none: outputs come back at the padded length
   */
  readonly outputs?: Readonly<Record<string, RaggedOutput>>;
}

/**
 * One input whose rows are joined end to end (`ragged: { mode: 'concat' }`).
 *
 * @example
 * // USE-lite's `indices` [tokens, 2]: column 0 is the text a token belongs to.
 * const indices: ConcatInput = { itemColumn: 0 };
 */
export interface ConcatInput {
  /**
   * A column (of a rank-2 integer input) that holds each row's item number within its
   * request, as a sparse COO tensor's row index does. In the batch it is offset by the
   * items of the requests before, and a request's units are 1 + its largest item number.
   *
   * @default no such column
   */
  readonly itemColumn?: number;
}

/**
 * Requests give a varying number of rows (tokens of several texts, points, the entries of
 * a sparse tensor) in inputs whose axis 0 is not a batch axis: the batch joins the rows of
 * all requests end to end, with no padding, and offsets an item column so each row still
 * names its item. Outputs are split on their batch axis by each request's units (its
 * item count). Triton's ragged batching without padding.
 *
 * @example
 * // USE-lite: a sparse batch of token ids, `indices` [T, 2] = [text, position], `values` [T];
 * // its output [texts, 512] is split back per request.
 * const ragged: RaggedConfig = { mode: 'concat', inputs: { indices: { itemColumn: 0 }, values: {} } };
 */
export interface RaggedConcatConfig {
  readonly mode: 'concat';
  /** The inputs whose rows are joined, by name. At least one; one of them names an `itemColumn` unless another input has a batch axis. */
  readonly inputs: Readonly<Record<string, ConcatInput>>;
}

/**
 * How requests whose non-batch dimensions differ share (or do not share) a batch.
 *
 * @default { mode: 'group' }
 * @example
 * const ragged: RaggedConfig = { mode: 'pad', inputs: { input_ids: { axis: 1 } } };
 */
export type RaggedConfig = RaggedGroupConfig | RaggedPadConfig | RaggedConcatConfig;

/**
 * What batching needs of a model config: its batch axes, its ragged rule and its largest
 * batch. Checked by `resolveBatchPlan`; a bad field fails with `INVALID_OPTIONS` naming it.
 *
 * @example
 * const silero: BatchingConfig = { batchAxes: { state: 1, stateN: 1, sr: null }, maxBatchSize: 32 };
 */
export interface BatchingConfig {
  /**
   * The batch axis of each input and output (`null`: none).
   *
   * @default inferred from the graph's shapes
   */
  readonly batchAxes?: BatchAxes;
  /**
   * How requests of different lengths are batched.
   *
   * @default { mode: 'group' }
   */
  readonly ragged?: RaggedConfig;
  /**
   * Most units (the sum of the requests' batch sizes) in one engine call. Must not exceed
   * what the graph allows (a batch dimension the graph fixes to 1 allows 1).
   *
   * @default what the graph allows: no limit, or 1 when the model cannot batch
   */
  readonly maxBatchSize?: number;
}
