/**
 * Text generation with a KV cache: a decoder-only ONNX model (Hugging Face Optimum I/O
 * names) and the GPT-2 BPE tokenizer, both in a worker. The main thread streams the
 * text piece by piece and keeps the timings: time to first token, tokens per second.
 */
import { InpageError, InvalidInputError, InvalidOptionsError } from '../errors';
import type { MetricsRegistry } from '../metrics/registry';
import type { GenerateStartRequest, StageTimings } from '../protocol';
import { SemanticCache, type SemanticCacheOptions } from '../cache/semantic-cache';
import { GenerationRun } from './generation-run';
import { assertUsable, type CallOptions, type LoadedTask, type TaskLoader, type TaskOptions } from './loaded-task';
import { taskSummary, type TaskSummary } from './replicated-task';
import { checkCallOptions } from '../scheduler/call-options';
import { checkName, checkOptionsObject } from '../model-descriptor';

/**
 * Options for {@link Runtime.textGeneration}. Sizes (layers, KV heads, head size,
 * vocabulary) are read from the graph, so any Optimum decoder export with the GPT-2
 * tokenizer loads.
 *
 * @example
 * const generator = await runtime.textGeneration({ backend: 'wasm', modelUrl: '/models/decoder-gqa/decoder.onnx' });
 * generator.facts; // { layers: 2, kvHeads: 2, headDim: 32, vocab: 50257, maxContext: 512, … }
 */
export interface TextGenerationOptions extends TaskOptions {
  /** Name in metrics. @default the task id (`generate-1` …) */
  readonly name?: string;
  /** The decoder `.onnx` (Optimum I/O names). @default `${modelBaseUrl}decoder/decoder.onnx` */
  readonly modelUrl?: string;
  /** GPT-2 BPE vocabulary (`encoder.json` / `vocab.json`). @default `${modelBaseUrl}decoder/encoder.json` */
  readonly vocabUrl?: string;
  /** GPT-2 BPE merges (`vocab.bpe` / `merges.txt`). @default `${modelBaseUrl}decoder/vocab.bpe` */
  readonly mergesUrl?: string;
  /** Hugging Face `config.json`, for sizes the graph leaves symbolic. @default `config.json` next to the model, when there is one */
  readonly configUrl?: string;
  /** Longest sequence (prompt + generated) the model takes. @default the config's `n_positions` */
  readonly maxContext?: number;
  /**
   * Continuous batching: up to this many generations decode together, one token each per
   * engine call; new ones join between steps, finished ones leave. More wait (most urgent
   * first) for a free slot. `1` runs one generation at a time. @default 16
   */
  readonly maxBatchSize?: number;
  /**
   * On WebGPU, the running batch's KV cache stays in GPU buffers between decode steps
   * (ONNX Runtime Web's `preferredOutputLocation: 'gpu-buffer'`): a step uploads the new
   * tokens and reads back only the logits. It comes to the CPU when a sequence joins or
   * leaves the batch, and when the prefix cache stores it. `false` round-trips every
   * step's cache through the CPU (the comparison `bench/generation.bench.ts` makes).
   * @default true
   */
  readonly kvOnDevice?: boolean;
  /**
   * Opt-in semantic result cache: a prompt whose embedding is within `threshold` (cosine)
   * of a cached prompt's, with the same generation settings, gets the cached completion.
   * @default off
   */
  readonly semanticCache?: SemanticCacheOptions;
}

/**
 * Options for one {@link TextGenerator.generate} call. Invalid values throw
 * `InvalidOptionsError` at once.
 *
 * @example
 * generator.generate('Hello', { maxNewTokens: 16, temperature: 0.8, topK: 40, seed: 1, signal: controller.signal });
 */
export interface GenerateOptions extends CallOptions {
  /** Stop after this many new tokens. @default 32 */
  readonly maxNewTokens?: number;
  /** 0 picks the most likely token (greedy); higher values sample more freely. @default 0 */
  readonly temperature?: number;
  /** Sample only among the `topK` most likely tokens; 0 = all. @default 0 */
  readonly topK?: number;
  /** Seed of the sampler: the same seed, prompt and options give the same text. @default 0 */
  readonly seed?: number;
  /** `false` re-runs the whole sequence for every token (a no-cache reference, much slower). @default true */
  readonly useKvCache?: boolean;
}

