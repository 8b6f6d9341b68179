/**
 * The load drivers' in-page half: one self-contained function that `inpage/testing` sends to
 * the page as source text (with the caller's function), runs there, and reads back as plain
 * data. It must not refer to anything outside its own body: it is serialised with
 * `Function.prototype.toString()`. Timing is `performance.now()` in the page, so the
 * latency a sample holds is what the page's own code saw.
 */
import type { MetricsSnapshot } from 'inpage';

/** What to run: a closed loop (clients calling back to back) or an open loop (Poisson arrivals). */
export interface DriverPlan {
  readonly kind: 'closed' | 'open';
  /** Closed loop: concurrent clients. */
  readonly clients: number;
  /** Open loop: mean arrivals per second. */
  readonly ratePerSecond: number;
  /** Measured time, ms (after the warm-up). */
  readonly durationMs: number;
  /** Time run the same way first and not measured, ms. */
  readonly warmupMs: number;
  /** Closed loop: stop after this many measured requests (0: no limit). */
  readonly maxRequests: number;
  /** Open loop: the arrival times' random seed. */
  readonly seed: number;
  /** How long to wait for requests still running at the end, ms; those left count as unfinished. */
  readonly drainTimeoutMs: number;
  /** Passed to the caller's function as its first argument. */
  readonly arg: unknown;
  /** Reset the page's exposed metrics when the warm-up ends (only with a warm-up). */
  readonly resetMetrics: boolean;
}

/** What the page measured. */
export interface DriverOutcome {
  /** Latency of each measured request that succeeded, ms, in completion order. Open loop: from its scheduled arrival. */
  readonly samples: number[];
  /** Failed measured requests by error code (`error.code`, else `error.name`). */
  readonly errors: Record<string, number>;
  /** The first few failures' messages. */
  readonly errorMessages: string[];
  readonly sent: number;
  readonly completed: number;
  readonly failed: number;
  /** Still running when the drain timeout passed. */
  readonly unfinished: number;
  /** Measured wall time, ms: closed loop, until the last client stopped; open loop, the arrival window. */
  readonly elapsedMs: number;
  /** Open loop: how late each arrival was dispatched after its scheduled time, ms (timer lag, a busy main thread). */
  readonly dispatchLagMs: number[];
  /** The page's exposed runtimes' metrics at the end, or null when none is exposed. */
  readonly metrics: MetricsSnapshot | null;
}

/** The page function a driver calls: gets `arg` and which client and request this is. */
export type DriverCall = (arg: unknown, context: { readonly client: number; readonly i: number }) => unknown;

/** Runs in the page. Self-contained: see the module comment. */
export async function runLoad(call: DriverCall, plan: DriverPlan): Promise<DriverOutcome> {
  const samples: number[] = [];
  const dispatchLagMs: number[] = [];
  const errors: Record<string, number> = {};
  const errorMessages: string[] = [];
  let sent = 0;
  let completed = 0;
  let failed = 0;
  const codeOf = (error: unknown): string => {
    if (typeof error === 'object' && error !== null) {
      const { code, name } = error as { code?: unknown; name?: unknown };
      if (typeof code === 'string' && code !== '') return code;
      if (typeof name === 'string' && name !== '') return name;
    }
    return typeof error;
  };
  const fail = (error: unknown): void => {
    failed += 1;
    const code = codeOf(error);
    errors[code] = (errors[code] ?? 0) + 1;
    if (errorMessages.length < 3) errorMessages.push(`${code}: ${error instanceof Error ? error.message : String(error)}`);
  };
  /** One call, timed from `since` (ms, performance.now()); `measured` false during the warm-up. */
  const one = async (client: number, i: number, since: number, measured: boolean): Promise<void> => {
    if (measured) sent += 1;
    try {
      await call(plan.arg, { client, i });
      if (measured) {
        samples.push(performance.now() - since);
        completed += 1;
      }
    } catch (error) {
      if (measured) fail(error);
    }
  };
  const settle = async (pending: Set<Promise<void>>): Promise<number> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, plan.drainTimeoutMs);
    });
    await Promise.race([Promise.allSettled([...pending]), timeout]);
    clearTimeout(timer);
    return pending.size;
  };

  const hook = (globalThis as { __inpage__?: { snapshot?: () => MetricsSnapshot; reset?: () => void } }).__inpage__;
  /** The warm-up is over: the page's metrics start afresh, so they cover the measured load. */
  const warmedUp = (): void => {
    if (plan.resetMetrics && plan.warmupMs > 0 && typeof hook?.reset === 'function') hook.reset();
  };
  let elapsedMs: number;
  let unfinished = 0;
  if (plan.kind === 'closed') {
    const loop = async (client: number, until: number, measured: boolean, counter: { i: number }): Promise<void> => {
      while (performance.now() < until && (!measured || plan.maxRequests === 0 || sent < plan.maxRequests)) {
        const i = counter.i;
        counter.i += 1;
        await one(client, i, performance.now(), measured);
      }
    };
    const clients = Array.from({ length: plan.clients }, (_, client) => client);
    const counter = { i: 0 };
    if (plan.warmupMs > 0) {
      const until = performance.now() + plan.warmupMs;
      await Promise.all(clients.map((client) => loop(client, until, false, counter)));
      warmedUp();
    }
    const start = performance.now();
    await Promise.all(clients.map((client) => loop(client, start + plan.durationMs, true, counter)));
    elapsedMs = performance.now() - start;
  } else {
    // Arrival times (ms from the start) with exponential gaps: a Poisson process, seeded.
    let seed = plan.seed >>> 0;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const total = plan.warmupMs + plan.durationMs;
    const arrivals: number[] = [];
    for (let at = -Math.log(1 - random()) * (1000 / plan.ratePerSecond); at < total; at += -Math.log(1 - random()) * (1000 / plan.ratePerSecond))
      arrivals.push(at);
    const pending = new Set<Promise<void>>();
    let measuring = false;
    const start = performance.now();
    await new Promise<void>((resolve) => {
      let next = 0;
      const tick = (): void => {
        const now = performance.now() - start;
        while (next < arrivals.length && (arrivals[next] ?? Infinity) <= now) {
          const at = arrivals[next] ?? now;
          const measured = at >= plan.warmupMs;
          if (measured && !measuring) {
            measuring = true;
            warmedUp();
          }
          if (measured) dispatchLagMs.push(now - at);
          const request = one(0, next, start + at, measured);
          pending.add(request);
          void request.finally(() => pending.delete(request));
          next += 1;
        }
        if (next >= arrivals.length) resolve();
        else setTimeout(tick, Math.max(0, (arrivals[next] ?? now) - (performance.now() - start)));
      };
      tick();
    });
    elapsedMs = Math.max(0, performance.now() - start - plan.warmupMs);
    unfinished = await settle(pending);
  }
  const metrics = typeof hook?.snapshot === 'function' ? hook.snapshot() : null;
  return { samples, errors, errorMessages, sent, completed, failed, unfinished, elapsedMs, dispatchLagMs, metrics };
}
