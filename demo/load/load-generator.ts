/**
 * A closed-loop load generator: `concurrency` clients, each sending one request at a
 * time and the next as soon as it returns. The kind of each request is drawn from a
 * weighted modality mix and its priority class from a weighted class mix (all go as
 * `interactive` when priorities are off), so one model's queue holds several classes and
 * the end-to-end latency the generator measures per class shows what priorities do.
 * Clients follow the page's session: while models reload they wait, then carry on with
 * the new tasks. Failures (deadline, queue full …) are counted by code.
 */
import { InpageError, type Priority, type VadStream, type VadTask } from '../../src/index';
import type { DemoSession, SessionHolder } from '../session';
import { loadSamples, questions, sentences, skewedIndex, systemPrompt, type Samples } from './workload';

/** The kinds of request the generator sends (one per demo task). */
export const loadKinds = ['vad', 'pose', 'ocr', 'embed', 'gen'] as const;
export type LoadKind = (typeof loadKinds)[number];

/** What to send. */
export interface LoadConfig {
  /** Clients sending at once. */
  readonly concurrency: number;
  /** Relative weight of each kind (0 = none). */
  readonly mix: Readonly<Record<LoadKind, number>>;
  /** Relative weight of each priority class. */
  readonly classes: Readonly<Record<Priority, number>>;
  /** Off: every request goes as `interactive`, so the scheduler cannot tell the classes apart. */
  readonly usePriorities: boolean;
}

/** Counters since the last start. */
export interface LoadStats {
  readonly running: boolean;
  readonly clients: number;
  readonly completed: Readonly<Record<LoadKind, number>>;
  /** Failures by error code. */
  readonly failed: Readonly<Record<string, number>>;
  readonly startedAt: number;
}

const vadFrameSamples = 512;

/** The priority classes, most urgent first. */
export const priorityClasses: readonly Priority[] = ['realtime', 'interactive', 'background'];

/** Order statistics of one class's recent latencies. */
export interface ClassLatency {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
}

