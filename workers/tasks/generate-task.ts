/**
 * Text generation with a KV cache (a decoder-only ONNX model with Optimum I/O names and
 * the GPT-2 BPE tokenizer).
 *
 * `start` tokenises the prompt and hands the session to the decode loop
 * (`generate-loop.ts`): it prefills the prompt in one run (empty past) and samples the
 * first token, then decodes the session together with every other running one, one token
 * per round in one batched engine call (continuous batching). `step` takes the session's
 * next token from its mailbox. With `useKvCache: false` every step re-runs the whole
 * sequence instead: the no-cache reference. A session's cache is freed when it finishes,
 * fails, or is ended.
 *
 * With the KV prefix cache on (`cache.kvPrefix`), `start` first looks the prompt's
 * blocks up (`kv-prefix-cache.ts`), prefills only the tokens after the longest cached
 * prefix, and afterwards hands the prefill's new full blocks to the cache.
 */
import { discardBody, fetchCheckedJson, fetchCheckedText, looksLikeHtml, parseJsonFile, responseProblem, type FileCheck } from '../../src/cache/response-check';
import { AbortedError, InvalidInputError, InvalidOptionsError, ModelLoadError } from '../../src/errors';
import type { GenerateStartRequest, GenerateStep, GenerateTaskSpec, TaskInfo, TaskResult } from '../../src/protocol';
import { Gpt2Tokenizer } from './bpe';
import { StageClock, taskBackend, type TaskContext, type WorkerTask } from './context';
import { attentionFact, parseDecoderConfig, readDecoderLayout, type DecoderConfig, type DecoderLayout } from './generate-layout';
import { DecodeLoop } from './generate-loop';
import { GenerateSession } from './generate-session';
import { KvPrefixCache, modelFingerprint, prefixNamespace } from './kv-prefix-cache';

/** Sequences decoded together by default: enough to fill a decode step's matrix products on WASM and WebGPU. */
export const defaultMaxBatchSize = 16;

async function loadTokenizer(spec: GenerateTaskSpec, context: TaskContext): Promise<Gpt2Tokenizer> {
  // Checked like model files: status, no HTML page (an SPA fallback), valid JSON; the default files' sizes and hashes.
  const [vocabulary, merges] = await Promise.all([
    fetchCheckedJson({ model: spec.taskId, url: spec.vocabUrl, what: 'the BPE vocabulary', input: 'vocabUrl', ...context.expect(spec.vocabUrl) }),
    fetchCheckedText({ model: spec.taskId, url: spec.mergesUrl, what: 'the BPE merges', input: 'mergesUrl', ...context.expect(spec.mergesUrl) }),
  ]);
  const ids: Record<string, number> = {};
  const bad = (): ModelLoadError =>
    new ModelLoadError(`${spec.vocabUrl} is not a BPE vocabulary (a JSON object of token → id).`, { model: spec.taskId, input: 'vocabUrl' });
  if (typeof vocabulary !== 'object' || vocabulary === null || Array.isArray(vocabulary)) throw bad();
  for (const token of Object.keys(vocabulary)) {
    const id: unknown = Reflect.get(vocabulary, token);
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw bad();
    ids[token] = id;
  }
  return new Gpt2Tokenizer(ids, merges);
}

/**
 * The model's `config.json`: the explicit URL must load; the default one (next to the
 * model) may be absent: a failed fetch, a non-OK status or an HTML page (an SPA's
 * fallback for the missing file) mean "no config". One that is there must be JSON.
 */
async function loadConfig(spec: GenerateTaskSpec, context: TaskContext): Promise<DecoderConfig | undefined> {
  const what = 'config.json';
  if (spec.configUrl !== undefined)
    return parseDecoderConfig(await fetchCheckedJson({ model: spec.taskId, url: spec.configUrl, what, input: 'configUrl', ...context.expect(spec.configUrl) }));
  const url = new URL('config.json', spec.modelUrl).href;
  // The default decoder's config is part of it: it must be there, and be the right file.
  const expected = context.expect(url);
  if (expected.expectedSha256 !== undefined) return parseDecoderConfig(await fetchCheckedJson({ model: spec.taskId, url, what, ...expected }));
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    return undefined; // no config next to the model: the graph must say everything
  }
  const check: FileCheck = { model: spec.taskId, url, kind: 'json', what };
  if (responseProblem(response, check) !== undefined) {
    discardBody(response);
    return undefined;
  }
  let bytes: ArrayBuffer;
  try {
    bytes = await response.arrayBuffer();
  } catch {
    return undefined;
  }
  if (looksLikeHtml(new Uint8Array(bytes))) return undefined;
  return parseDecoderConfig(parseJsonFile(bytes, check));
}

