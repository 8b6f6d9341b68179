/**
 * Live metrics per model and per modality, over a sliding window and since start:
 * request counts, errors by code, stage latencies, batch sizes, queue depth,
 * throughput, and generation series. Main-thread bookkeeping only (a few map updates
 * per request). Read it as a snapshot, a subscription, Prometheus text, or User Timing
 * entries in the DevTools Performance panel.
 */
import type { CacheEvent } from '../cache/events';
import { CacheCounters } from './cache-metrics';
import { prometheusText } from './prometheus';
import { LatencySeries, WindowedSketch } from './window';
import type { QuantileSketch } from './sketch';
import type { GenerationMetrics, MetricsSnapshot, SeriesMetrics, Stage, Summary, WindowedSummary } from './types';
import { emitUserTiming } from './user-timing';
import { InvalidOptionsError } from '../errors';
import { describeValue, shownValue as shown } from '../tensor';

/** One finished request's timings, ms. */
export interface RequestTimings {
  readonly queueMs: number;
  readonly preprocessMs: number;
  readonly inferenceMs: number;
  readonly postprocessMs: number;
  readonly endToEndMs: number;
}

/** One finished generation's series. */
export interface GenerationRecord {
  readonly timeToFirstTokenMs: number;
  readonly interTokenMs: readonly number[];
  readonly tokensPerSecond: number;
  readonly promptTokens: number;
  readonly cachedPromptTokens: number;
  readonly outputTokens: number;
  /** The prefill's engine time; absent when no prefill ran (a semantic-cache hit). */
  readonly prefillMs?: number;
  /** The engine time of each decode step after the first token. */
  readonly decodeStepMs: readonly number[];
  /** The batch size of each decode step after the first token. */
  readonly decodeBatchSizes: readonly number[];
}

type GenerationSeries = Record<Exclude<keyof GenerationMetrics, 'tokens'>, LatencySeries>;

/** Options for the runtime's live metrics, given as {@link RuntimeOptions.metrics}. */
export interface MetricsOptions {
  /** Width of one window slot, ms. @default 5000 */
  readonly slotMs?: number;
  /** Slots in the sliding window (window = slots × slotMs). @default 12 (one minute) */
  readonly slots?: number;
  /** Emit `performance.measure` entries (DevTools custom tracks) per request stage. @default false */
  readonly userTiming?: boolean;
}

const stages: readonly Stage[] = ['queue', 'preprocess', 'inference', 'postprocess', 'endToEnd'];

class Series {
  requests = 0;
  completed = 0;
  inFlight = 0;
  workerRestarts = 0;
  retries = 0;
  readonly errors = new Map<string, number>();
  readonly stages: Record<Stage, LatencySeries>;
  readonly batchUnits: LatencySeries;
  readonly batchSizeCounts = new Map<number, number>();
  readonly completions: WindowedSketch;
  queueDepth = 0;
  maxQueueDepth = 0;
  generation: GenerationSeries | undefined;
  readonly tokens = { prompt: 0, cachedPrompt: 0, generated: 0 };

  constructor(
    readonly name: string,
    public modality: string,
    public backend: string,
    private readonly slotMs: number,
    private readonly slots: number,
  ) {
    const series = (): LatencySeries => new LatencySeries(slotMs, slots);
    this.stages = { queue: series(), preprocess: series(), inference: series(), postprocess: series(), endToEnd: series() };
    this.batchUnits = series();
    this.completions = new WindowedSketch(slotMs, slots);
  }

  generationSeries(): GenerationSeries {
    const series = (): LatencySeries => new LatencySeries(this.slotMs, this.slots);
    this.generation ??= {
      timeToFirstTokenMs: series(),
      interTokenMs: series(),
      tokensPerSecond: series(),
      promptTokens: series(),
      cachedPromptTokens: series(),
      outputTokens: series(),
      prefillMs: series(),
      decodeStepMs: series(),
      decodeBatchSize: series(),
    };
    return this.generation;
  }
}

function summarize(sketch: QuantileSketch): Summary {
  return { count: sketch.count, mean: sketch.mean(), p50: sketch.quantile(0.5), p95: sketch.quantile(0.95), p99: sketch.quantile(0.99), max: sketch.max };
}

function windowed(series: LatencySeries, now: number): WindowedSummary {
  return { window: summarize(series.window.read(now)), total: summarize(series.total) };
}

/** Collects every metric; one per runtime. */
export class MetricsRegistry {
  private readonly models = new Map<string, Series>();
  private readonly modalities = new Map<string, Series>();
  private readonly startedAt = performance.now();
  /** Throughput is measured from here: creation, or the last reset(). */
  private measuredFrom = this.startedAt;
  private readonly slotMs: number;
  private readonly slots: number;
  private cacheCounters = new CacheCounters();
  /** Whether stage timings are also emitted as User Timing measures. */
  userTiming: boolean;

  constructor(options: MetricsOptions = {}) {
    checkMetricsOptions(options);
    this.slotMs = options.slotMs ?? 5000;
    this.slots = options.slots ?? 12;
    this.userTiming = options.userTiming ?? false;
  }

