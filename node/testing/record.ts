/**
 * Per-test performance records and baselines: what a test measured (its loads, the page's
 * models and caches, the adapter and browser), as JSON and Markdown; the numbers a baseline
 * keeps per load and model; and the comparison that calls a change a regression when the
 * ratio to the baseline passes a tolerance. Pure; the reporter does the file I/O.
 */
import type { MetricsSnapshot } from 'inpage';
import type { AdapterInfo } from './adapter.js';
import type { LoadResult } from './load.js';
import { cell, markdownTable, type Row } from './markdown.js';
import { histogram, type Distribution } from './stats.js';

/** One load as a record keeps it (no raw samples: a histogram instead). */
export interface LoadSummary extends Omit<LoadResult, 'samples' | 'metrics'> {
  /** A text histogram of the latencies. */
  readonly histogram: string;
}

/** One model's numbers at the end of a test, from the page's metrics (sliding window). */
export interface ModelSummary {
  readonly name: string;
  readonly backend: string;
  readonly modality: string;
  readonly requests: number;
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly endToEnd: { readonly p50: number; readonly p95: number; readonly p99: number };
  readonly inferenceP95: number;
  readonly queueP95: number;
  readonly meanBatch: number;
  readonly batchSizeCounts: Readonly<Record<string, number>>;
  readonly throughputPerSecond: number;
  readonly ttftP95?: number;
  readonly tokensPerSecondP50?: number;
}

/** One cache's counters. */
export interface CacheSummary {
  readonly name: string;
  readonly hits: number;
  readonly misses: number;
  readonly hitRate: number;
}

/** Everything one test measured. */
export interface PerfRecord {
  readonly version: 1;
  readonly test: { readonly title: string; readonly titlePath: readonly string[]; readonly file: string; readonly project: string };
  readonly browser: string;
  readonly adapter: AdapterInfo | null;
  readonly loads: readonly LoadSummary[];
  readonly models: readonly ModelSummary[];
  readonly caches: readonly CacheSummary[];
}

/** Keep a load without its raw samples. */
export function summarizeLoad(load: LoadResult): LoadSummary {
  const { samples, metrics, ...rest } = load; // the metrics are summarised once per test, not per load
  return { ...rest, histogram: histogram(samples) };
}

/** The models and caches of a metrics snapshot, as a record keeps them. */
export function summarizeMetrics(snapshot: MetricsSnapshot | null): { models: ModelSummary[]; caches: CacheSummary[] } {
  if (snapshot === null) return { models: [], caches: [] };
  const models = snapshot.models.map((m): ModelSummary => {
    const e2e = m.stages.endToEnd.window;
    return {
      name: m.name,
      backend: m.backend,
      modality: m.modality,
      requests: m.requests,
      failed: Object.values(m.errors).reduce((sum, n) => sum + n, 0),
      errors: m.errors,
      endToEnd: { p50: e2e.p50, p95: e2e.p95, p99: e2e.p99 },
      inferenceP95: m.stages.inference.window.p95,
      queueP95: m.stages.queue.window.p95,
      meanBatch: m.batchUnits.total.mean,
      batchSizeCounts: m.batchSizeCounts,
      throughputPerSecond: m.throughputPerSecond,
      ...(m.generation === undefined
        ? {}
        : { ttftP95: m.generation.timeToFirstTokenMs.window.p95, tokensPerSecondP50: m.generation.tokensPerSecond.window.p50 }),
    };
  });
  const caches = snapshot.caches.map((c) => ({ name: c.name, hits: c.hits, misses: c.misses, hitRate: c.hitRate }));
  return { models, caches };
}

/** The names of the numbers a baseline keeps. */
export type MetricName = 'p50Ms' | 'p95Ms' | 'p99Ms' | 'throughputPerSecond' | 'errorRate' | 'ttftP95Ms' | 'tokensPerSecond';

/** Which way is better for each metric; `errorRate` compares by difference, the rest by ratio. */
export const metricDirection: Readonly<Record<MetricName, 'lower' | 'higher'>> = {
  p50Ms: 'lower',
  p95Ms: 'lower',
  p99Ms: 'lower',
  throughputPerSecond: 'higher',
  errorRate: 'lower',
  ttftP95Ms: 'lower',
  tokensPerSecond: 'higher',
};

