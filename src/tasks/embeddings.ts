/**
 * Sentence embeddings (Universal Sentence Encoder lite, TF.js): texts in, unit-norm
 * 512-d vectors out. Built on the public model API: USE-lite is one scheduled model
 * (`runtime.load` with a `ragged: { mode: 'concat' }` config, `text/use-lite.ts`); texts are
 * tokenised here, on the main thread, while the worker runs the batch before, and the
 * model's dynamic batcher joins the token rows of concurrent calls into one engine call.
 */
import { DisposedError, InferenceError, InvalidInputError, InvalidOptionsError, ModelLoadError, throwIfAborted } from '../errors';
import { countRefusal, type Model } from '../model';
import { checkCallOptions } from '../scheduler/call-options';
import { checkName, checkOptionsObject, optionError } from '../model-descriptor';
import type { StageTimings } from '../protocol';
import { describeValue, tensor } from '../tensor';
import { EmbeddingCache } from '../cache/embedding-cache';
import { defaultFileExpectations } from './default-files';
import type { CallOptions, TaskLoader, TaskOptions } from './loaded-task';
import { ModelTask } from './model-task';
import type { SentencePieceTokenizer } from './text/sentencepiece';
import { embeddingSize, loadUseLiteVocabulary, maxTokensPerText, packTokens, splitAndNormalise, useLiteDescriptor } from './text/use-lite';

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
export class EmbeddingTask extends ModelTask {
  /** Length of every embedding. */
  static readonly dimensions = embeddingSize;

  // Not enumerable (ES private): `JSON.stringify(encoder)` gives only its summary.
  readonly #tokenizer: SentencePieceTokenizer;
  readonly #outputName: string;
  readonly #cache: EmbeddingCache | undefined;

  /** @internal use `runtime.embeddings()` */
  constructor(model: Model, tokenizer: SentencePieceTokenizer, cache?: EmbeddingCache) {
    super(model, 'embed');
    this.#tokenizer = tokenizer;
    this.#outputName = model.outputs[0]?.name ?? '';
    this.#cache = cache;
  }

  /** The embedding cache, when on. */
  get cache(): EmbeddingCache | undefined {
    return this.#cache;
  }

