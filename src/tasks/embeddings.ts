/**
 * Sentence embeddings (Universal Sentence Encoder lite, TF.js): texts in, unit-norm
 * 512-d vectors out. Tokenisation runs in the worker; a batch of texts is one model call.
 */
import { InvalidInputError, InvalidOptionsError, throwIfAborted } from '../errors';
import type { Priority, StageTimings, TaskResult } from '../protocol';
import { describeValue } from '../tensor';
import { assertUsable, type CallOptions, type LoadedTask, type TaskLoader, type TaskOptions } from './loaded-task';
import { EmbeddingCache } from '../cache/embedding-cache';
import { firstReplica, ReplicatedTask } from './replicated-task';
import type { TaskQueue } from './task-queue';

/** Options for {@link Runtime.embeddings}. */
export interface EmbeddingOptions extends TaskOptions {
  /** Name in metrics. @default the task id (`embed-1` …) */
  readonly name?: string;
  /** `'fp32'` (the original weights, 28 MB) or `'uint8'` (re-packed by `scripts/pack-use-uint8.mjs`, 7 MB). @default 'fp32' */
  readonly variant?: 'fp32' | 'uint8';
  /** USE-lite `model.json`; overrides `variant`. @default `${modelBaseUrl}use-lite/${variant}/model.json` */
  readonly modelUrl?: string;
  /** Its SentencePiece vocabulary, a JSON array of `[piece, score]`. @default `${modelBaseUrl}use-lite/vocab.json` */
  readonly vocabUrl?: string;
  /** Cache vectors by exact text (memory LRU in front of IndexedDB). @default the runtime's `cache.embeddings` */
  readonly cache?: boolean;
}

/** Embeddings with where the time went. */
export interface DetailedEmbeddings {
  /** Unit-norm 512-d vectors, one per text, in order. */
  readonly embeddings: Float32Array[];
  /** SentencePiece tokens per text; the model reads at most the first 128. */
  readonly tokenCounts: readonly number[];
  /** Worker stage timings; `engineCalls` is 1 for any batch (0 when every text was cached). */
  readonly timings: StageTimings;
  /** Texts answered from the embedding cache, without the model. */
  readonly cacheHits?: number;
}

const variants = ['fp32', 'uint8'] as const;

/**
 * Check a batch of texts: a non-empty array of strings, each with a non-space character.
 * Throws `InvalidInputError` (`input: 'texts'`) naming the first bad entry. The main
 * thread runs it before sending anything; the worker runs it again before tokenising.
 */
export function assertTexts(texts: unknown, model: string): asserts texts is readonly string[] {
  if (!Array.isArray(texts))
    throw new InvalidInputError('Pass a string or an array of strings to embed.', {
      model,
      input: 'texts',
      expected: 'string | string[]',
      got: describeValue(texts),
    });
  if (texts.length === 0)
    throw new InvalidInputError('There is nothing to embed: the array of texts is empty.', { model, input: 'texts', expected: 'at least one text', got: '[]' });
  texts.forEach((text: unknown, index) => {
    if (typeof text !== 'string')
      throw new InvalidInputError(`Text ${index} is a ${describeValue(text)}, not a string.`, {
        model,
        input: 'texts',
        expected: `texts[${index}]: a non-empty string`,
        got: describeValue(text),
      });
    if (text.trim().length === 0)
      throw new InvalidInputError(`Text ${index} is empty or only whitespace; give it some words or leave it out.`, {
        model,
        input: 'texts',
        expected: `texts[${index}]: a non-empty string`,
        got: JSON.stringify(text),
      });
  });
}

/**
 * Cosine similarity of two vectors of the same length (for unit-norm embeddings, their dot product).
 *
 * @example
 * const [a, b] = await encoder.embed(['How old are you?', 'What is your age?']);
 * cosineSimilarity(a, b); // 0.846
 */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a.length === 0)
    throw new InvalidInputError('Cosine similarity needs two non-empty vectors of the same length.', {
      input: 'b',
      expected: `length ${a.length}`,
      got: `length ${b.length}`,
    });
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa === 0 || bb === 0 ? 0 : dot / Math.sqrt(aa * bb);
}

/**
 * A loaded sentence encoder (Universal Sentence Encoder lite).
 *
 * @example
 * const encoder = await runtime.embeddings({ backend: 'wasm' });
 * const [a, b, c] = await encoder.embed(['How old are you?', 'What is your age?', 'The weather is lovely today.']);
 * EmbeddingTask.cosineSimilarity(a, b); // 0.846 (a paraphrase)
 * EmbeddingTask.cosineSimilarity(a, c); // far lower: unrelated sentences score 0.08–0.30
 */
export class EmbeddingTask extends ReplicatedTask<readonly string[], DetailedEmbeddings> {
  /** Length of every embedding. */
  static readonly dimensions = 512;

  // Not enumerable (ES private): `JSON.stringify(encoder)` gives only its summary.
  readonly #cache: EmbeddingCache | undefined;

  /** @internal use `runtime.embeddings()` */
  constructor(replicas: readonly LoadedTask[], queue: TaskQueue<readonly string[], DetailedEmbeddings>, cache?: EmbeddingCache) {
    super(replicas, queue);
    this.#cache = cache;
  }

  /** The embedding cache, when on. */
  get cache(): EmbeddingCache | undefined {
    return this.#cache;
  }

