/**
 * The page side of `inpage/testing`: one global hook through which a Playwright test reads
 * the live metrics of the page's runtimes and waits for them to go idle.
 *
 * A page opts in with `exposeMetrics(runtime)`; or, with no change to the app, every
 * runtime created while `globalThis.__INPAGE_EXPOSE_METRICS__` is `true` exposes itself
 * (the testing fixture sets that flag before the page's scripts run). Nothing is exposed
 * otherwise.
 */
import type { MetricsSnapshot } from './types';

/** The global the hook lives on (read by `inpage/testing`). */
export const metricsHookName = '__inpage__';
/** The global flag that makes every new runtime expose itself (set by `inpage/testing`'s fixture). */
export const autoExposeFlag = '__INPAGE_EXPOSE_METRICS__';

/** What {@link exposeMetrics} reads from a runtime: its live metrics. */
export interface MetricsSource {
  readonly metrics: {
    /** Every metric, now (a runtime's `metrics.snapshot()`). */
    snapshot(): MetricsSnapshot;
    /** Start the metrics afresh (a runtime's `metrics.reset()`). */
    reset(): void;
  };
}

/** The hook `inpage/testing` reads in the page: `globalThis.__inpage__`. */
export interface MetricsHook {
  /** The hook's protocol version; the testing kit refuses versions it does not know. */
  readonly version: 1;
  /** How many runtimes are exposed. */
  readonly runtimes: number;
  /** One snapshot of every exposed runtime: their models, modalities and caches, concatenated. */
  snapshot(): MetricsSnapshot;
  /** Whether every exposed runtime's queues are empty and no request is in flight. */
  idle(): boolean;
  /** Start every exposed runtime's metrics afresh (the load drivers do when their warm-up ends). */
  reset(): void;
}

interface HookGlobal {
  [metricsHookName]?: MetricsHook;
  [autoExposeFlag]?: unknown;
}

const exposed = new Set<MetricsSource>();

function merged(): MetricsSnapshot {
  const snapshots = [...exposed].map((source) => source.metrics.snapshot());
  return {
    takenAt: performance.now(),
    uptimeMs: Math.max(0, ...snapshots.map((s) => s.uptimeMs)),
    windowMs: snapshots[0]?.windowMs ?? 0,
    models: snapshots.flatMap((s) => s.models),
    modalities: snapshots.flatMap((s) => s.modalities),
    caches: snapshots.flatMap((s) => s.caches),
  };
}

const hook: MetricsHook = {
  version: 1,
  get runtimes() {
    return exposed.size;
  },
  snapshot: merged,
  idle: () => merged().models.every((m) => m.queueDepth === 0 && m.inFlight === 0),
  reset: () => {
    for (const source of exposed) source.metrics.reset();
  },
};

/**
 * Let `inpage/testing` (a Playwright test) read this runtime's live metrics: per-model
 * stage percentiles, batch sizes, errors by code, cache hit rates, time to first token. Call
 * it once per runtime; it returns a function that withdraws the runtime again.
 *
 * @example
 * const runtime = createRuntime();
 * if (import.meta.env.DEV) exposeMetrics(runtime);
 */
export function exposeMetrics(runtime: MetricsSource): () => void {
  exposed.add(runtime);
  (globalThis as HookGlobal)[metricsHookName] = hook;
  return () => {
    exposed.delete(runtime);
  };
}

/** Expose `runtime` when the testing fixture asked for every runtime (see {@link autoExposeFlag}). */
export function exposeIfAsked(runtime: MetricsSource): void {
  if ((globalThis as HookGlobal)[autoExposeFlag] === true) exposeMetrics(runtime);
}
