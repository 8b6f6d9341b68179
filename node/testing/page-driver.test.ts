import { runInThisContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { closedPlan, loadResult, openPlan, LoadOptionsError } from './load';
import { runLoad, type DriverCall } from './page-driver';

/** runLoad as the page gets it: rebuilt from its source text in the global scope, so it may use nothing of its module. */
const serialised = runInThisContext(`(${runLoad.toString()})`) as typeof runLoad; // the same function, rebuilt from its text

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the in-page load driver', () => {
  it('runs a closed loop: each client calls again as soon as its call returns', async () => {
    let running = 0;
    let most = 0;
    const call: DriverCall = async (arg) => {
      running += 1;
      most = Math.max(most, running);
      await sleep(Number(arg));
      running -= 1;
    };
    const plan = closedPlan(call, { clients: 4, durationMs: 300, warmupMs: 50, arg: 10 });
    const outcome = await serialised(call, plan);
    expect(most).toBe(4);
    expect(outcome.failed).toBe(0);
    expect(outcome.sent).toBe(outcome.completed);
    // 4 clients × ~300 ms ÷ ~10 ms per call: well above one client's worth, and no more than the ideal.
    expect(outcome.completed).toBeGreaterThan(40);
    expect(outcome.completed).toBeLessThanOrEqual(4 * 31);
    for (const sample of outcome.samples) expect(sample).toBeGreaterThanOrEqual(9);
    const result = loadResult(plan, undefined, outcome);
    expect(result.label).toBe('closed-4');
    expect(result.throughputPerSecond).toBeGreaterThan(100);
  });

  it('stops a closed loop at maxRequests and counts errors by code', async () => {
    const call: DriverCall = (_, { i }) => (i % 2 === 0 ? Promise.resolve() : Promise.reject(Object.assign(new Error('bad frame'), { code: 'INVALID_INPUT' })));
    const outcome = await serialised(call, closedPlan(call, { clients: 1, durationMs: 5000, maxRequests: 10 }));
    expect(outcome).toMatchObject({ sent: 10, completed: 5, failed: 5, errors: { INVALID_INPUT: 5 } });
    expect(outcome.errorMessages[0]).toBe('INVALID_INPUT: bad frame');
    expect(loadResult(closedPlan(call, { clients: 1, durationMs: 1 }), 'x', outcome).errorRate).toBe(0.5);
  });

  it('runs an open loop: arrivals keep coming while calls are slow, each timed from its arrival', async () => {
    const call: DriverCall = () => sleep(50);
    const plan = openPlan(call, { ratePerSecond: 200, durationMs: 500, seed: 7 });
    const outcome = await serialised(call, plan);
    // ~100 arrivals expected (Poisson): far more than a closed loop of one could do in 500 ms.
    expect(outcome.sent).toBeGreaterThan(60);
    expect(outcome.sent).toBeLessThan(140);
    expect(outcome.completed).toBe(outcome.sent);
    expect(outcome.dispatchLagMs).toHaveLength(outcome.sent);
    for (const sample of outcome.samples) expect(sample).toBeGreaterThanOrEqual(49);
    // The same seed gives the same schedule.
    const again = await serialised(call, plan);
    expect(again.sent).toBe(outcome.sent);
  });

  it('counts calls still running after the drain timeout as unfinished', async () => {
    const call: DriverCall = (_, { i }) => (i === 0 ? new Promise(() => undefined) : Promise.resolve());
    const plan = openPlan(call, { ratePerSecond: 50, durationMs: 200, drainTimeoutMs: 100 });
    const outcome = await serialised(call, plan);
    expect(outcome.unfinished).toBe(1);
    expect(loadResult(plan, undefined, outcome).errorRate).toBeCloseTo(1 / outcome.sent);
  });

  it('resets the page metrics when the warm-up ends, unless asked not to', async () => {
    const events: string[] = [];
    const hook = { snapshot: () => null, reset: () => events.push('reset') };
    Object.assign(globalThis, { __inpage__: hook });
    try {
      const call: DriverCall = (_, { i }) => {
        events.push(`call ${i}`);
        return sleep(20);
      };
      await serialised(call, closedPlan(call, { clients: 1, durationMs: 100, warmupMs: 50 }));
      const reset = events.indexOf('reset');
      expect(events.filter((e) => e === 'reset')).toHaveLength(1);
      expect(reset).toBeGreaterThan(0); // after the warm-up's calls, before the measured ones
      expect(events.length - reset - 1).toBeGreaterThan(0);
      events.length = 0;
      await serialised(call, closedPlan(call, { clients: 1, durationMs: 60, warmupMs: 30, resetMetricsAfterWarmup: false }));
      await serialised(call, closedPlan(call, { clients: 1, durationMs: 60 }));
      expect(events).not.toContain('reset');
      await serialised(call, openPlan(call, { ratePerSecond: 100, durationMs: 100, warmupMs: 100 }));
      expect(events.filter((e) => e === 'reset')).toHaveLength(1);
    } finally {
      delete (globalThis as { __inpage__?: unknown }).__inpage__;
    }
  });

  it('refuses options that cannot work, naming them', () => {
    const call = () => undefined;
    expect(() => closedPlan(call, { clients: 0, durationMs: 100 })).toThrow(new LoadOptionsError('inpage/testing: clients must be a positive integer; got 0'));
    expect(() => closedPlan(call, { clients: 2, durationMs: Number.NaN })).toThrow(/durationMs must be a positive number of milliseconds; got NaN/);
    expect(() => openPlan(call, { ratePerSecond: -1, durationMs: 100 })).toThrow(/ratePerSecond must be a positive number/);
    expect(() => openPlan(call, { ratePerSecond: 1, durationMs: 100, warmupMs: -5 })).toThrow(/warmupMs must be a number of milliseconds ≥ 0; got -5/);
    expect(() => closedPlan(call, { clients: 1, durationMs: 100, resetMetricsAfterWarmup: 'yes' as never })).toThrow(
      /resetMetricsAfterWarmup must be a boolean; got "yes"/,
    );
    expect(() => closedPlan('embed' as never, { clients: 1, durationMs: 100 })).toThrow(
      /the page function must be a function \(an arrow function or function expression, run in the page\); got "embed"/,
    );
  });
});