function checkRequest(request: GenerateStartRequest, model: string): void {
  const option = (input: string, expected: string, ok: boolean, got: unknown): void => {
    if (!ok) throw new InvalidOptionsError(`Expected \`${input}\` to be ${expected}, got ${String(got)}.`, { model, input, expected, got: String(got) });
  };
  option('maxNewTokens', 'an integer ≥ 1', Number.isInteger(request.maxNewTokens) && request.maxNewTokens >= 1, request.maxNewTokens);
  option('temperature', 'a finite number ≥ 0', Number.isFinite(request.temperature) && request.temperature >= 0, request.temperature);
  option('topK', 'an integer ≥ 0', Number.isInteger(request.topK) && request.topK >= 0, request.topK);
  option('seed', 'an integer', Number.isInteger(request.seed), request.seed);
  option('useKvCache', 'a boolean', typeof request.useKvCache === 'boolean', request.useKvCache);
  const { priority, timeoutMs } = request;
  option(
    'priority',
    '"realtime", "interactive" or "background"',
    priority === undefined || ['realtime', 'interactive', 'background'].includes(priority),
    priority,
  );
  option('timeoutMs', 'a finite number ≥ 0', timeoutMs === undefined || (Number.isFinite(timeoutMs) && timeoutMs >= 0), timeoutMs);
  if (typeof request.prompt !== 'string' || request.prompt.length === 0) {
    throw new InvalidInputError('The prompt is empty; give at least one character to continue from.', {
      model,
      input: 'prompt',
      expected: 'a non-empty string',
      got: typeof request.prompt === 'string' ? 'an empty string' : typeof request.prompt,
    });
  }
}

/** The worker side of the generation task. */
/**
 * Why sequences of different lengths cannot share a decode step here, or `undefined` when
 * they can. A graph with plain attention and no `position_ids` input counts positions from
 * the past length (older exports do): in a left-padded batch every shorter row would see
 * its positions shifted by its padding. GroupQueryAttention counts each row's positions
 * from its own length (right-padded rows), so it batches without them, except on ONNX
 * Runtime Web 1.30's WebGPU kernel: its rotary embedding takes the per-row positions as
 * one offset, so every row after the first is rotated at the first row's positions
 * (measured: logits off by 0.4 to 3.4 against the row alone; exact without rotary, and
 * exact on WASM).
 */
function whyOneAtATime(layout: DecoderLayout, backend: string): string | undefined {
  if (layout.kvPadding === 'right')
    return backend === 'webgpu' ? "ONNX Runtime Web 1.30's WebGPU GroupQueryAttention rotates every row of a batch at the first row's positions" : undefined;
  return layout.hasPositionIds ? undefined : 'no position_ids input, and left padding would shift positions';
}

/** Sequences one decode step may carry. */
function batchCapacity(layout: DecoderLayout, backend: string, requested: number | undefined): number {
  return whyOneAtATime(layout, backend) === undefined ? (requested ?? defaultMaxBatchSize) : 1;
}

/** How the decode steps batch, in words (the `batching` fact). */
function batchingFact(layout: DecoderLayout, backend: string): string {
  const why = whyOneAtATime(layout, backend);
  if (why !== undefined) return `one at a time: ${why}`;
  return layout.kvPadding === 'right' ? 'continuous, caches right-padded (GroupQueryAttention reads each row from column 0)' : 'continuous';
}

export class GenerateWorkerTask implements WorkerTask {
  readonly kind = 'generate';
  /** Sessions holding a KV cache (or waiting for their prefill). */
  private readonly sessions = new Map<string, GenerateSession>();
  /** Sessions whose caller has not taken their last token yet (a superset of `sessions`). */
  private readonly mailboxes = new Map<string, GenerateSession>();
  private readonly loop: DecodeLoop;

