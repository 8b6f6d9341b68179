/**
 * Load drivers, Node side: check the options, send {@link runLoad} and the caller's page
 * function to the page, and summarise what comes back as a {@link LoadResult}.
 *
 * Closed loop: `clients` callers, each calling again as soon as its last call returned —
 * throughput at a given concurrency. Open loop: arrivals at `ratePerSecond` on average
 * (Poisson), whether or not earlier calls returned, each timed from its scheduled arrival —
 * tail latency at a given offered load, without coordinated omission.
 */
import type { Page } from '@playwright/test';
import type { MetricsSnapshot } from 'inpage';
import { runLoad, type DriverOutcome, type DriverPlan } from './page-driver.js';
import { distribution, type Distribution } from './stats.js';

/**
 * A function that runs **in the page** (it is sent there as source text, so it cannot use
 * the test file's variables: pass data as `arg`). It gets `arg` and which client and request
 * this is; it is timed until the promise it returns settles, and a rejection counts as an
 * error by its `code` (an `InpageError`'s) or `name`.
 */
export type PageCall<A> = (arg: A, context: { readonly client: number; readonly i: number }) => unknown;

/** Options shared by both drivers. */
export interface LoadOptions<A> {
  /** Measured time, ms. */
  readonly durationMs: number;
  /** Time to run the same load first, unmeasured (JIT, shader compilation, caches), ms. @default 0 */
  readonly warmupMs?: number;
  /** The value passed to the page function (structured-clonable, JSON-safe). */
  readonly arg?: A;
  /** The name of this load in the report and the baseline. @default `closed-<clients>` or `open-<rate>/s` */
  readonly label?: string;
  /** How long to wait for requests still running at the end, ms. @default 30000 */
  readonly drainTimeoutMs?: number;
  /**
   * With a warm-up: reset the page's runtime metrics when it ends, so model budgets and the
   * record cover the measured load only (open loop: warm-up requests still running then are
   * counted when they finish). @default true
   */
  readonly resetMetricsAfterWarmup?: boolean;
}

/** A closed loop: `clients` callers back to back. */
export interface ClosedLoopOptions<A> extends LoadOptions<A> {
  /** Concurrent callers. */
  readonly clients: number;
  /** Stop after this many measured requests (besides the time limit). */
  readonly maxRequests?: number;
}

/** An open loop: Poisson arrivals at `ratePerSecond`. */
export interface OpenLoopOptions<A> extends LoadOptions<A> {
  /** Mean arrivals per second. */
  readonly ratePerSecond: number;
  /** Seed of the arrival times (the same seed, the same schedule). @default 1 */
  readonly seed?: number;
}

/** What a load driver measured. */
export interface LoadResult {
  readonly label: string;
  readonly kind: 'closed' | 'open';
  /** Closed loop: concurrent callers. */
  readonly clients?: number;
  /** Open loop: offered arrivals per second. */
  readonly ratePerSecond?: number;
  /** Measured wall time, ms. */
  readonly durationMs: number;
  readonly sent: number;
  readonly completed: number;
  readonly failed: number;
  /** Still running when the drain timeout passed (they count as errors). */
  readonly unfinished: number;
  /** Failed requests by code. */
  readonly errors: Readonly<Record<string, number>>;
  /** The first few failures, for messages. */
  readonly errorMessages: readonly string[];
  /** (failed + unfinished) ÷ sent; 0 when nothing was sent. */
  readonly errorRate: number;
  /** Completed requests per second of measured time. */
  readonly throughputPerSecond: number;
  /** Latency of the requests that succeeded. */
  readonly latency: Distribution;
  /** Those latencies, ms, in completion order. */
  readonly samples: readonly number[];
  /** Open loop: how late arrivals were dispatched (a busy main thread shows here). */
  readonly dispatchLag?: Distribution;
  /** The page's runtime metrics at the end (null when the page exposes none). */
  readonly metrics: MetricsSnapshot | null;
}

/** A load option that cannot work: named, with what was expected and what came. */
export class LoadOptionsError extends TypeError {
  override readonly name = 'LoadOptionsError';
}

