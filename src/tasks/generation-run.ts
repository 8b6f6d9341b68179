/**
 * One running generation: starts a session in the worker, steps it until done or
 * aborted, buffers the pieces for any number of iterators, and computes its stats. With
 * a semantic cache it first looks the prompt up and, on a hit, replays the cached
 * completion without an engine call.
 */
import type { SemanticCache, SemanticHit } from '../cache/semantic-cache';
import { AbortedError, throwIfAborted } from '../errors';
import type { GenerateStartRequest, GenerateStep, TaskResult } from '../protocol';
import type { GeneratedToken, GenerationStats, TextGeneration } from './generation';
import type { LoadedTask } from './loaded-task';

/** Drives one session: start, then step until done or aborted; buffers pieces for iterators. */
export class GenerationRun implements TextGeneration {
  readonly stats: Promise<GenerationStats>;
  private readonly tokens: GeneratedToken[] = [];
  private readonly pieces: string[] = [];
  private finished = false;
  /** Why the run failed, once it has (an abort sets it at once; the worker's cleanup follows). */
  private failure: Error | undefined = undefined;
  private wake: (() => void)[] = [];
  private readonly started = performance.now();

  constructor(
    private readonly task: LoadedTask,
    private readonly request: GenerateStartRequest,
    private readonly signal: AbortSignal | undefined,
    private readonly semantic?: { readonly cache: SemanticCache; readonly settings: string },
  ) {
    const onAbort = (): void => this.fail(this.abortError());
    signal?.addEventListener('abort', onAbort, { once: true });
    this.stats = this.drive().then(
      (stats) => {
        this.finished = true;
        this.failure = undefined; // an abort that lost the race to the last token changes nothing
        this.notify();
        return stats;
      },
      (error: unknown) => {
        this.fail(error instanceof Error ? error : new Error(String(error)));
        throw error;
      },
    );
    this.stats.catch(() => undefined); // rejections surface through the iterator or `stats`; never unhandled
    void this.stats.finally(() => signal?.removeEventListener('abort', onAbort)).catch(() => undefined);
  }

  /** A plain summary for logs: the text so far and whether it ended (the task handle and caches stay out). */
  toJSON(): { readonly kind: 'text-generation'; readonly text: string; readonly tokens: number; readonly finished: boolean; readonly failed: boolean } {
    return { kind: 'text-generation', text: this.pieces.join(''), tokens: this.tokens.length, finished: this.finished, failed: this.failure !== undefined };
  }

  get steps(): readonly GeneratedToken[] {
    return this.tokens;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (let index = 0; ;) {
      if (this.failure !== undefined) throw this.failure;
      const piece = this.pieces[index];
      if (piece !== undefined) {
        index += 1;
        yield piece;
      } else if (this.finished) return;
      else await new Promise<void>((resolve) => this.wake.push(resolve));
    }
  }

  private abortError(): AbortedError {
    const model = this.task.info.taskId;
    return new AbortedError(`Generation on "${model}" was aborted.`, { model, detail: String(this.signal?.reason) });
  }

  private fail(error: Error): void {
    if (this.failure === undefined && !this.finished) this.failure = error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = [];
    for (const resolve of wake) resolve();
  }

  private record(result: TaskResult<GenerateStep>): GenerateStep {
    const step = result.value;
    this.tokens.push({
      tokenId: step.tokenId,
      text: step.text,
      stepInputLength: step.stepInputLength,
      openSessions: step.openSessions,
      batchSize: step.batchSize,
      timings: result.timings,
      atMs: performance.now() - this.started,
    });
    if (step.text.length > 0 && this.failure === undefined) this.pieces.push(step.text);
    this.notify();
    return step;
  }

  /** Answer from the semantic cache: the cached tokens, replayed as pieces, with no engine call. */
  private replay(hit: SemanticHit): GenerationStats {
    const zero = { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0, engineCalls: 0 };
    hit.completion.tokenIds.forEach((tokenId, i) => {
      const text = hit.completion.pieces[i] ?? '';
      this.tokens.push({ tokenId, text, stepInputLength: 0, openSessions: 0, batchSize: 0, timings: zero, atMs: performance.now() - this.started });
      if (text.length > 0) this.pieces.push(text);
    });
    this.notify();
    const totalMs = performance.now() - this.started;
    return {
      text: hit.completion.text,
      tokenIds: hit.completion.tokenIds,
      promptTokens: hit.completion.promptTokens,
      cachedPromptTokens: 0, // no prefill ran: the KV prefix cache was not asked
      generatedTokens: hit.completion.tokenIds.length,
      finishReason: hit.completion.finishReason,
      timeToFirstTokenMs: this.tokens[0]?.atMs ?? totalMs,
      tokensPerSecond: (hit.completion.tokenIds.length * 1000) / Math.max(totalMs, 1e-3),
      totalMs,
      steps: this.tokens,
      semanticHit: { prompt: hit.prompt, similarity: hit.similarity },
    };
  }

  private async drive(): Promise<GenerationStats> {
    const { taskId } = this.task.info;
    const { sessionId } = this.request;
    throwIfAborted(this.signal, taskId);
    if (this.semantic !== undefined) {
      const hit = await this.semantic.cache.lookup(this.request.prompt, this.semantic.settings);
      throwIfAborted(this.signal, taskId);
      if (hit !== undefined) return this.replay(hit);
    }
    let step = this.record(await this.task.call((api) => api.generateStart(taskId, this.request)));
    while (!step.done) {
      if (this.signal?.aborted === true) {
        // Free the worker's KV cache before reporting the abort.
        await this.task.call((api) => api.generateEnd(taskId, sessionId), { retry: false });
        throw this.abortError();
      }
      // Not retried on a fresh worker: the KV cache of the tokens so far died with the old one
      // (the handle still heals: the next generation starts on the fresh worker).
      step = this.record(await this.task.call((api) => api.generateStep(taskId, sessionId), { retry: false }));
    }
    const totalMs = performance.now() - this.started;
    const first = this.tokens[0]?.atMs ?? totalMs;
    const last = this.tokens[this.tokens.length - 1]?.atMs ?? totalMs;
    const generated = this.tokens.length;
    if (this.semantic !== undefined) {
      const completion = { text: this.tokens.map((t) => t.text).join(''), tokenIds: this.tokens.map((t) => t.tokenId), pieces: this.tokens.map((t) => t.text) };
      void this.semantic.cache
        .save(this.request.prompt, this.semantic.settings, { ...completion, promptTokens: step.promptTokens, finishReason: step.finishReason ?? 'length' })
        .catch(() => undefined);
    }
    return {
      text: this.tokens.map((t) => t.text).join(''),
      tokenIds: this.tokens.map((t) => t.tokenId),
      promptTokens: step.promptTokens,
      cachedPromptTokens: step.cachedPromptTokens,
      generatedTokens: step.generatedTokens,
      finishReason: step.finishReason ?? 'length',
      timeToFirstTokenMs: first,
      tokensPerSecond: generated > 1 && last > first ? ((generated - 1) * 1000) / (last - first) : (generated * 1000) / totalMs,
      totalMs,
      steps: this.tokens,
    };
  }
}