  private constructor(
    readonly info: TaskInfo,
    private readonly context: TaskContext,
    private readonly modelId: string,
    private readonly layout: DecoderLayout,
    private readonly tokenizer: Gpt2Tokenizer,
    /** The KV prefix cache, when `cache.kvPrefix` is on. */
    private readonly prefixCache: KvPrefixCache | undefined,
    maxBatchSize: number,
    kvOnDevice: boolean,
  ) {
    const closed = (session: GenerateSession): void => {
      if (this.sessions.get(session.request.sessionId) === session) this.sessions.delete(session.request.sessionId);
    };
    this.loop = new DecodeLoop(context, modelId, layout, prefixCache, () => this.sessions.size, closed, maxBatchSize, kvOnDevice);
  }

  static async create(spec: GenerateTaskSpec, context: TaskContext): Promise<GenerateWorkerTask> {
    const started = performance.now();
    const modelId = `${spec.taskId}/decoder`;
    for (const [input, value] of [
      ['maxContext', spec.maxContext],
      ['maxBatchSize', spec.maxBatchSize],
    ] as const) {
      if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
        throw new InvalidOptionsError(`Expected \`${input}\` to be an integer ≥ 1, got ${value}.`, { input, got: String(value) });
      }
    }
    const { kvPrefix } = context.cache;
    const resources = Promise.all([loadTokenizer(spec, context), loadConfig(spec, context), kvPrefix.enabled ? modelFingerprint(spec.modelUrl) : '']);
    resources.catch(() => undefined); // awaited below; avoid an unhandled rejection while the model loads
    const kvOnDevice = spec.kvOnDevice ?? true;
    const model = await context.loadModel({
      modelId,
      format: 'onnx',
      source: { kind: 'url', url: spec.modelUrl },
      backend: spec.backend,
      ...(kvOnDevice ? { keepOnDevice: ['present.*'] } : {}),
    });
    try {
      const [tokenizer, config, fingerprint] = await resources;
      const layout = readDecoderLayout(model, config, spec.maxContext);
      // A merged decoder (an If on use_cache_branch) fed past tensors that live in GPU buffers
      // stalls now and then inside ONNX Runtime Web 1.30's session.run on WebGPU (never
      // resolves; reproduced by e2e/generate-layouts.spec.ts, unmerged graphs never do), so its
      // cache round-trips through the CPU. (On WASM the engine's own CPU tensors are fed back
      // unconverted either way.)
      const mergedOnGpu = model.backend === 'webgpu' && layout.hasCacheBranch;
      const keepsKv = kvOnDevice && !mergedOnGpu;
      if (tokenizer.vocabularySize > layout.vocab) {
        throw new ModelLoadError(`The tokenizer has ${tokenizer.vocabularySize} tokens but model "${modelId}" only ${layout.vocab} logits.`, {
          model: modelId,
          expected: `≤ ${layout.vocab} tokens`,
          got: String(tokenizer.vocabularySize),
        });
      }
      const info: TaskInfo = {
        taskId: spec.taskId,
        kind: 'generate',
        backend: taskBackend([model]),
        models: [model],
        loadMs: performance.now() - started,
        facts: {
          layers: layout.layers,
          kvHeads: layout.kvHeads,
          headDim: layout.headDim,
          vocab: layout.vocab,
          maxContext: layout.maxContext,
          maxBatchSize: batchCapacity(layout, model.backend, spec.maxBatchSize),
          logitsToKeep: layout.logitsToKeepInput ?? 'none',
          cacheBranch: layout.hasCacheBranch ? 'use_cache_branch' : 'none',
          positionIds: layout.hasPositionIds ? 'input' : 'none',
          batching: batchingFact(layout, model.backend),
          kvPadding: layout.kvPadding,
          attention: attentionFact(model.operators, model.backend),
          kvBetweenSteps:
            model.backend !== 'webgpu' || !kvOnDevice
              ? 'cpu'
              : mergedOnGpu
                ? 'cpu: a merged decoder (If on use_cache_branch) stalls on GPU-resident past in ONNX Runtime Web 1.30'
                : 'gpu-buffer',
          ...(layout.heads === undefined ? {} : { heads: layout.heads }),
          eosTokenId: layout.eosTokenId,
          tokenizerVocab: tokenizer.vocabularySize,
          kvHeadsFrom: layout.sources.kvHeads,
          headDimFrom: layout.sources.headDim,
          vocabFrom: layout.sources.vocab,
          maxContextFrom: layout.sources.maxContext,
        },
      };
      const shape = { layers: layout.layers, kvHeads: layout.kvHeads, headDim: layout.headDim, blockTokens: kvPrefix.blockTokens };
      const prefixCache = kvPrefix.enabled
        ? await KvPrefixCache.create({
            namespace: prefixNamespace(spec.modelUrl, fingerprint, model.backend, shape),
            model: spec.modelUrl,
            shape,
            config: kvPrefix,
            events: context.cacheEvents,
          })
        : undefined;
      return new GenerateWorkerTask(info, context, modelId, layout, tokenizer, prefixCache, batchCapacity(layout, model.backend, spec.maxBatchSize), keepsKv);
    } catch (error) {
      await context.releaseModel(modelId);
      throw error;
    }
  }

  /** Sequences in the running decode batch right now. */
  get batchSize(): number {
    return this.loop.batchSize;
  }

  /** Generation sessions holding a KV cache right now. */
  get openSessions(): number {
    return this.sessions.size;
  }

  /** Tokenise the prompt, look its prefix up, queue it for the decode loop; resolves with the first token. */
  async start(request: GenerateStartRequest): Promise<TaskResult<GenerateStep>> {
    const clock = new StageClock();
    checkRequest(request, this.modelId);
    if (this.sessions.has(request.sessionId)) {
      throw new InvalidOptionsError(`A generation session "${request.sessionId}" is already running.`, { model: this.modelId, input: 'sessionId' });
    }
    const prompt = await clock.pre(() => this.tokenizer.encode(request.prompt));
    const { maxContext } = this.layout;
    if (prompt.length > maxContext) {
      throw new InvalidInputError(`The prompt is ${prompt.length} tokens, longer than the model's context of ${maxContext}; shorten it.`, {
        model: this.modelId,
        input: 'prompt',
        expected: `≤ ${maxContext} tokens`,
        got: `${prompt.length} tokens`,
      });
    }
    const session = new GenerateSession(request, prompt, this.layout, this.tokenizer);
    const prefixCache = request.useKvCache ? this.prefixCache : undefined;
    if (prefixCache !== undefined) session.reuse(await clock.pre(() => prefixCache.lookup(prompt)));
    if (this.sessions.has(request.sessionId)) {
      throw new InvalidOptionsError(`A generation session "${request.sessionId}" is already running.`, { model: this.modelId, input: 'sessionId' });
    }
    this.sessions.set(request.sessionId, session);
    this.mailboxes.set(request.sessionId, session);
    this.loop.admit(session, clock);
    return this.take(session);
  }

  /** The session's next token: produced already by the decode loop, or the next one it produces. */
  async step(sessionId: string): Promise<TaskResult<GenerateStep>> {
    const session = this.mailboxes.get(sessionId);
    if (session === undefined) {
      throw new InvalidInputError(`No generation session "${sessionId}" is running (it finished, was ended, or never started).`, {
        model: this.modelId,
        input: 'sessionId',
        got: sessionId,
      });
    }
    if (session.mailbox.awaited)
      throw new InvalidOptionsError(`Session "${sessionId}" is already waiting for a token; await it first.`, { model: this.modelId, input: 'sessionId' });
    return this.take(session);
  }

  /** End a session early and free its cache (the decode loop drops it before its next step). Unknown ids are ignored. */
  async end(sessionId: string): Promise<void> {
    const session = this.mailboxes.get(sessionId) ?? this.sessions.get(sessionId);
    if (session === undefined) return;
    session.cache = undefined;
    session.ended = true;
    session.mailbox.fail(new AbortedError(`Session "${sessionId}" was ended.`, { model: this.modelId }));
    this.sessions.delete(sessionId);
    this.mailboxes.delete(sessionId);
  }

  /** Hand out a session's next token; forget the session once its last one is taken. */
  private async take(session: GenerateSession): Promise<TaskResult<GenerateStep>> {
    const { sessionId } = session.request;
    try {
      return await session.mailbox.take();
    } finally {
      if (session.mailbox.drained && this.mailboxes.get(sessionId) === session) this.mailboxes.delete(sessionId);
    }
  }

  async release(): Promise<void> {
    this.loop.clear();
    this.sessions.clear();
    this.mailboxes.clear();
    this.prefixCache?.clearMemory();
    await this.context.releaseModel(this.modelId);
  }
}