function check(ok: boolean, field: string, expected: string, got: unknown): void {
  if (!ok) throw new LoadOptionsError(`inpage/testing: ${field} must be ${expected}; got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}`);
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
const nonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function commonPlan<A>(options: LoadOptions<A>, call: unknown): Pick<DriverPlan, 'durationMs' | 'warmupMs' | 'drainTimeoutMs' | 'arg' | 'resetMetrics'> {
  check(typeof call === 'function', 'the page function', 'a function (an arrow function or function expression, run in the page)', call);
  check(positive(options.durationMs), 'durationMs', 'a positive number of milliseconds', options.durationMs);
  check(options.warmupMs === undefined || nonNegative(options.warmupMs), 'warmupMs', 'a number of milliseconds ≥ 0', options.warmupMs);
  check(options.drainTimeoutMs === undefined || nonNegative(options.drainTimeoutMs), 'drainTimeoutMs', 'a number of milliseconds ≥ 0', options.drainTimeoutMs);
  check(options.label === undefined || (typeof options.label === 'string' && options.label !== ''), 'label', 'a non-empty string', options.label);
  check(
    options.resetMetricsAfterWarmup === undefined || typeof options.resetMetricsAfterWarmup === 'boolean',
    'resetMetricsAfterWarmup',
    'a boolean',
    options.resetMetricsAfterWarmup,
  );
  return {
    durationMs: options.durationMs,
    warmupMs: options.warmupMs ?? 0,
    drainTimeoutMs: options.drainTimeoutMs ?? 30_000,
    arg: options.arg ?? null,
    resetMetrics: options.resetMetricsAfterWarmup ?? true,
  };
}

/** Check closed-loop options and make the page's plan. */
export function closedPlan<A>(call: PageCall<A>, options: ClosedLoopOptions<A>): DriverPlan {
  const common = commonPlan(options, call);
  check(Number.isInteger(options.clients) && options.clients > 0, 'clients', 'a positive integer', options.clients);
  check(
    options.maxRequests === undefined || (Number.isInteger(options.maxRequests) && options.maxRequests > 0),
    'maxRequests',
    'a positive integer',
    options.maxRequests,
  );
  return { ...common, kind: 'closed', clients: options.clients, ratePerSecond: 0, maxRequests: options.maxRequests ?? 0, seed: 0 };
}

/** Check open-loop options and make the page's plan. */
export function openPlan<A>(call: PageCall<A>, options: OpenLoopOptions<A>): DriverPlan {
  const common = commonPlan(options, call);
  check(positive(options.ratePerSecond), 'ratePerSecond', 'a positive number of arrivals per second', options.ratePerSecond);
  check(options.seed === undefined || Number.isInteger(options.seed), 'seed', 'an integer', options.seed);
  return { ...common, kind: 'open', clients: 0, ratePerSecond: options.ratePerSecond, maxRequests: 0, seed: options.seed ?? 1 };
}

/** Summarise the page's outcome. */
export function loadResult(plan: DriverPlan, label: string | undefined, outcome: DriverOutcome): LoadResult {
  const seconds = outcome.elapsedMs / 1000;
  return {
    label: label ?? (plan.kind === 'closed' ? `closed-${plan.clients}` : `open-${plan.ratePerSecond}/s`),
    kind: plan.kind,
    ...(plan.kind === 'closed' ? { clients: plan.clients } : { ratePerSecond: plan.ratePerSecond }),
    durationMs: outcome.elapsedMs,
    sent: outcome.sent,
    completed: outcome.completed,
    failed: outcome.failed,
    unfinished: outcome.unfinished,
    errors: outcome.errors,
    errorMessages: outcome.errorMessages,
    errorRate: outcome.sent === 0 ? 0 : (outcome.failed + outcome.unfinished) / outcome.sent,
    throughputPerSecond: seconds > 0 ? outcome.completed / seconds : 0,
    latency: distribution(outcome.samples),
    samples: outcome.samples,
    ...(plan.kind === 'open' ? { dispatchLag: distribution(outcome.dispatchLagMs) } : {}),
    metrics: outcome.metrics,
  };
}

/** Run a plan in the page: {@link runLoad} and the caller's function go as source text (page.evaluate of a string works under any CSP). */
export async function drive(page: Page, call: PageCall<never>, plan: DriverPlan, label: string | undefined): Promise<LoadResult> {
  // The value runLoad returned, cloned back: DriverOutcome by construction.
  const outcome = await page.evaluate<DriverOutcome>(`(${runLoad.toString()})(${call.toString()}, ${JSON.stringify(plan)})`);
  return loadResult(plan, label, outcome);
}
