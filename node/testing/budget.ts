/**
 * Latency budgets: `expect(result).toMeetLatencyBudget({ … })` judges a load's client-side
 * latency or one model's live metrics against limits, and says which limit broke and what
 * the distribution looked like. Pure; the matcher in ./fixture wraps {@link judgeBudget}.
 */
import type { MetricsSnapshot, SeriesMetrics, Stage, Summary } from 'inpage';
import type { LoadResult } from './load.js';
import { describeDistribution, histogram, ms } from './stats.js';

/** Limits one measurement must stay within; give at least one. */
export interface LatencyBudget {
  /** Judge this model's metrics (its name in the snapshot, e.g. `vad` or the id given to `runtime.load`); without it, a load's own client-side latencies. */
  readonly model?: string;
  /** With `model`: the stage whose latency is judged. @default 'endToEnd' */
  readonly stage?: Stage;
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
  /** Failed (and, for a load, unfinished) requests ÷ requests, at most. */
  readonly errorRate?: number;
  /** With `model`, a generation model: p95 time to first token, ms, at most. */
  readonly ttftMs?: number;
  /** With `model`, a generation model: median tokens per second per generation, at least. */
  readonly tokensPerSecond?: number;
}

/** A budget's verdict: whether it held, and a message for either outcome. */
export interface BudgetVerdict {
  readonly pass: boolean;
  readonly message: string;
}

const limits = ['p50Ms', 'p95Ms', 'p99Ms', 'errorRate', 'ttftMs', 'tokensPerSecond'] as const;
const stages: readonly Stage[] = ['queue', 'preprocess', 'inference', 'postprocess', 'endToEnd'];

/** Whether a value is a {@link LoadResult} (rather than a metrics snapshot). */
export function isLoadResult(value: unknown): value is LoadResult {
  return typeof value === 'object' && value !== null && 'samples' in value && 'latency' in value && 'kind' in value;
}

function isSnapshot(value: unknown): value is MetricsSnapshot {
  return typeof value === 'object' && value !== null && 'models' in value && Array.isArray(value.models) && 'caches' in value;
}

interface Check {
  readonly what: string;
  readonly value: number;
  readonly limit: number;
  /** `max`: the value must not exceed the limit; `min`: it must not fall below. */
  readonly kind: 'max' | 'min';
  readonly unit: 'ms' | 'rate' | 'per-second';
}

function shown(value: number, unit: Check['unit']): string {
  if (unit === 'ms') return ms(value);
  if (unit === 'rate') return `${Number((value * 100).toPrecision(3))}%`;
  return `${Number(value.toPrecision(3))}/s`;
}

function held(check: Check): boolean {
  return Number.isFinite(check.value) && (check.kind === 'max' ? check.value <= check.limit : check.value >= check.limit);
}

function line(check: Check): string {
  const ok = held(check);
  const op = check.kind === 'max' ? (ok ? '≤' : '>') : ok ? '≥' : '<';
  const value = Number.isFinite(check.value) ? shown(check.value, check.unit) : 'no samples';
  return `  ${ok ? '✓' : '✗'} ${check.what} ${value} ${Number.isFinite(check.value) ? op : 'vs'} budget ${shown(check.limit, check.unit)}`;
}