/** A baseline entry: metric → value. */
export type MetricValues = Partial<Record<MetricName, number>>;

/** A baseline file: entries keyed `project › file › test title › load label` (or `… › model:<name>`). */
export interface Baseline {
  readonly version: 1;
  readonly createdAt: string;
  readonly entries: Readonly<Record<string, MetricValues>>;
}

const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

function values(pairs: readonly [MetricName, number | undefined][]): MetricValues {
  return Object.fromEntries(pairs.filter((p): p is [MetricName, number] => finite(p[1])));
}

/** The numbers of one record a baseline keeps: per load, latency percentiles, throughput and error rate; per model, its end-to-end percentiles and generation speed. */
export function baselineEntries(record: PerfRecord): Record<string, MetricValues> {
  const prefix = [record.test.project, record.test.file, ...record.test.titlePath].filter((p) => p !== '').join(' › ');
  const entries: Record<string, MetricValues> = {};
  for (const load of record.loads)
    entries[`${prefix} › ${load.label}`] = values([
      ['p50Ms', load.latency.p50],
      ['p95Ms', load.latency.p95],
      ['p99Ms', load.latency.p99],
      ['throughputPerSecond', load.throughputPerSecond],
      ['errorRate', load.errorRate],
    ]);
  for (const model of record.models.filter((m) => m.requests > 0))
    entries[`${prefix} › model:${model.name}`] = values([
      ['p50Ms', model.endToEnd.p50],
      ['p95Ms', model.endToEnd.p95],
      ['p99Ms', model.endToEnd.p99],
      ['errorRate', model.requests === 0 ? 0 : model.failed / model.requests],
      ['ttftP95Ms', model.ttftP95],
      ['tokensPerSecond', model.tokensPerSecondP50],
    ]);
  return entries;
}

/** How much change a comparison lets pass. */
export interface Tolerance {
  /** Allowed ratio beyond 1 in the bad direction, per metric or for all: 0.2 fails a p95 20% above its baseline or a throughput that fell below baseline ÷ 1.2. @default 0.2 */
  readonly ratio?: number | Partial<Record<MetricName, number>>;
  /** Latencies: changes smaller than this many ms never count (sub-millisecond jitter). @default 1 */
  readonly minDeltaMs?: number;
  /** Error rate: allowed rise in absolute terms (0.01 = one point). @default 0.01 */
  readonly errorRate?: number;
}

/** One metric compared with its baseline. */
export interface MetricComparison {
  readonly key: string;
  readonly metric: MetricName;
  readonly baseline: number;
  readonly current: number;
  /** current ÷ baseline (NaN when the baseline is 0). */
  readonly ratio: number;
  readonly verdict: 'regression' | 'improvement' | 'within tolerance';
}

/** A whole run compared with a baseline. */
export interface BaselineComparison {
  readonly compared: readonly MetricComparison[];
  readonly regressions: readonly MetricComparison[];
  /** Baseline entries this run did not measure. */
  readonly missing: readonly string[];
  /** Entries this run measured that the baseline lacks. */
  readonly added: readonly string[];
}

function ratioTolerance(tolerance: Tolerance, metric: MetricName): number {
  const ratio = tolerance.ratio ?? 0.2;
  return typeof ratio === 'number' ? ratio : (ratio[metric] ?? 0.2);
}

function verdictOf(metric: MetricName, baseline: number, current: number, tolerance: Tolerance): MetricComparison['verdict'] {
  if (metric === 'errorRate') {
    const allowed = tolerance.errorRate ?? 0.01;
    return current - baseline > allowed ? 'regression' : baseline - current > allowed ? 'improvement' : 'within tolerance';
  }
  const limit = 1 + ratioTolerance(tolerance, metric);
  const worse = metricDirection[metric] === 'lower' ? current / baseline : baseline / current;
  const latency = metric.endsWith('Ms');
  const delta = Math.abs(current - baseline);
  if (latency && delta < (tolerance.minDeltaMs ?? 1)) return 'within tolerance';
  if (worse > limit) return 'regression';
  if (1 / worse > limit) return 'improvement';
  return 'within tolerance';
}

