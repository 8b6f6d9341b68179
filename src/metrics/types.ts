/** Shapes of metrics snapshots (plain data: safe to JSON.stringify, post or store). */

/** Order statistics of one latency (or size) series, ms unless named otherwise. */
export interface Summary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** A series over the sliding window and since start. */
export interface WindowedSummary {
  readonly window: Summary;
  readonly total: Summary;
}

/** The stages of one request, each timed. */
export type Stage = 'queue' | 'preprocess' | 'inference' | 'postprocess' | 'endToEnd';

/** Tokens counted since start (or the last reset), over finished generations. */
export interface TokenTotals {
  /** Prompt tokens, cached or not. */
  readonly prompt: number;
  /** Prompt tokens whose keys/values came from the KV prefix cache instead of a prefill. */
  readonly cachedPrompt: number;
  readonly generated: number;
}

/** Generation-specific series. */
export interface GenerationMetrics {
  readonly timeToFirstTokenMs: WindowedSummary;
  readonly interTokenMs: WindowedSummary;
  readonly tokensPerSecond: WindowedSummary;
  /** Per request. */
  readonly promptTokens: WindowedSummary;
  /** Per request: prompt tokens the KV prefix cache supplied. */
  readonly cachedPromptTokens: WindowedSummary;
  /** Per request: generated tokens. */
  readonly outputTokens: WindowedSummary;
  /** Per request: the prefill's engine call, ms. */
  readonly prefillMs: WindowedSummary;
  /** Per generated token after the first: the decode step's engine call, ms (shared by every sequence in its batch). */
  readonly decodeStepMs: WindowedSummary;
  /** Per generated token after the first: sequences decoded in the same engine call (continuous batching). */
  readonly decodeBatchSize: WindowedSummary;
  readonly tokens: TokenTotals;
}

/** Everything measured for one model (or one modality, aggregated). */
export interface SeriesMetrics {
  readonly name: string;
  readonly modality: string;
  readonly backend: string;
  readonly requests: number;
  readonly completed: number;
  /** Requests accepted and not yet answered or failed (queued, batching or running). */
  readonly inFlight: number;
  /** Times a replica was loaded again into a fresh worker after its worker died (crash, silent end, watchdog). */
  readonly workerRestarts: number;
  /** Requests sent again on a fresh worker after theirs died (each at most once; those that failed again count in `errors`). */
  readonly retries: number;
  /** Failed requests by error code. */
  readonly errors: Readonly<Record<string, number>>;
  readonly stages: Readonly<Record<Stage, WindowedSummary>>;
  /** Units per engine call (frames, crops, texts …). */
  readonly batchUnits: WindowedSummary;
  /** Batches by size: size → count, since start. */
  readonly batchSizeCounts: Readonly<Record<string, number>>;
  readonly queueDepth: number;
  readonly maxQueueDepth: number;
  /** Completed requests per second over the window. */
  readonly throughputPerSecond: number;
  readonly generation?: GenerationMetrics;
}

/** Counters of one cache since start. */
export interface CacheMetrics {
  readonly name: string;
  readonly hits: number;
  /** Hits by the level that answered (`memory`, `indexeddb`, `revalidated`). */
  readonly hitsByTier: Readonly<Record<string, number>>;
  readonly misses: number;
  /** hits / (hits + misses); 0 before any lookup. */
  readonly hitRate: number;
  readonly stores: number;
  readonly bytesWritten: number;
  readonly evictions: number;
  readonly bytesEvicted: number;
  readonly deletes: number;
  /** Stored entries that failed their hash or size check (dropped, then re-fetched). */
  readonly integrityFailures: number;
  /** Degradations (no room, storage unavailable); the last one's message. */
  readonly warnings: number;
  readonly lastWarning?: string;
}

/** A point-in-time view of every metric. */
export interface MetricsSnapshot {
  /** `performance.now()` when taken. */
  readonly takenAt: number;
  readonly uptimeMs: number;
  readonly windowMs: number;
  readonly models: readonly SeriesMetrics[];
  readonly modalities: readonly SeriesMetrics[];
  /** Weights, embeddings, results and KV-prefix caches. */
  readonly caches: readonly CacheMetrics[];
}