function checkBudget(budget: LatencyBudget): string | undefined {
  if (typeof budget !== 'object' || budget === null) return 'the budget must be an object such as { p95Ms: 50 }';
  const given = limits.filter((key) => budget[key] !== undefined);
  if (given.length === 0) return `the budget sets no limit; give at least one of ${limits.join(', ')}`;
  for (const key of given) {
    const value = budget[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return `budget.${key} must be a number ≥ 0; got ${String(value)}`;
  }
  if (budget.stage !== undefined && !stages.includes(budget.stage)) return `budget.stage must be one of ${stages.join(', ')}; got ${String(budget.stage)}`;
  if (budget.model === undefined && (budget.ttftMs !== undefined || budget.tokensPerSecond !== undefined))
    return 'ttftMs and tokensPerSecond are read from a generation model\u2019s metrics: name it with budget.model';
  return undefined;
}

function summaryLine(s: Summary): string {
  return `n=${s.count} · mean ${ms(s.mean)} · p50 ${ms(s.p50)} · p95 ${ms(s.p95)} · p99 ${ms(s.p99)} · max ${ms(s.max)}`;
}

/** The budget's p50/p95/p99 limits against these percentiles, named `<prefix>p50` …. */
function percentileChecks(prefix: string, percentiles: { readonly p50: number; readonly p95: number; readonly p99: number }, budget: LatencyBudget): Check[] {
  const limits = [
    ['p50', budget.p50Ms],
    ['p95', budget.p95Ms],
    ['p99', budget.p99Ms],
  ] as const;
  return limits.flatMap(([p, limit]) =>
    limit === undefined ? [] : [{ what: `${prefix}${p}`, value: percentiles[p], limit, kind: 'max' as const, unit: 'ms' as const }],
  );
}

function loadChecks(load: LoadResult, budget: LatencyBudget): Check[] {
  const checks = percentileChecks('', load.latency, budget);
  if (budget.errorRate !== undefined) checks.push({ what: 'error rate', value: load.errorRate, limit: budget.errorRate, kind: 'max', unit: 'rate' });
  return checks;
}

function modelChecks(model: SeriesMetrics, budget: LatencyBudget): { checks: Check[]; context: string[] } {
  const stage = budget.stage ?? 'endToEnd';
  const summary = model.stages[stage].window;
  const failed = Object.values(model.errors).reduce((sum, n) => sum + n, 0);
  const checks = percentileChecks(`${stage} `, summary, budget);
  if (budget.errorRate !== undefined)
    checks.push({ what: 'error rate', value: model.requests === 0 ? 0 : failed / model.requests, limit: budget.errorRate, kind: 'max', unit: 'rate' });
  const generation = model.generation;
  if (budget.ttftMs !== undefined)
    checks.push({
      what: 'time to first token p95',
      value: generation?.timeToFirstTokenMs.window.p95 ?? Number.NaN,
      limit: budget.ttftMs,
      kind: 'max',
      unit: 'ms',
    });
  if (budget.tokensPerSecond !== undefined)
    checks.push({
      what: 'tokens/s (median)',
      value: generation?.tokensPerSecond.window.p50 ?? Number.NaN,
      limit: budget.tokensPerSecond,
      kind: 'min',
      unit: 'per-second',
    });
  const context = [
    `model "${model.name}" on ${model.backend}: ${model.requests} requests, ${failed} failed${
      failed > 0
        ? ` (${Object.entries(model.errors)
            .map(([code, n]) => `${code} ${n}`)
            .join(', ')})`
        : ''
    }`,
    `${stage} over the last window: ${summaryLine(summary)}`,
  ];
  if (generation !== undefined) context.push(`time to first token: ${summaryLine(generation.timeToFirstTokenMs.window)}`);
  const sizes = Object.entries(model.batchSizeCounts);
  if (sizes.length > 0) context.push(`batch sizes (size×batches): ${sizes.map(([size, n]) => `${size}×${n}`).join(' ')}`);
  return { checks, context };
}

/** Judge `received` (a {@link LoadResult} or a metrics snapshot) against `budget`. */
export function judgeBudget(received: unknown, budget: LatencyBudget): BudgetVerdict {
  const wrong = checkBudget(budget);
  if (wrong !== undefined) return { pass: false, message: `toMeetLatencyBudget: ${wrong}` };
  let checks: Check[];
  let context: string[];
  let subject: string;
  if (budget.model !== undefined) {
    const snapshot = isLoadResult(received) ? received.metrics : isSnapshot(received) ? received : undefined;
    if (snapshot === undefined) return { pass: false, message: 'toMeetLatencyBudget: expected a load result or inpage.metrics(); got something else' };
    if (snapshot === null)
      return {
        pass: false,
        message: `toMeetLatencyBudget: the load has no runtime metrics, so model "${budget.model}" cannot be judged: the page exposes no runtime (exposeMetrics(runtime))`,
      };
    const model = snapshot.models.find((m) => m.name === budget.model);
    if (model === undefined)
      return {
        pass: false,
        message: `toMeetLatencyBudget: no model "${budget.model}" in the page's metrics; models: ${snapshot.models.map((m) => `"${m.name}"`).join(', ') || '(none)'}`,
      };
    ({ checks, context } = modelChecks(model, budget));
    subject = `model "${budget.model}"`;
  } else {
    if (!isLoadResult(received))
      return { pass: false, message: 'toMeetLatencyBudget: without budget.model, expected the result of inpage.closedLoop() or inpage.openLoop()' };
    checks = loadChecks(received, budget);
    const how = received.kind === 'closed' ? `${received.clients ?? 0} clients` : `${received.ratePerSecond ?? 0} arrivals/s`;
    context = [
      `load "${received.label}" (${received.kind} loop, ${how}, ${Math.round(received.durationMs)} ms): ${received.sent} sent, ${received.completed} completed, ${received.failed} failed, ${received.unfinished} unfinished`,
      `latency: ${describeDistribution(received.latency)}`,
      ...(received.errorMessages.length > 0
        ? [
            `errors: ${Object.entries(received.errors)
              .map(([code, n]) => `${code} ${n}`)
              .join(', ')}; first: ${received.errorMessages[0] ?? ''}`,
          ]
        : []),
      histogram(received.samples),
    ];
    subject = `load "${received.label}"`;
  }
  const broken = checks.filter((c) => !held(c));
  const pass = broken.length === 0;
  const head = pass ? `${subject} met its latency budget` : `${subject} broke its latency budget (${broken.map((c) => c.what).join(', ')})`;
  return { pass, message: [head, ...checks.map(line), ...context].join('\n') };
}
