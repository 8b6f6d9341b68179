import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchSizer } from './batch-sizer';
import { DynamicBatcher, type BatchExecutor } from './batcher';
import { resolvePolicy } from './policy';
import { RefillSplit } from './refill-split';
import { Router } from './router';

/** A sizer that has seen batches of `sizes` cost `cost(n)` ms. */
function trained(cost: (n: number) => number, sizes: readonly number[]): BatchSizer {
  const sizer = new BatchSizer(32, 0, 0);
  for (let round = 0; round < 3; round += 1) for (const n of sizes) sizer.record(n, cost(n));
  return sizer;
}

/** A refill gap of `gap` ms measured on replica 0 after a batch whose service is `service` ms. */
function withGap(gap: number, service: number): RefillSplit {
  const split = new RefillSplit();
  split.ended(0, 100, true);
  split.dispatched(0, 100 + gap, 100 + gap / 2, service);
  return split;
}

describe('BatchSizer.estimate', () => {
  it('gives measured sizes their time and sizes between them a straight line; nothing outside', () => {
    const sizer = trained((n) => 1 + 0.2 * n, [1, 32]);
    expect(sizer.estimate(32)).toBeCloseTo(7.4);
    expect(sizer.estimate(16)).toBeCloseTo(1.2 + ((7.4 - 1.2) * 15) / 31);
    expect(sizer.estimate(64)).toBeUndefined();
    expect(trained((n) => n, [8]).estimate(4)).toBeUndefined();
  });
});

describe('RefillSplit', () => {
  it('measures the gap only when the whole batch arrived after the replica went idle, within a service time', () => {
    const split = new RefillSplit();
    split.ended(0, 100, true);
    split.dispatched(0, 103, 99, 10); // a request older than the end: it waited, no refill
    expect(split.gapMs).toBeUndefined();
    split.ended(0, 200, true);
    split.dispatched(0, 250, 240, 10); // 50 ms later: new load on an idle replica, not a refill
    expect(split.gapMs).toBeUndefined();
    split.ended(0, 300, false); // something still ran there: no gap to speak of
    split.dispatched(0, 302, 301, 10);
    expect(split.gapMs).toBeUndefined();
    split.ended(0, 400, true);
    split.dispatched(0, 402, 401, 10);
    expect(split.gapMs).toBe(2);
  });

  it('sends half when two halves cost less than one batch plus the gap (cost grows with the batch)', () => {
    const sizer = trained((n) => 0.5 + 0.2 * n, [1, 8, 16, 32]); // like Silero on WASM
    const split = withGap(2, 7);
    expect(split.units(32, sizer, true)).toBe(16);
    expect(split.halfUnits).toBe(16);
    expect(split.units(32, sizer, false)).toBe(32); // no second slot: no split
    expect(split.halfUnits).toBeUndefined();
  });

  it('never splits where a batch costs about the same at any size (a GPU call)', () => {
    const sizer = trained((n) => 27 + 0.1 * n, [1, 8, 16, 32]); // like Silero on WebGPU
    const split = withGap(2, 30);
    expect(split.units(32, sizer, true)).toBe(32);
    expect(split.halfUnits).toBeUndefined();
  });

  it('does not split to find out: with the halves unmeasured, the batch goes whole', () => {
    const sizer = trained((n) => 0.5 + 0.2 * n, [32]);
    const split = withGap(2, 7);
    expect(Array.from({ length: 40 }, () => split.units(32, sizer, true))).not.toContain(16);
  });
});

describe('Router.end', () => {
  it('counts a batch sent behind another from when that one ended, not from when it was sent', () => {
    const router = new Router(1, 2);
    const [replica] = router.replicas;
    if (replica === undefined) throw new Error('no replica');
    router.begin(replica, 1, 0, 10);
    router.begin(replica, 1, 2, 10);
    expect(router.end(replica, 1, 0, 10)).toBe(10);
    expect(router.end(replica, 1, 2, 18)).toBe(8);
  });
});

describe('DynamicBatcher with callers that ask again after a refill gap', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** One replica that runs its batches one after another; a batch of n takes cost(n) ms. */
  function serialEngine(cost: (n: number) => number) {
    const sizes: number[] = [];
    let freeAt = 0;
    const execute: BatchExecutor<number, number> = (payloads) => {
      sizes.push(payloads.length);
      const start = Math.max(performance.now(), freeAt);
      freeAt = start + cost(payloads.length);
      return new Promise((resolve) => setTimeout(() => resolve(payloads.map((p) => p)), freeAt - performance.now()));
    };
    return { sizes, execute };
  }

  /** 8 closed-loop callers, each taking `refillMs` after its answer before asking again, for `ms`. */
  async function closedLoop(cost: (n: number) => number, refillMs: number, ms: number) {
    const engine = serialEngine(cost);
    const batcher = new DynamicBatcher('m', resolvePolicy('audio', { maxBatchSize: 8, maxQueueDelayMs: 5 }), engine.execute);
    // Lone requests first (a stream's first frames): the batcher knows a batch of 1's cost.
    for (let i = 0; i < 3; i += 1) {
      const lone = batcher.submit(-1);
      await vi.advanceTimersByTimeAsync(cost(1));
      await lone;
    }
    let answered = 0;
    let running = true;
    // Callers answered together resume together, in one task (one timer), as on a page.
    let refill: Promise<void> | undefined;
    const refilled = (): Promise<void> =>
      (refill ??= new Promise((resolve) =>
        setTimeout(() => {
          refill = undefined;
          resolve();
        }, refillMs),
      ));
    const callers = Array.from({ length: 8 }, async (_, c) => {
      while (running) {
        await batcher.submit(c);
        answered += 1;
        await refilled();
      }
    });
    await vi.advanceTimersByTimeAsync(ms);
    running = false;
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(callers);
    return { answered, sizes: engine.sizes };
  }

  it('hides the gap behind a second half-batch where cost grows with the batch', async () => {
    // One batch of 8: 9 ms + 3 ms refill = 12 ms per round (8 per 12 ms). Halves: 5 ms each, a
    // half's refill hidden behind the other half: 8 per 10 ms.
    const { answered, sizes } = await closedLoop((n) => 1 + n, 3, 1200);
    const halves = sizes.filter((n) => n === 4).length;
    expect(halves / sizes.length).toBeGreaterThan(0.8);
    expect(answered).toBeGreaterThan((1200 / 12) * 8 * 1.1);
  });

  it('joins halves again when they stop paying: a whole batch first timed while compiling does not keep them apart', async () => {
    // The first batches of 8 take 300 ms (new shapes compiling, as on TF.js WebGPU), then every
    // batch costs 10 ms at any size. The stale time makes halves look cheap at first.
    let wholes = 0;
    const { sizes } = await closedLoop((n) => (n === 8 && (wholes += 1) <= 3 ? 300 : 10), 3, 3000);
    expect(sizes.slice(0, 12)).toContain(4);
    const late = sizes.slice(Math.floor(sizes.length / 2));
    expect(late.filter((n) => n === 8).length / late.length).toBeGreaterThan(0.9);
  });

  it('keeps whole batches where a batch costs the same at any size', async () => {
    const { sizes } = await closedLoop(() => 10, 3, 1200);
    expect(sizes.filter((n) => n === 8).length / sizes.length).toBeGreaterThan(0.9);
  });
});