/** Draw a key by weight (undefined when every weight is 0). */
function weighted<K extends string>(keys: readonly K[], weight: (key: K) => number): K | undefined {
  const total = keys.reduce((sum, k) => sum + weight(k), 0);
  if (total <= 0) return undefined;
  let draw = Math.random() * total;
  for (const key of keys) {
    draw -= weight(key);
    if (draw < 0) return key;
  }
  return keys[keys.length - 1];
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

function zeroCounts(): Record<LoadKind, number> {
  return { vad: 0, pose: 0, ocr: 0, embed: 0, gen: 0 };
}

/** One client's live VAD stream (on the task it was opened on) and its place in the clip. */
interface ClientStream {
  readonly task: VadTask;
  readonly stream: VadStream;
  offset: number;
}

/** Drives mixed load through the page's tasks. */
export class LoadGenerator {
  private config: LoadConfig | undefined;
  private running = false;
  private clients = 0;
  private completed = zeroCounts();
  private failed: Record<string, number> = {};
  private startedAt = 0;
  private changedAt = 0;
  private changeCount = 0;
  private readonly streams = new Map<number, ClientStream>();
  private loops: Promise<void>[] = [];
  /** Completed requests' (finish time, latency) per class (the one they were tagged with). */
  private readonly latencies = new Map<Priority, { at: number; ms: number }[]>();

  constructor(
    private readonly sessions: SessionHolder,
    /** Called on start, change and stop (not per request: read `stats` on a timer for live counters). */
    private readonly onChange: (stats: LoadStats) => void = () => undefined,
  ) {}

  /** Starts and changes of the load so far (`latencyByClass` counts requests sent since the last). */
  get changes(): number {
    return this.changeCount;
  }

  /** Counters since the last start. */
  get stats(): LoadStats {
    return { running: this.running, clients: this.clients, completed: { ...this.completed }, failed: { ...this.failed }, startedAt: this.startedAt };
  }

  /** Start (or, when running, change) the load. */
  start(config: LoadConfig): void {
    this.config = config;
    // Latencies of requests sent before a change never mix with those after it.
    this.changedAt = performance.now();
    this.changeCount += 1;
    if (!this.running) {
      this.running = true;
      this.completed = zeroCounts();
      this.failed = {};
      this.latencies.clear();
      this.startedAt = performance.now();
    }
    while (this.clients < config.concurrency) {
      const id = this.clients;
      this.clients += 1;
      this.loops.push(this.client(id));
    }
    this.onChange(this.stats);
  }

  /** Stop: clients finish their request in flight; resolves when all have. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
    this.clients = 0;
    this.streams.clear();
    this.onChange(this.stats);
  }

  private async client(id: number): Promise<void> {
    const samples = await loadSamples();
    while (this.running && this.config !== undefined && id < this.config.concurrency) {
      const config = this.config;
      const session = await this.sessions.ready();
      if (!this.running) break;
      const kind = this.pick(config, session);
      if (kind === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const tagged = weighted(priorityClasses, (c) => config.classes[c]) ?? 'interactive';
      const priority = config.usePriorities ? tagged : 'interactive';
      const sentAt = performance.now();
      try {
        await this.send(kind, priority, session, samples, id);
        this.completed[kind] += 1;
        this.record(tagged, sentAt);
      } catch (error) {
        const code = error instanceof InpageError ? error.code : 'UNKNOWN';
        this.failed[code] = (this.failed[code] ?? 0) + 1;
        // A disposed task means the models are reloading: wait for the next session.
        if (code === 'DISPOSED') await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    if (this.config !== undefined && id >= this.config.concurrency) this.clients = Math.min(this.clients, this.config.concurrency);
  }

  /** A kind drawn by weight among those whose task is loaded. */
  private pick(config: LoadConfig, session: DemoSession): LoadKind | undefined {
    return weighted(
      loadKinds.filter((k) => session.tasks[k] !== undefined),
      (k) => config.mix[k],
    );
  }

  private record(priority: Priority, sentAt: number): void {
    const now = performance.now();
    const samples = this.latencies.get(priority) ?? [];
    samples.push({ at: now, ms: now - sentAt });
    // Keep a bounded history: the window statistics never need more.
    if (samples.length > 20_000) samples.splice(0, samples.length - 10_000);
    this.latencies.set(priority, samples);
  }

  /**
   * End-to-end latency per priority class (the class each request was drawn with, also
   * when priorities are off) over the last `windowMs`, of requests sent since the load last
   * changed; classes with no completions are left out.
   */
  latencyByClass(windowMs = 5000): Partial<Record<Priority, ClassLatency>> {
    const since = performance.now() - windowMs;
    const result: Partial<Record<Priority, ClassLatency>> = {};
    for (const [priority, samples] of this.latencies) {
      const recent = samples
        .filter((s) => s.at >= since && s.at - s.ms >= this.changedAt)
        .map((s) => s.ms)
        .sort((a, b) => a - b);
      if (recent.length > 0) result[priority] = { count: recent.length, p50: quantile(recent, 0.5), p95: quantile(recent, 0.95) };
    }
    return result;
  }

  private async send(kind: LoadKind, priority: Priority, session: DemoSession, samples: Samples, client: number): Promise<void> {
    const { tasks } = session;
    switch (kind) {
      case 'vad': {
        if (tasks.vad === undefined) return;
        const live = this.streamFor(client, tasks.vad);
        const start = live.offset;
        live.offset = (start + vadFrameSamples) % (samples.speech.length - vadFrameSamples);
        await live.stream.push(samples.speech.slice(start, start + vadFrameSamples), { priority });
        return;
      }
      case 'pose':
        await tasks.pose?.detect(samples.photo, { priority });
        return;
      case 'ocr':
        await tasks.ocr?.read(samples.text, { priority });
        return;
      case 'embed':
        await tasks.embed?.embed([sentences[skewedIndex(sentences.length)] ?? ''], { priority });
        return;
      case 'gen': {
        if (tasks.gen === undefined) return;
        const question = questions[skewedIndex(questions.length)] ?? '';
        const run = tasks.gen.generate(systemPrompt + question, { maxNewTokens: 8, temperature: 0 });
        for await (const piece of run) void piece;
        await run.stats;
        return;
      }
    }
  }

  private streamFor(client: number, task: VadTask): ClientStream {
    const existing = this.streams.get(client);
    if (existing !== undefined && existing.task === task) return existing;
    const created: ClientStream = { task, stream: task.stream(), offset: (client * 4801) % 16000 };
    this.streams.set(client, created);
    return created;
  }
}