/** One generated token, as the worker reported it. */
export interface GeneratedToken {
  readonly tokenId: number;
  /** The text it added (empty while a multi-byte character is incomplete). */
  readonly text: string;
  /** Tokens fed to the model to produce it: the prompt length first, then 1 with the KV cache. */
  readonly stepInputLength: number;
  /** Generation sessions holding a KV cache in the task's worker after this step. */
  readonly openSessions: number;
  /**
   * Sequences decoded together in the engine call that produced this token (continuous
   * batching): 1 for the prefill, then the size of the worker's running batch.
   */
  readonly batchSize: number;
  /** Where the step's time went, in the worker. */
  readonly timings: StageTimings;
  /** Milliseconds since `generate()` was called when this token arrived. */
  readonly atMs: number;
}

/**
 * The outcome of a finished generation.
 *
 * @example
 * const { text, finishReason, timeToFirstTokenMs, tokensPerSecond } = await generator.generate('Hello, my name is').stats;
 * // " Michele spared Stamp snake Stamp Chronicle predis''.", 'length', 9.4, 208.6 (fixture decoder, wasm)
 */
export interface GenerationStats {
  /** All generated text. */
  readonly text: string;
  readonly tokenIds: readonly number[];
  readonly promptTokens: number;
  /**
   * Prompt tokens whose keys/values came from the KV prefix cache (`cache.kvPrefix`):
   * whole blocks of a prefix an earlier prompt shared, from memory or IndexedDB. The
   * prefill ran only the other `promptTokens - cachedPromptTokens`.
   */
  readonly cachedPromptTokens: number;
  readonly generatedTokens: number;
  /** `'length'` (maxNewTokens), `'eos'` (end-of-text token) or `'context'` (the model's context is full). */
  readonly finishReason: 'length' | 'eos' | 'context';
  /** From `generate()` to the first token: tokenisation, prefill, sampling, two worker hops. */
  readonly timeToFirstTokenMs: number;
  /** Decode speed: tokens after the first per second after the first (all tokens over the total time when only one). */
  readonly tokensPerSecond: number;
  readonly totalMs: number;
  /** Every token with its step details. */
  readonly steps: readonly GeneratedToken[];
  /** Set when the semantic cache answered: the cached prompt and its similarity to this one. */
  readonly semanticHit?: { readonly prompt: string; readonly similarity: number };
}

/**
 * A running generation: iterate it for text pieces as they arrive, or await `stats`.
 * It runs whether or not anyone iterates; every iterator replays from the first piece.
 *
 * @example
 * const run = generator.generate('Once upon a time', { maxNewTokens: 8 });
 * for await (const piece of run) console.log(piece); // 'billion', ' camps', …
 * run.steps.map((s) => s.stepInputLength);        // [4, 1, 1, 1, 1, 1, 1, 1]
 */
export interface TextGeneration extends AsyncIterable<string> {
  /** Resolves when generation ends; rejects like the iterator (`ABORTED`, `INVALID_INPUT`, …). */
  readonly stats: Promise<GenerationStats>;
  /** Tokens generated so far (live). */
  readonly steps: readonly GeneratedToken[];
}

function checkOptions(options: GenerateOptions, model: string): Omit<GenerateStartRequest, 'sessionId' | 'prompt'> {
  const request = {
    maxNewTokens: options.maxNewTokens ?? 32,
    temperature: options.temperature ?? 0,
    topK: options.topK ?? 0,
    seed: options.seed ?? 0,
    useKvCache: options.useKvCache ?? true,
  };
  const check = (input: keyof typeof request, expected: string, ok: boolean): void => {
    const got = String(request[input]);
    if (!ok) throw new InvalidOptionsError(`Expected \`${input}\` to be ${expected}, got ${got}.`, { model, input, expected, got });
  };
  check('maxNewTokens', 'an integer ≥ 1', Number.isInteger(request.maxNewTokens) && request.maxNewTokens >= 1);
  check('temperature', 'a finite number ≥ 0', typeof request.temperature === 'number' && Number.isFinite(request.temperature) && request.temperature >= 0);
  check('topK', 'an integer ≥ 0', Number.isInteger(request.topK) && request.topK >= 0);
  check('seed', 'an integer', Number.isInteger(request.seed));
  check('useKvCache', 'a boolean', typeof request.useKvCache === 'boolean');
  return request;
}