/** Compare a run's entries with a baseline's, metric by metric. */
export function compareWithBaseline(current: Readonly<Record<string, MetricValues>>, baseline: Baseline, tolerance: Tolerance = {}): BaselineComparison {
  const compared: MetricComparison[] = [];
  for (const [key, now] of Object.entries(current)) {
    const before = baseline.entries[key];
    if (before === undefined) continue;
    for (const metric of Object.keys(metricDirection) as MetricName[]) {
      const b = before[metric];
      const c = now[metric];
      if (!finite(b) || !finite(c)) continue;
      compared.push({ key, metric, baseline: b, current: c, ratio: b === 0 ? Number.NaN : c / b, verdict: verdictOf(metric, b, c, tolerance) });
    }
  }
  return {
    compared,
    regressions: compared.filter((c) => c.verdict === 'regression'),
    missing: Object.keys(baseline.entries).filter((key) => current[key] === undefined),
    added: Object.keys(current).filter((key) => baseline.entries[key] === undefined),
  };
}

/** A comparison as Markdown: regressions first, then every metric compared. */
export function comparisonMarkdown(comparison: BaselineComparison): string {
  const row = (c: MetricComparison): Row => ({
    entry: c.key,
    metric: c.metric,
    baseline: c.baseline,
    current: c.current,
    '× baseline': Number.isFinite(c.ratio) ? c.ratio : '—',
    verdict: c.verdict,
  });
  const lines = ['## Baseline comparison', ''];
  lines.push(comparison.regressions.length === 0 ? 'No regressions.' : `**${comparison.regressions.length} regression(s):**`, '');
  if (comparison.regressions.length > 0) lines.push(markdownTable(comparison.regressions.map(row)), '');
  if (comparison.compared.length > 0) lines.push('Every metric compared:', '', markdownTable(comparison.compared.map(row)), '');
  if (comparison.missing.length > 0) lines.push(`Not measured this run: ${comparison.missing.join('; ')}`, '');
  if (comparison.added.length > 0) lines.push(`New (not in the baseline): ${comparison.added.join('; ')}`, '');
  return lines.join('\n');
}

function latencyCells(d: Distribution): Row {
  return { 'p50 ms': d.p50, 'p90 ms': d.p90, 'p95 ms': d.p95, 'p99 ms': d.p99, 'max ms': d.max };
}

/** One test's record as Markdown: loads (with histograms), models, caches, adapter and browser. */
export function recordMarkdown(record: PerfRecord): string {
  const adapter = record.adapter === null ? 'not read' : record.adapter.summary;
  const lines = [
    `## ${[record.test.file, ...record.test.titlePath].filter((p) => p !== '').join(' › ')}`,
    '',
    `project: ${record.test.project || '(default)'} · browser: ${record.browser} · WebGPU: ${adapter}`,
    '',
  ];
  if (record.loads.length > 0) {
    lines.push(
      markdownTable(
        record.loads.map((l) => ({
          load: l.label,
          kind: l.kind === 'closed' ? `closed, ${l.clients ?? 0} clients` : `open, ${cell(l.ratePerSecond ?? 0)}/s`,
          requests: l.sent,
          errors: l.failed + l.unfinished,
          'req/s': l.throughputPerSecond,
          ...latencyCells(l.latency),
        })),
      ),
      '',
    );
    for (const l of record.loads) lines.push(`Latency of "${l.label}":`, '', '```', l.histogram, '```', '');
  }
  if (record.models.length > 0)
    lines.push(
      markdownTable(
        record.models.map((m) => ({
          model: m.name,
          backend: m.backend,
          requests: m.requests,
          errors: m.failed,
          'e2e p50 ms': m.endToEnd.p50,
          'e2e p95 ms': m.endToEnd.p95,
          'e2e p99 ms': m.endToEnd.p99,
          'inference p95 ms': m.inferenceP95,
          'queue p95 ms': m.queueP95,
          'mean batch': m.meanBatch,
          'batch sizes': Object.entries(m.batchSizeCounts)
            .map(([size, n]) => `${size}×${n}`)
            .join(' '),
          ...(m.ttftP95 === undefined ? {} : { 'TTFT p95 ms': m.ttftP95, 'tokens/s': m.tokensPerSecondP50 ?? '' }),
        })),
      ),
      '',
    );
  if (record.caches.length > 0)
    lines.push(markdownTable(record.caches.map((c) => ({ cache: c.name, 'hit rate': c.hitRate, hits: c.hits, misses: c.misses }))), '');
  return lines.join('\n');
}
