/**
 * One generation session in the worker: its tokens so far, its KV cache (the last run's
 * `present.*` outputs, fed back as `past_key_values.*`), its sampler and its
 * detokeniser; plus the decoder inputs each run needs.
 */
import type { GenerateStartRequest, GenerateStep, Priority, TaskResult, Tensor, TensorMap } from '../../src/protocol';
import { tensor } from '../../src/tensor';
import type { DecoderLayout } from './generate-layout';
import { IncrementalDetokenizer, type TokenBytes } from './generate-detokenizer';
import type { PrefixLookup } from './kv-prefix-cache';
import { sampleToken, seededRandom } from './sampling';

/** Why a session stopped. */
export type FinishReason = 'length' | 'eos' | 'context';

/**
 * The decoder inputs for one run, batch 1: `ids` at positions `pastLength…`, attending
 * to everything before them. `past` holds the previous run's `present.*` outputs; when
 * it is absent the caches are empty (`[1, kvHeads, 0, headDim]`).
 */
export function decoderInputs(layout: DecoderLayout, ids: readonly number[], pastLength: number, past: TensorMap | undefined): TensorMap {
  const total = pastLength + ids.length;
  const inputs: TensorMap = {
    input_ids: tensor(
      'int64',
      [1, ids.length],
      BigInt64Array.from(ids, (id) => BigInt(id)),
    ),
    attention_mask: tensor('int64', [1, total], new BigInt64Array(total).fill(1n)),
  };
  if (layout.hasPositionIds)
    inputs.position_ids = tensor(
      'int64',
      [1, ids.length],
      BigInt64Array.from(ids, (_, i) => BigInt(pastLength + i)),
    );
  if (layout.hasCacheBranch) inputs.use_cache_branch = tensor('bool', [1], Uint8Array.of(pastLength > 0 ? 1 : 0));
  if (layout.logitsToKeepInput !== undefined) inputs[layout.logitsToKeepInput] = logitsToKeepOne();
  const empty = (): Tensor => tensor('float32', [1, layout.kvHeads, 0, layout.headDim], new Float32Array(0));
  for (let layer = 0; layer < layout.layers; layer++) {
    for (const part of ['key', 'value']) {
      inputs[`past_key_values.${layer}.${part}`] = past?.[`present.${layer}.${part}`] ?? empty();
    }
  }
  return inputs;
}

/** `num_logits_to_keep` = 1: only the newest position's logits (an int64 scalar). */
export function logitsToKeepOne(): Tensor {
  return tensor('int64', [], BigInt64Array.of(1n));
}

/** Rows of logits a run over `sequence` new tokens returns: 1 when the graph keeps only the last. */
export function logitRows(layout: Pick<DecoderLayout, 'logitsToKeepInput'>, sequence: number): number {
  return layout.logitsToKeepInput === undefined ? sequence : 1;
}

/** The KV cache part of a run's outputs (everything but the logits). */
export function presentOf(outputs: TensorMap): TensorMap {
  const cache: TensorMap = {};
  for (const [name, value] of Object.entries(outputs)) if (name.startsWith('present.')) cache[name] = value;
  return cache;
}

/**
 * A session's produced tokens, waiting for its caller: the decode loop posts each token as
 * it is sampled, `take` hands them out in order (one caller at a time).
 */
export class StepMailbox {
  private readonly results: TaskResult<GenerateStep>[] = [];
  private failure: Error | undefined;
  private finished = false;
  private waiter: { resolve: (result: TaskResult<GenerateStep>) => void; reject: (error: Error) => void } | undefined;

  /** A caller is waiting for the next token. */
  get awaited(): boolean {
    return this.waiter !== undefined;
  }

  /** The session's final token has been taken, or it failed: nothing more will come. */
  get drained(): boolean {
    return this.failure !== undefined || (this.results.length === 0 && this.finished);
  }

  post(result: TaskResult<GenerateStep>): void {
    if (result.value.done) this.finished = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter === undefined) this.results.push(result);
    else waiter.resolve(result);
  }

  fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.results.length = 0;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
  }

  take(): Promise<TaskResult<GenerateStep>> {
    const next = this.results.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }
}