  /** Cosine similarity of two embeddings; see {@link cosineSimilarity}. */
  static cosineSimilarity(a: Float32Array, b: Float32Array): number {
    return cosineSimilarity(a, b);
  }

  /**
   * Embed one text or a batch (one model call for the whole batch) into unit-norm 512-d vectors.
   * Empty or whitespace-only texts, non-strings and `[]` reject with `INVALID_INPUT` before anything runs.
   *
   * @example
   * const [vector] = await encoder.embed('Hello world.'); // Float32Array(512), norm 1
   */
  async embed(texts: string | readonly string[], options: CallOptions = {}): Promise<Float32Array[]> {
    return (await this.embedDetailed(texts, options)).embeddings;
  }

  /**
   * Like {@link EmbeddingTask.embed}, with token counts and the worker's stage timings.
   *
   * @example
   * const { timings } = await encoder.embedDetailed(['a first text', 'a second text']);
   * timings.engineCalls; // 1
   */
  async embedDetailed(texts: string | readonly string[], options: CallOptions = {}): Promise<DetailedEmbeddings> {
    assertUsable(this.task);
    const taskId = this.task.info.taskId;
    const batch: unknown = typeof texts === 'string' ? [texts] : texts;
    assertTexts(batch, taskId);
    throwIfAborted(options.signal, taskId);
    if (this.cache === undefined) return this.compute(batch, options);
    // Cached texts are answered here, on the main thread; only the rest go to the model.
    const known = await this.cache.lookup(batch);
    const missing = batch.filter((_, i) => known[i] === undefined);
    const hits = batch.length - missing.length;
    if (missing.length === 0)
      return {
        embeddings: known.map((k) => k?.vector ?? new Float32Array(0)),
        tokenCounts: known.map((k) => k?.tokens ?? 0),
        timings: { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0, engineCalls: 0 },
        cacheHits: hits,
      };
    const computed = await this.compute(missing, options);
    this.cache.save(
      missing,
      computed.embeddings.map((vector, i) => ({ vector, tokens: computed.tokenCounts[i] ?? 0 })),
    );
    let next = 0;
    const merged = known.map((k) => {
      if (k !== undefined) return k;
      const i = next++;
      return { vector: computed.embeddings[i] ?? new Float32Array(0), tokens: computed.tokenCounts[i] ?? 0 };
    });
    return { embeddings: merged.map((m) => m.vector), tokenCounts: merged.map((m) => m.tokens), timings: computed.timings, cacheHits: hits };
  }

  /** Through the scheduler: concurrent calls are stacked into one model call; each text is a unit. */
  private compute(texts: readonly string[], options: CallOptions): Promise<DetailedEmbeddings> {
    return this.queue.run([...texts], options, texts.length);
  }
}

/** Load the embedding task. */
export async function loadEmbeddings(loader: TaskLoader, options: EmbeddingOptions = {}): Promise<EmbeddingTask> {
  const backend = options.backend ?? 'auto';
  const variant = options.variant ?? 'fp32';
  if (!variants.includes(variant))
    throw new InvalidOptionsError(`Unknown USE-lite variant "${String(variant)}".`, { input: 'variant', expected: variants.join(' | '), got: String(variant) });
  const replicas = await loader.loadReplicas(
    {
      kind: 'embed',
      backend,
      modelUrl: loader.resolveUrl(options.modelUrl ?? loader.modelUrl(`use-lite/${variant}/model.json`)),
      vocabUrl: loader.resolveUrl(options.vocabUrl ?? loader.modelUrl('use-lite/vocab.json')),
    },
    options.worker ?? `text-tfjs:${backend}`,
    options.replicas ?? 1,
    options.onProgress,
  );
  const first = firstReplica(replicas);
  const queue = loader.createQueue<readonly string[], DetailedEmbeddings>(
    options.name ?? first.info.taskId,
    'text',
    first.info.backend,
    options,
    replicas.length,
    (payloads, replica, { priority }) => executeEmbedBatch(replicas[replica] ?? first, payloads, priority),
  );
  const cacheConfig = loader.cacheConfig.embeddings;
  const cached = options.cache ?? cacheConfig.enabled;
  const modelUrl = loader.resolveUrl(options.modelUrl ?? loader.modelUrl(`use-lite/${variant}/model.json`));
  const cache = cached ? new EmbeddingCache(modelUrl, queue.name, cacheConfig, (event) => loader.metrics.cacheEvent(event)) : undefined;
  return new EmbeddingTask(replicas, queue, cache);
}

/** Run the texts of several requests as one model call and split the vectors back per request. */
export async function executeEmbedBatch(
  task: LoadedTask,
  payloads: readonly (readonly string[])[],
  priority?: Priority,
): Promise<TaskResult<DetailedEmbeddings>[]> {
  const taskId = task.info.taskId;
  const all = payloads.flat();
  const result = await task.call((api) => api.embed(taskId, all, priority));
  let offset = 0;
  return payloads.map((texts) => {
    const embeddings = result.value.embeddings.slice(offset, offset + texts.length);
    const tokenCounts = result.value.tokenCounts.slice(offset, offset + texts.length);
    offset += texts.length;
    return { value: { embeddings, tokenCounts, timings: result.timings }, timings: result.timings };
  });
}