  /** Register a model's modality and backend (shown in snapshots). */
  describe(model: string, modality: string, backend: string): void {
    const series = this.model(model);
    series.modality = modality;
    series.backend = backend;
  }

  /** A model's backend changed (WebGPU lost, WASM now). */
  describeBackend(model: string, backend: string): void {
    this.model(model).backend = backend;
  }

  private model(name: string): Series {
    let series = this.models.get(name);
    if (series === undefined) {
      series = new Series(name, 'unknown', 'unknown', this.slotMs, this.slots);
      this.models.set(name, series);
    }
    return series;
  }

  private both(model: string): Series[] {
    const series = this.model(model);
    let modality = this.modalities.get(series.modality);
    if (modality === undefined) {
      modality = new Series(series.modality, series.modality, 'mixed', this.slotMs, this.slots);
      this.modalities.set(series.modality, modality);
    }
    return [series, modality];
  }

  /** A request was accepted for `model`. */
  requestStarted(model: string): void {
    for (const s of this.both(model)) {
      s.requests += 1;
      s.inFlight += 1;
    }
  }

  /** One of `model`'s replicas was loaded again into a fresh worker after its worker died. */
  workerRestarted(model: string): void {
    for (const s of this.both(model)) s.workerRestarts += 1;
  }

  /** `requests` of `model`'s requests were sent again after their worker died. */
  requestsRetried(model: string, requests: number): void {
    for (const s of this.both(model)) s.retries += requests;
  }

  /** A request finished; `submittedAt` is its `performance.now()` at submission. */
  requestFinished(model: string, timings: RequestTimings, submittedAt: number, detail: Readonly<Record<string, string | number>> = {}): void {
    const now = performance.now();
    for (const s of this.both(model)) {
      s.completed += 1;
      s.inFlight -= 1;
      s.completions.add(now, 1);
      s.stages.queue.add(now, timings.queueMs);
      s.stages.preprocess.add(now, timings.preprocessMs);
      s.stages.inference.add(now, timings.inferenceMs);
      s.stages.postprocess.add(now, timings.postprocessMs);
      s.stages.endToEnd.add(now, timings.endToEndMs);
    }
    if (this.userTiming) emitUserTiming(model, timings, submittedAt, detail);
  }

  /** A request failed with `code`. */
  requestFailed(model: string, code: string): void {
    for (const s of this.both(model)) {
      s.errors.set(code, (s.errors.get(code) ?? 0) + 1);
      s.inFlight -= 1;
    }
  }

  /** An engine call ran `units` units. */
  batch(model: string, units: number): void {
    const now = performance.now();
    for (const s of this.both(model)) {
      s.batchUnits.add(now, units);
      s.batchSizeCounts.set(units, (s.batchSizeCounts.get(units) ?? 0) + 1);
    }
  }

  /** The model's queue now holds `depth` requests. */
  queueDepth(model: string, depth: number): void {
    const series = this.model(model);
    series.queueDepth = depth;
    series.maxQueueDepth = Math.max(series.maxQueueDepth, depth);
  }

  /** A generation finished. */
  generation(model: string, record: GenerationRecord): void {
    const now = performance.now();
    for (const s of this.both(model)) {
      const g = s.generationSeries();
      g.timeToFirstTokenMs.add(now, record.timeToFirstTokenMs);
      for (const gap of record.interTokenMs) g.interTokenMs.add(now, gap);
      g.tokensPerSecond.add(now, record.tokensPerSecond);
      g.promptTokens.add(now, record.promptTokens);
      g.cachedPromptTokens.add(now, record.cachedPromptTokens);
      g.outputTokens.add(now, record.outputTokens);
      if (record.prefillMs !== undefined) g.prefillMs.add(now, record.prefillMs);
      for (const ms of record.decodeStepMs) g.decodeStepMs.add(now, ms);
      for (const size of record.decodeBatchSizes) g.decodeBatchSize.add(now, size);
      s.tokens.prompt += record.promptTokens;
      s.tokens.cachedPrompt += record.cachedPromptTokens;
      s.tokens.generated += record.outputTokens;
    }
  }