/** What one sampled token did to a session. */
export interface Advance {
  readonly tokenId: number;
  readonly text: string;
  readonly finishReason?: FinishReason;
}

/** A running generation. */
export class GenerateSession {
  /** Prompt tokens, then generated ones. */
  readonly tokens: number[];
  readonly promptTokens: number;
  generatedTokens = 0;
  /** The KV cache: keys/values of the first `cachedTokens` tokens. */
  cache: TensorMap | undefined;
  /** Tokens `cache` covers: all but the last after a step; a prefix of the prompt when it came from the prefix cache. */
  cachedTokens = 0;
  /** Prompt tokens whose keys/values came from the KV prefix cache. */
  cachedPromptTokens = 0;
  /** The prefix-cache lookup whose blocks the prefill should complete (until the prefill ran). */
  prefix: PrefixLookup | undefined;
  /** Finished, failed or ended by its caller: the decode loop drops it. */
  ended = false;
  /** Tokens produced and not yet taken by the caller. */
  readonly mailbox = new StepMailbox();
  /** Prefill order among waiting sessions. */
  readonly priority: Priority;
  /** When the request reached the worker, `performance.now()`. */
  readonly submittedAt = performance.now();
  /** Past this time (`performance.now()`), a session still waiting for its prefill fails with `DEADLINE_EXCEEDED`. */
  readonly deadline: number | undefined;
  private readonly random: () => number;
  private readonly detokenizer: IncrementalDetokenizer;

  constructor(
    readonly request: GenerateStartRequest,
    prompt: readonly number[],
    private readonly layout: DecoderLayout,
    tokenBytes: TokenBytes,
  ) {
    this.tokens = [...prompt];
    this.promptTokens = prompt.length;
    this.priority = request.priority ?? 'interactive';
    this.deadline = request.timeoutMs === undefined || request.timeoutMs === 0 ? undefined : this.submittedAt + request.timeoutMs;
    this.random = seededRandom(request.seed);
    this.detokenizer = new IncrementalDetokenizer(tokenBytes);
  }

  /** The next run's token ids and past length: the tokens the cache does not cover, else everything. */
  nextInput(): { readonly ids: readonly number[]; readonly pastLength: number } {
    if (this.cache === undefined || !this.request.useKvCache) return { ids: [...this.tokens], pastLength: 0 };
    return { ids: this.tokens.slice(this.cachedTokens), pastLength: this.cachedTokens };
  }

  /** Start from a cached prefix of the prompt: the prefill then feeds only the rest. */
  reuse(lookup: PrefixLookup): void {
    this.prefix = lookup;
    if (lookup.cache === undefined) return;
    this.cache = lookup.cache;
    this.cachedTokens = lookup.tokens;
    this.cachedPromptTokens = lookup.tokens;
  }

  /** Sample from the last row of `logits` ([1, seq, vocab]), append the token and say whether to stop. */
  advance(logits: Float32Array, sequenceLength: number): Advance {
    const { vocab, eosTokenId, maxContext } = this.layout;
    const row = logits.subarray((sequenceLength - 1) * vocab, sequenceLength * vocab);
    const tokenId = sampleToken(row, this.request, this.random);
    this.tokens.push(tokenId);
    this.generatedTokens += 1;
    let finishReason: FinishReason | undefined;
    if (tokenId === eosTokenId) finishReason = 'eos';
    else if (this.generatedTokens >= this.request.maxNewTokens) finishReason = 'length';
    // The next step would feed this token at position tokens.length - 1: past the table.
    else if (this.tokens.length > maxContext) finishReason = 'context';
    let text = tokenId === eosTokenId ? '' : this.detokenizer.push(tokenId);
    if (finishReason !== undefined) {
      text += this.detokenizer.flush();
      this.cache = undefined;
    }
    return finishReason === undefined ? { tokenId, text } : { tokenId, text, finishReason };
  }
}