/**
 * A loaded decoder with its tokenizer.
 *
 * @example
 * const generator = await runtime.textGeneration();
 * const run = generator.generate('The page runs models', { maxNewTokens: 8 });
 * for await (const piece of run) output.textContent += piece;
 * const { timeToFirstTokenMs, tokensPerSecond } = await run.stats; // 7.1, 251.6 (fixture decoder, wasm)
 */
export class TextGenerator {
  /** The name this generator reports metrics under. */
  readonly name: string;
  // ES private fields: not enumerable, so `JSON.stringify(generator)` never walks the
  // worker connection or the metrics; `toJSON()` gives a summary.
  #sessionCounter = 0;
  readonly #task: LoadedTask;
  readonly #metrics: MetricsRegistry;
  readonly #semanticCache: SemanticCache | undefined;

  /** @internal use `runtime.textGeneration()` */
  constructor(task: LoadedTask, metrics: MetricsRegistry, name: string, semanticCache?: SemanticCache) {
    this.#task = task;
    this.#metrics = metrics;
    this.name = name;
    this.#semanticCache = semanticCache;
    metrics.describe(name, 'text', task.info.backend);
  }

  /** The opt-in semantic result cache (`semanticCache` option), when on. */
  get semanticCache(): SemanticCache | undefined {
    return this.#semanticCache;
  }