  private view(series: Series, now: number, queueDepth: number, maxQueueDepth: number): SeriesMetrics {
    const windowSeconds = Math.min(this.slotMs * this.slots, Math.max(1, now - this.measuredFrom)) / 1000;
    const stageSummaries = Object.fromEntries(stages.map((stage) => [stage, windowed(series.stages[stage], now)])) as Record<Stage, WindowedSummary>; // keys are exactly `stages`
    const generation = series.generation;
    return {
      name: series.name,
      modality: series.modality,
      backend: series.backend,
      requests: series.requests,
      completed: series.completed,
      inFlight: series.inFlight,
      workerRestarts: series.workerRestarts,
      retries: series.retries,
      errors: Object.fromEntries(series.errors),
      stages: stageSummaries,
      batchUnits: windowed(series.batchUnits, now),
      batchSizeCounts: Object.fromEntries([...series.batchSizeCounts.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
      queueDepth,
      maxQueueDepth,
      throughputPerSecond: series.completions.read(now).count / windowSeconds,
      ...(generation === undefined
        ? {}
        : {
            generation: {
              timeToFirstTokenMs: windowed(generation.timeToFirstTokenMs, now),
              interTokenMs: windowed(generation.interTokenMs, now),
              tokensPerSecond: windowed(generation.tokensPerSecond, now),
              promptTokens: windowed(generation.promptTokens, now),
              cachedPromptTokens: windowed(generation.cachedPromptTokens, now),
              outputTokens: windowed(generation.outputTokens, now),
              prefillMs: windowed(generation.prefillMs, now),
              decodeStepMs: windowed(generation.decodeStepMs, now),
              decodeBatchSize: windowed(generation.decodeBatchSize, now),
              tokens: { ...series.tokens },
            },
          }),
    };
  }

  /**
   * Start every count, latency, batch size and cache counter afresh (a load test's measured
   * phase after its warm-up). Queue depth and requests in flight carry over: those requests
   * are counted when they finish.
   */
  reset(): void {
    const fresh = (s: Series): Series => {
      const series = new Series(s.name, s.modality, s.backend, this.slotMs, this.slots);
      series.inFlight = s.inFlight;
      series.queueDepth = s.queueDepth;
      series.maxQueueDepth = s.queueDepth;
      return series;
    };
    for (const [name, s] of this.models) this.models.set(name, fresh(s));
    for (const [name, s] of this.modalities) this.modalities.set(name, fresh(s));
    this.cacheCounters = new CacheCounters();
    this.measuredFrom = performance.now();
  }

  /** Count a cache event (hit, miss, store, eviction, integrity failure, warning). */
  cacheEvent(event: CacheEvent): void {
    this.cacheCounters.record(event);
  }

  /** Every metric, now. */
  snapshot(): MetricsSnapshot {
    const now = performance.now();
    const models = [...this.models.values()].map((s) => this.view(s, now, s.queueDepth, s.maxQueueDepth));
    const modalities = [...this.modalities.values()].map((s) => {
      const members = [...this.models.values()].filter((m) => m.modality === s.name);
      return this.view(
        s,
        now,
        members.reduce((sum, m) => sum + m.queueDepth, 0),
        members.reduce((max, m) => Math.max(max, m.maxQueueDepth), 0),
      );
    });
    return { takenAt: now, uptimeMs: now - this.startedAt, windowMs: this.slotMs * this.slots, models, modalities, caches: this.cacheCounters.snapshot() };
  }

  /**
   * Call `listener` with a fresh snapshot every `intervalMs` until the returned
   * function is called.
   */
  subscribe(listener: (snapshot: MetricsSnapshot) => void, intervalMs = 1000): () => void {
    if (typeof listener !== 'function') throw metricsOptionError('listener', 'a function', describeValue(listener));
    if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < minIntervalMs)
      throw metricsOptionError('intervalMs', `a number of milliseconds ≥ ${minIntervalMs}`, shown(intervalMs));
    const timer = setInterval(() => listener(this.snapshot()), intervalMs);
    return () => clearInterval(timer);
  }

  /** Prometheus text exposition (format 0.0.4) of the current snapshot. */
  prometheus(): string {
    return prometheusText(this.snapshot());
  }
}

/** The shortest `subscribe` interval: a snapshot per frame at most. */
const minIntervalMs = 16;

/** A value as an error names it: numbers and booleans as written, anything else by its type. */
function metricsOptionError(field: string, expected: string, got: string): InvalidOptionsError {
  return new InvalidOptionsError(`Expected \`${field}\` to be ${expected}, got ${got}.`, { input: field, expected, got });
}

/** `createRuntime({ metrics })`: an object of known keys, a slot of ≥ 100 ms, 1–1000 whole slots, a boolean. */
function checkMetricsOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw metricsOptionError('metrics', 'an object', describeValue(options));
  const known = new Set(['slotMs', 'slots', 'userTiming']);
  for (const key of Object.keys(options))
    if (!known.has(key)) throw metricsOptionError(`metrics.${key}`, 'absent (known: slotMs, slots, userTiming)', 'a value');
  const { slotMs, slots, userTiming } = options as Record<string, unknown>; // keys checked just above, values one by one below
  if (slotMs !== undefined && (typeof slotMs !== 'number' || !Number.isFinite(slotMs) || slotMs < 100))
    throw metricsOptionError('metrics.slotMs', 'a number of milliseconds ≥ 100', shown(slotMs));
  if (slots !== undefined && (typeof slots !== 'number' || !Number.isInteger(slots) || slots < 1 || slots > 1000))
    throw metricsOptionError('metrics.slots', 'a whole number from 1 to 1000', shown(slots));
  if (userTiming !== undefined && typeof userTiming !== 'boolean') throw metricsOptionError('metrics.userTiming', 'a boolean', shown(userTiming));
}
