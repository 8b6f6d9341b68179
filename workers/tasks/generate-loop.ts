/**
 * Continuous batching of generation sessions in one worker: a loop that, round after
 * round, (1) admits waiting sessions and prefills their prompts (one engine call each,
 * most urgent first, up to a token budget per round), (2) lets them join the running
 * batch, and (3) advances every running sequence by one token in ONE engine call
 * (`generate-batch.ts` packs their KV caches). Finished and ended sequences leave between
 * rounds, so new requests never wait for old ones to finish.
 *
 * The loop runs ahead of the callers: each produced token goes to its session's mailbox,
 * and `GenerateWorkerTask.step` takes the next one from there, so a decode step never waits
 * for the slowest caller's round trip. Sessions without a KV cache (`useKvCache: false`,
 * the reference path) re-run their whole sequence alone each round.
 */
import { DeadlineExceededError, InferenceError } from '../../src/errors';
import type { DeviceTensor, GenerateStep, KeepingRunResult, Priority, TaskResult, TensorMap } from '../../src/protocol';
import { yieldToUrgentWork } from '../../src/scheduler/yield';
import { StageClock, type TaskContext } from './context';
import { PackedKv } from './generate-batch';
import type { DecoderLayout } from './generate-layout';
import { decoderInputs, logitRows, presentOf, type GenerateSession } from './generate-session';
import type { KvPrefixCache } from './kv-prefix-cache';

/** Prompt tokens one round may prefill before it decodes (at least one prompt always goes). */
export const prefillTokensPerRound = 512;

const urgency: Record<Priority, number> = { realtime: 0, interactive: 1, background: 2 };

interface Waiting {
  readonly session: GenerateSession;
  readonly clock: StageClock;
  readonly order: number;
}

export class DecodeLoop {
  private readonly waiting: Waiting[] = [];
  /** Sessions that re-run their whole sequence each round (no KV cache). */
  private solos: GenerateSession[] = [];
  private readonly batch: PackedKv<GenerateSession>;
  private running = false;
  private arrivals = 0;

  constructor(
    private readonly context: TaskContext,
    private readonly modelId: string,
    private readonly layout: DecoderLayout,
    private readonly prefixCache: KvPrefixCache | undefined,
    /** Sessions holding a KV cache (open) right now, for `openSessions`. */
    private readonly openSessions: () => number,
    /** A session produced its last token (or failed): it no longer counts as open. */
    private readonly closed: (session: GenerateSession) => void,
    /** Sequences decoding at once; more wait for a free slot before their prefill. */
    private readonly maxBatchSize: number,
    /** Feed each step's `present.*` back where the engine kept them (GPU buffers on WebGPU) instead of through the CPU. */
    private readonly kvOnDevice: boolean,
  ) {
    this.batch = new PackedKv(layout, modelId);
  }

  /** Sequences decoding together right now. */
  get batchSize(): number {
    return this.batch.size;
  }

  /** Queue a new session for its prefill; its first token arrives in its mailbox. */
  admit(session: GenerateSession, clock: StageClock): void {
    this.waiting.push({ session, clock, order: this.arrivals++ });
    this.kick();
  }

  /** Stop the loop's work for every session and forget the batch (the task is released). */
  clear(): void {
    this.waiting.length = 0;
    this.solos = [];
    this.batch.clear();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.run().finally(() => {
      this.running = false;
      if (this.waiting.length > 0 || this.solos.length > 0 || this.batch.size > 0) this.kick();
    });
  }

  private async run(): Promise<void> {
    while (this.waiting.length > 0 || this.solos.length > 0 || this.batch.size > 0) {
      // A WASM run blocks this thread and resolves in a microtask: without a task boundary
      // here, requests that arrived meanwhile (new sessions, `end`) would wait for the
      // whole loop. Pending messages run first, then the round takes every arrival.
      await yieldToUrgentWork();
      const joiners: GenerateSession[] = [];
      for (const { session, clock } of this.takeWaiting()) {
        const outcome = await this.runAlone(session, clock);
        if (outcome === 'continue') (session.request.useKvCache ? joiners : this.solos).push(session);
      }
      const solos = this.solos;
      this.solos = [];
      for (const session of solos) {
        if (session.ended) continue;
        if ((await this.runAlone(session, new StageClock())) === 'continue') this.solos.push(session);
      }
      try {
        await this.batch.reshape(
          (session) => session.ended,
          joiners.map((session) => {
            const cache = session.cache ?? {};
            session.cache = undefined; // the batch holds it now
            return { member: session, cache, length: session.cachedTokens };
          }),
        );
      } catch (error) {
        this.failBatch([...this.batch.members, ...joiners], error);
        continue;
      }
      if (this.batch.size > 0) await this.decode();
    }
  }

  /** The waiting sessions this round prefills: most urgent first, within the free slots and the token budget; expired ones fail. */
  private takeWaiting(): Waiting[] {
    const now = performance.now();
    const live: Waiting[] = [];
    for (const entry of this.waiting.splice(0)) {
      const { session } = entry;
      if (session.ended) continue;
      if (session.deadline !== undefined && now > session.deadline) {
        const waited = Math.round(now - session.submittedAt);
        this.fail(
          session,
          new DeadlineExceededError(`Generation "${session.request.sessionId}" waited ${waited} ms for its prefill, past its timeoutMs.`, {
            model: this.modelId,
            input: 'timeoutMs',
          }),
        );
        continue;
      }
      live.push(entry);
    }
    live.sort((a, b) => urgency[a.session.priority] - urgency[b.session.priority] || a.order - b.order);
    let budget = prefillTokensPerRound;
    const slots = this.maxBatchSize - this.solos.length - this.batch.members.filter((session) => !session.ended).length;
    const taken: Waiting[] = [];
    for (const entry of live) {
      const tokens = entry.session.nextInput().ids.length;
      if (slots <= taken.length || (taken.length > 0 && tokens > budget)) this.waiting.push(entry);
      else {
        taken.push(entry);
        budget -= tokens;
      }
    }
    return taken;
  }