  /** Tokens per text the model reads (SentencePiece pieces; later ones are cut). */
  get maxTokensPerText(): number {
    return maxTokensPerText;
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
   * Like {@link EmbeddingTask.embed}, with token counts and the stage timings.
   *
   * @example
   * const { timings } = await encoder.embedDetailed(['a first text', 'a second text']);
   * timings.engineCalls; // 1
   */
  async embedDetailed(texts: string | readonly string[], options: CallOptions = {}): Promise<DetailedEmbeddings> {
    const taskId = this.model.id;
    if (this.model.disposed) throw new DisposedError(`Task "${taskId}" was disposed; load it again.`, { model: taskId });
    const batch: unknown = typeof texts === 'string' ? [texts] : texts;
    try {
      assertTexts(batch, taskId);
      checkCallOptions(taskId, options);
      throwIfAborted(options.signal, taskId);
    } catch (error) {
      countRefusal(this.model, error); // in the model's error counts, like its own validation
      throw error;
    }
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

  /**
   * Tokenise here, then through the model's scheduler: the token rows of concurrent calls
   * join one engine call; each text is a unit. A long list goes out in chunks of at most
   * the model's `maxBatchSize` texts, two in flight at a time: no engine call is unbounded,
   * an abort stops the call between chunks, and other callers' requests interleave.
   */
  private async compute(texts: readonly string[], options: CallOptions): Promise<DetailedEmbeddings> {
    const chunk = Math.max(1, this.model.batching.maxBatchSize);
    const starts = Array.from({ length: Math.ceil(texts.length / chunk) }, (_, i) => i * chunk);
    const parts: DetailedEmbeddings[] = new Array<DetailedEmbeddings>(starts.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < starts.length) {
        const index = next++;
        const start = starts[index] ?? 0;
        throwIfAborted(options.signal, this.model.id);
        parts[index] = await this.computeChunk(texts.slice(start, start + chunk), options);
      }
    };
    await Promise.all([lane(), lane()]);
    if (parts.length === 1 && parts[0] !== undefined) return parts[0];
    const sum = (key: keyof StageTimings): number => parts.reduce((total, part) => total + part.timings[key], 0);
    return {
      embeddings: parts.flatMap((part) => part.embeddings),
      tokenCounts: parts.flatMap((part) => part.tokenCounts),
      timings: { preprocessMs: sum('preprocessMs'), inferenceMs: sum('inferenceMs'), postprocessMs: sum('postprocessMs'), engineCalls: sum('engineCalls') },
    };
  }

  /** One request to the model: at most `maxBatchSize` texts. */
  private async computeChunk(texts: readonly string[], options: CallOptions): Promise<DetailedEmbeddings> {
    const tokenizeStart = performance.now();
    const encodings = texts.map((text) => this.#tokenizer.encode(text));
    const { indices, values } = packTokens(encodings, maxTokensPerText);
    const tokenizeMs = performance.now() - tokenizeStart;
    const { outputs, timings } = await this.model.runDetailed(
      { indices: tensor('int32', [values.length, 2], indices), values: tensor('int32', [values.length], values) },
      options,
    );
    const postStart = performance.now();
    const output = outputs[this.#outputName];
    if (output?.dtype !== 'float32' || output.dims.join() !== `${texts.length},${embeddingSize}`)
      throw new InferenceError(`USE-lite returned ${output === undefined ? 'no output' : `${output.dtype} [${output.dims.join(', ')}]`}.`, {
        model: this.model.id,
        input: this.#outputName,
        expected: `float32 [${texts.length}, ${embeddingSize}]`,
        got: describeValue(output),
      });
    const embeddings = splitAndNormalise(output.data, texts.length);
    const stages: StageTimings = {
      preprocessMs: tokenizeMs + timings.prepareMs + timings.stackMs,
      inferenceMs: timings.inferenceMs,
      postprocessMs: timings.splitMs + performance.now() - postStart,
      engineCalls: 1,
    };
    return { embeddings, tokenCounts: encodings.map((ids) => ids.length), timings: stages };
  }
}

/** Load the embedding task: USE-lite as a scheduled model, its vocabulary on the main thread. */
export async function loadEmbeddings(loader: TaskLoader, options: EmbeddingOptions = {}): Promise<EmbeddingTask> {
  checkOptionsObject(options);
  const variant = options.variant ?? 'fp32';
  if (!variants.includes(variant))
    throw new InvalidOptionsError(`Unknown USE-lite variant "${String(variant)}".`, { input: 'variant', expected: variants.join(' | '), got: String(variant) });
  checkName(options.name, 'name');
  if (options.cache !== undefined && typeof options.cache !== 'boolean') throw optionError('cache', 'a boolean', describeValue(options.cache));
  const modelUrl = loader.resolveUrl(options.modelUrl ?? loader.modelUrl(`use-lite/${variant}/model.json`), 'modelUrl');
  const vocabUrl = loader.resolveUrl(options.vocabUrl ?? loader.modelUrl('use-lite/vocab.json'), 'vocabUrl');
  const id = options.name ?? loader.nextTaskId('embed');
  // A default file must be what inpage's manifest says; a URL you pass is yours.
  const expected = defaultFileExpectations((path) => loader.modelUrl(path))[vocabUrl];
  const [model, tokenizer] = await Promise.allSettled([loadUseLite(loader, modelUrl, options, id), loadUseLiteVocabulary(vocabUrl, id, expected)]);
  if (model.status === 'rejected') throw model.reason;
  if (tokenizer.status === 'rejected') {
    await model.value.dispose();
    throw tokenizer.reason;
  }
  const cacheConfig = loader.cacheConfig.embeddings;
  const cached = options.cache ?? cacheConfig.enabled;
  const cache = cached ? new EmbeddingCache(modelUrl, id, cacheConfig, (event) => loader.metrics.cacheEvent(event)) : undefined;
  return new EmbeddingTask(model.value, tokenizer.value, cache);
}

/** Load USE-lite with its config; a graph without its sparse inputs fails with `MODEL_LOAD_FAILED`. */
async function loadUseLite(loader: TaskLoader, modelUrl: string, options: TaskOptions, id: string): Promise<Model> {
  try {
    return await loader.loadModel(useLiteDescriptor(modelUrl, options, id), true);
  } catch (error) {
    // The config names USE-lite's inputs: a model without them is refused there.
    if (error instanceof InvalidOptionsError && error.input?.startsWith('ragged.inputs') === true) {
      throw new ModelLoadError(`${modelUrl} is not USE-lite: it lacks the sparse inputs indices and values (${error.message}).`, {
        model: id,
        expected: 'inputs indices, values',
        got: error.got,
      });
    }
    throw error;
  }
}
