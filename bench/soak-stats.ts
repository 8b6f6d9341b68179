/**
 * The soak bench's arithmetic (bench/soak.bench.ts), pure and unit-tested: requests into
 * equal time windows with their latency quantiles, the flatness ratio (last window ÷
 * first), and the checks against issue 15's bars.
 */
import { quantileSorted } from '../node/testing/stats';

/** One answered request: when it started (ms since the soak began) and how long it took, ms. */
export interface Sample {
  readonly startMs: number;
  readonly ms: number;
}

/** One failed request: when it started and its error code (or message). */
export interface Failure {
  readonly startMs: number;
  readonly code: string;
}

/** One request type's numbers in one window. */
export interface WindowStats {
  /** 1-based. */
  readonly window: number;
  readonly fromS: number;
  readonly toS: number;
  /** Requests started in the window and answered. */
  readonly count: number;
  /** `count` ÷ the window's length. */
  readonly perSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Requests started in the window that failed. */
  readonly errors: number;
}

/** The bars (issue 15, item 6). */
export const soakBars = {
  minRequests: 50_000,
  minSeconds: 600,
  /** p99 of the last window ÷ p99 of the first, per request type. */
  maxP99Ratio: 1.3,
  /** Used heap after GC at the end ÷ at the start, per target (page, each worker). */
  maxHeapRatio: 1.05,
} as const;

/** Nearest-rank quantiles of sorted samples: inpage/testing's. */
export { quantileSorted };

/** The window (0-based) a request started at `startMs` falls in: equal slices of `durationMs`; later starts go to the last. */
export function windowOf(startMs: number, durationMs: number, windows: number): number {
  if (!(durationMs > 0) || windows < 1) throw new RangeError('a soak needs a positive duration and at least one window');
  return Math.min(windows - 1, Math.max(0, Math.floor((startMs / durationMs) * windows)));
}

/** Per-window count, rate, p50/p95/p99 and errors of one request type. */
export function windowStats(samples: readonly Sample[], failures: readonly Failure[], durationMs: number, windows: number): WindowStats[] {
  const latencies: number[][] = Array.from({ length: windows }, () => []);
  const errors = new Array<number>(windows).fill(0);
  for (const s of samples) latencies[windowOf(s.startMs, durationMs, windows)]?.push(s.ms);
  for (const f of failures) {
    const w = windowOf(f.startMs, durationMs, windows);
    errors[w] = (errors[w] ?? 0) + 1;
  }
  const width = durationMs / windows;
  return latencies.map((values, w) => {
    const sorted = values.sort((a, b) => a - b);
    return {
      window: w + 1,
      fromS: (w * width) / 1000,
      toS: ((w + 1) * width) / 1000,
      count: sorted.length,
      perSecond: sorted.length / (width / 1000),
      p50: quantileSorted(sorted, 0.5),
      p95: quantileSorted(sorted, 0.95),
      p99: quantileSorted(sorted, 0.99),
      errors: errors[w] ?? 0,
    };
  });
}

/** p99 of the last window ÷ p99 of the first (NaN when either window is empty). */
export function p99Ratio(windows: readonly WindowStats[]): number {
  const first = windows[0];
  const last = windows.at(-1);
  if (first === undefined || last === undefined || first.count === 0 || last.count === 0) return Number.NaN;
  return last.p99 / first.p99;
}

/** One bar, what was measured, and whether it held. */
export interface Check {
  readonly check: string;
  readonly bar: string;
  readonly measured: string;
  readonly pass: boolean;
}

/** What {@link soakChecks} judges. */
export interface SoakOutcome {
  readonly requests: number;
  /** The soak's own length, s (from the start of the load to its end, not counting the drain). */
  readonly seconds: number;
  /** Each request type's p99 last ÷ first. */
  readonly p99Ratios: readonly { readonly type: string; readonly ratio: number }[];
  /** Used heap after GC, bytes, per target; `end` undefined when the target was gone at the end. */
  readonly heaps: readonly { readonly target: string; readonly start: number; readonly end: number | undefined }[];
  /**
   * Counted resources (sessions, tensors, GPU buffers …) per worker, start and end. Bar: no
   * growth, or for a bounded cache (a pool of free buffers) `limit`: end ≤ limit.
   */
  readonly resources: readonly {
    readonly target: string;
    readonly what: string;
    readonly start: number;
    readonly end: number | undefined;
    readonly limit?: number;
  }[];
  readonly errors: number;
  /** Requests still unanswered when the drain gave up on them. */
  readonly hung: number;
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** The bars as PASS/FAIL lines, in a fixed order: requests, duration, p99 per type, heap per target, resources, errors, hung. */
export function soakChecks(outcome: SoakOutcome): Check[] {
  const checks: Check[] = [
    {
      check: 'requests',
      bar: `≥ ${soakBars.minRequests.toLocaleString('en-US')}`,
      measured: outcome.requests.toLocaleString('en-US'),
      pass: outcome.requests >= soakBars.minRequests,
    },
    { check: 'duration', bar: `≥ ${soakBars.minSeconds} s`, measured: `${fmt(outcome.seconds, 0)} s`, pass: outcome.seconds >= soakBars.minSeconds },
  ];
  for (const { type, ratio } of outcome.p99Ratios)
    checks.push({ check: `p99 last ÷ first: ${type}`, bar: `≤ ${soakBars.maxP99Ratio}`, measured: fmt(ratio), pass: ratio <= soakBars.maxP99Ratio });
  for (const { target, start, end } of outcome.heaps) {
    const ratio = end === undefined ? Number.NaN : end / start;
    checks.push({
      check: `heap after GC, end ÷ start: ${target}`,
      bar: `≤ ${soakBars.maxHeapRatio}`,
      measured: end === undefined ? 'gone at the end' : fmt(ratio, 3),
      pass: ratio <= soakBars.maxHeapRatio,
    });
  }
  for (const { target, what, start, end, limit } of outcome.resources)
    checks.push({
      check: `${what}: ${target}`,
      bar: limit === undefined ? 'no growth' : `≤ ${limit.toLocaleString('en-US')}`,
      measured: end === undefined ? `${start} → gone` : `${start} → ${end}`,
      pass: end !== undefined && end <= (limit ?? start),
    });
  checks.push({ check: 'errors', bar: '0', measured: String(outcome.errors), pass: outcome.errors === 0 });
  checks.push({ check: 'lost or hung requests', bar: '0', measured: String(outcome.hung), pass: outcome.hung === 0 });
  return checks;
}