  /** One engine call for one session (a prefill, or a no-cache step); says whether it goes on. */
  private async runAlone(session: GenerateSession, clock: StageClock): Promise<'continue' | 'done'> {
    try {
      const { ids, pastLength } = session.nextInput();
      const inputs = await clock.pre(() => decoderInputs(this.layout, ids, pastLength, session.request.useKvCache ? session.cache : undefined));
      const result = await clock.infer(() => this.context.runModel(this.modelId, inputs, session.priority));
      if (session.ended) return 'done';
      const rows = logitRows(this.layout, ids.length);
      const logits = await clock.post(() => this.logitsOf(result.outputs, 1, rows));
      if (session.request.useKvCache) {
        session.cache = presentOf(result.outputs);
        session.cachedTokens = pastLength + ids.length;
        if (session.prefix !== undefined) this.prefixCache?.remember(session.prefix, session.cache);
        session.prefix = undefined;
      }
      return await this.deliver(session, clock, logits, rows, ids.length, 1);
    } catch (error) {
      this.fail(session, error);
      return 'done';
    }
  }

  /** One decode step of the whole batch in one engine call. */
  private async decode(): Promise<void> {
    const members = this.batch.members;
    const clock = new StageClock();
    let kept: Readonly<Record<string, DeviceTensor>> = {};
    try {
      const { inputs, resident } = await clock.pre(() => this.batch.inputs((session) => session.tokens[session.tokens.length - 1] ?? 0));
      const priority = members.reduce<Priority>((best, s) => (urgency[s.priority] < urgency[best] ? s.priority : best), 'background');
      const runKeeping = this.kvOnDevice ? this.context.runModelKeeping?.bind(this.context) : undefined;
      const result: KeepingRunResult =
        runKeeping === undefined
          ? { ...(await clock.infer(() => this.context.runModel(this.modelId, inputs, priority))), kept: {} }
          : await clock.infer(() => runKeeping(this.modelId, inputs, resident, this.batch.presentNames, priority));
      kept = result.kept;
      const logits = await clock.post(() => this.logitsOf(result.outputs, members.length, 1));
      this.batch.absorb(result.outputs, kept);
      kept = {}; // the batch holds them now
      const { vocab } = this.layout;
      for (const [row, session] of members.entries()) {
        if (session.ended) continue;
        session.cachedTokens += 1;
        await this.deliver(session, clock, logits.subarray(row * vocab, (row + 1) * vocab), 1, 1, members.length);
      }
    } catch (error) {
      for (const t of Object.values(kept)) t.dispose();
      this.failBatch(members, error);
    }
  }

  /** Sample a session's token from its logits row(s), post it to its mailbox; 'done' when it finished. */
  private async deliver(
    session: GenerateSession,
    clock: StageClock,
    logits: Float32Array,
    rows: number,
    stepInputLength: number,
    batchSize: number,
  ): Promise<'continue' | 'done'> {
    const { tokenId, text, finishReason } = await clock.post(() => session.advance(logits, rows));
    if (finishReason !== undefined) this.closed(session);
    const step: GenerateStep = {
      sessionId: session.request.sessionId,
      tokenId,
      text,
      done: finishReason !== undefined,
      ...(finishReason === undefined ? {} : { finishReason }),
      promptTokens: session.promptTokens,
      cachedPromptTokens: session.cachedPromptTokens,
      generatedTokens: session.generatedTokens,
      stepInputLength,
      openSessions: this.openSessions(),
      batchSize,
    };
    const result: TaskResult<GenerateStep> = { value: step, timings: clock.timings() };
    session.mailbox.post(result);
    if (finishReason !== undefined) session.ended = true;
    return finishReason === undefined ? 'continue' : 'done';
  }

  private logitsOf(outputs: TensorMap, rows: number, sequence: number): Float32Array {
    const logits = outputs.logits;
    if (logits?.dtype !== 'float32' || logits.data.length !== rows * sequence * this.layout.vocab) {
      throw new InferenceError(`Model "${this.modelId}" returned logits of an unexpected shape.`, {
        model: this.modelId,
        expected: `float32 [${rows}, ${sequence}, ${this.layout.vocab}]`,
        got: logits === undefined ? 'none' : `${logits.dtype} [${logits.dims.join(', ')}]`,
      });
    }
    return logits.data;
  }

  /** A failed run leaves no half-updated cache behind: the sessions it served are over. */
  private failBatch(sessions: readonly GenerateSession[], error: unknown): void {
    for (const session of sessions) this.fail(session, error);
    this.batch.clear();
  }

  private fail(session: GenerateSession, error: unknown): void {
    if (session.ended) return; // finished, or ended by its caller (whose mailbox already failed)
    session.ended = true;
    session.cache = undefined;
    this.closed(session);
    session.mailbox.fail(error);
  }
}