  /**
   * A plain summary for logs and `JSON.stringify(generator)`.
   *
   * @example
   * JSON.stringify(generator); // '{"kind":"generate","name":"generate-1","backend":"wasm","disposed":false,"replicas":1}'
   */
  toJSON(): TaskSummary {
    return taskSummary(this.name, [this.#task]);
  }

  /** The backend the decoder runs on. */
  get backend(): string {
    return this.#task.info.backend;
  }

  /** Why the decoder runs on {@link TextGenerator.backend}: asked for, measured faster at load, or the only one that works. */
  get backendReason(): string {
    return this.#task.info.models[0]?.backendReason ?? `asked for "${this.#task.info.backend}"`;
  }

  /**
   * What the worker read from the graph (and config): `layers`, `kvHeads`, `headDim`,
   * `vocab`, `maxContext`, `eosTokenId`, and where each size came from (`kvHeadsFrom` …);
   * how it runs: `batching`, `kvPadding`, `kvBetweenSteps`, and `attention` (ONNX
   * Runtime's fused attention op the graph uses, e.g. `MultiHeadAttention`, or `plain ops`,
   * which on WebGPU says that a fused export decodes faster).
   *
   * @example
   * generator.facts; // { layers: 4, kvHeads: 4, headDim: 64, vocab: 50257, maxContext: 1024, … }
   */
  get facts(): Readonly<Record<string, string | number>> {
    return this.#task.info.facts;
  }

  /**
   * Continue `prompt`. Returns at once; generation runs in the worker, one token per call,
   * and stops at `maxNewTokens`, the end-of-text token, or the model's context.
   * Aborting `signal` stops within one token, frees the session's KV cache, and makes
   * the iterator and `stats` reject with `ABORTED`.
   *
   * @throws InvalidOptionsError at once for bad options; InvalidInputError for a prompt
   *   that is not a non-empty string. A prompt longer than the context rejects the
   *   iterator and `stats` with `INVALID_INPUT`.
   *
   * @example
   * const run = generator.generate('Once upon a time', { maxNewTokens: 16, temperature: 0.8, topK: 40, seed: 1 });
   * let text = '';
   * for await (const piece of run) text += piece;
   * (await run.stats).finishReason; // 'length'
   */
  generate(prompt: string, options: GenerateOptions = {}): TextGeneration {
    assertUsable(this.#task);
    const model = this.#task.info.taskId;
    checkCallOptions(model, options);
    const settings = checkOptions(options, model);
    if (typeof prompt !== 'string' || prompt.length === 0) {
      throw new InvalidInputError('The prompt must be a non-empty string.', {
        model,
        input: 'prompt',
        expected: 'a non-empty string',
        got: typeof prompt === 'string' ? 'an empty string' : typeof prompt,
      });
    }
    this.#sessionCounter += 1;
    const request: GenerateStartRequest = {
      sessionId: `${model}:${this.#sessionCounter}`,
      prompt,
      ...settings,
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    };
    const { maxNewTokens, temperature, topK, seed } = settings;
    const semantic =
      this.#semanticCache === undefined ? undefined : { cache: this.#semanticCache, settings: JSON.stringify({ maxNewTokens, temperature, topK, seed }) };
    const run = new GenerationRun(this.#task, request, options.signal, semantic);
    this.observe(run);
    return run;
  }

  /** Feed a run's outcome to the runtime's metrics: stage times, TTFT, inter-token gaps, token counts. */
  private observe(run: TextGeneration): void {
    const submittedAt = performance.now();
    this.#metrics.requestStarted(this.name);
    run.stats.then(
      (stats) => {
        const ran = stats.semanticHit === undefined; // a semantic-cache hit ran no prefill or decode step
        const sum = (stage: 'preprocessMs' | 'inferenceMs' | 'postprocessMs'): number => stats.steps.reduce((total, step) => total + step.timings[stage], 0);
        this.#metrics.requestFinished(
          this.name,
          { queueMs: 0, preprocessMs: sum('preprocessMs'), inferenceMs: sum('inferenceMs'), postprocessMs: sum('postprocessMs'), endToEndMs: stats.totalMs },
          submittedAt,
          { tokens: stats.generatedTokens },
        );
        this.#metrics.generation(this.name, {
          timeToFirstTokenMs: stats.timeToFirstTokenMs,
          interTokenMs: stats.steps.slice(1).map((step, i) => step.atMs - (stats.steps[i]?.atMs ?? step.atMs)),
          tokensPerSecond: stats.tokensPerSecond,
          promptTokens: stats.promptTokens,
          cachedPromptTokens: stats.cachedPromptTokens,
          outputTokens: stats.generatedTokens,
          ...(ran ? { prefillMs: stats.steps[0]?.timings.inferenceMs ?? 0 } : {}),
          decodeStepMs: ran ? stats.steps.slice(1).map((step) => step.timings.inferenceMs) : [],
          decodeBatchSizes: ran ? stats.steps.slice(1).map((step) => step.batchSize) : [],
        });
      },
      (error: unknown) => this.#metrics.requestFailed(this.name, error instanceof InpageError ? error.code : 'UNKNOWN'),
    );
  }

  /** Free the model. */
  dispose(): Promise<void> {
    return this.#task.dispose();
  }
}

/**
 * Load the generation task (what `runtime.textGeneration()` calls).
 *
 * @example
 * const generator = await loadTextGeneration(runtime, { backend: 'wasm' });
 */
export async function loadTextGeneration(loader: TaskLoader, options: TextGenerationOptions = {}): Promise<TextGenerator> {
  checkOptionsObject(options);
  checkName(options.name, 'name');
  const backend = options.backend ?? 'auto';
  const modelUrl = loader.resolveUrl(options.modelUrl ?? loader.modelUrl('decoder/decoder.onnx'), 'modelUrl');
  // Check the cache's options before loading anything.
  const semanticCache =
    options.semanticCache === undefined ? undefined : new SemanticCache(modelUrl, modelUrl, options.semanticCache, (event) => loader.metrics.cacheEvent(event));
  const task = await loader.loadTask(
    {
      kind: 'generate',
      backend,
      modelUrl,
      vocabUrl: loader.resolveUrl(options.vocabUrl ?? loader.modelUrl('decoder/encoder.json'), 'vocabUrl'),
      mergesUrl: loader.resolveUrl(options.mergesUrl ?? loader.modelUrl('decoder/vocab.bpe'), 'mergesUrl'),
      ...(options.configUrl === undefined ? {} : { configUrl: loader.resolveUrl(options.configUrl, 'configUrl') }),
      ...(options.maxContext === undefined ? {} : { maxContext: options.maxContext }),
      ...(options.maxBatchSize === undefined ? {} : { maxBatchSize: options.maxBatchSize }),
      ...(options.kvOnDevice === undefined ? {} : { kvOnDevice: options.kvOnDevice }),
    },
    // One worker per backend, as OCR: a WebGPU decode loop never shares its worker's thread
    // and ONNX Runtime instance with a WASM one (on the H200, sharing them slowed WebGPU decode
    // steps of a GPT-2-small-shaped decoder from ~10 to ~21 ms: bench/decode-backends.bench.ts).
    options.worker ?? `text-onnx:${backend}`,
    options.onProgress,
  );
  const name = options.name ?? task.info.taskId;
  task.reportAs(name);
  return new TextGenerator(task, loader.metrics, name, semanticCache);
}
