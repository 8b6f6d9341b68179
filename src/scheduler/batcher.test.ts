import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamicBatcher, type BatchExecutor } from './batcher';
import { resolvePolicy, type BatchPolicy } from './policy';
import { resolveReplicas } from './replicas';

/** A fake engine: a batch of n units takes `cost(n)` ms; records every batch. */
function fakeEngine(cost: (units: number) => number = () => 10) {
  const batches: { payloads: number[]; replica: number; at: number }[] = [];
  const execute: BatchExecutor<number, number> = (payloads, replica) => {
    batches.push({ payloads: [...payloads], replica, at: performance.now() });
    return new Promise((resolve) => setTimeout(() => resolve(payloads.map((p) => p * 2)), cost(payloads.length)));
  };
  return { batches, execute };
}

const policy = (overrides: Partial<BatchPolicy> = {}): BatchPolicy =>
  resolvePolicy('image', { maxBatchSize: 4, maxQueueDelayMs: 5, defaultPriority: 'interactive', ...overrides });

/** Let an idle model's gathering microtasks run (no timer moves). */
async function gathered(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DynamicBatcher', () => {
  it('runs a lone request on an idle model at once, without the queue delay', async () => {
    const engine = fakeEngine();
    const batcher = new DynamicBatcher('m', policy({ maxQueueDelayMs: 50 }), engine.execute);
    const done = batcher.submit(21);
    await gathered(); // a few microtasks, no timer: requests of this same task could have joined
    expect(engine.batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10);
    await expect(done).resolves.toMatchObject({ value: 42, queueMs: 0, batchUnits: 1 });
  });

  it('sends requests made in the same task to an idle model as one batch, callers a few awaits apart included', async () => {
    const engine = fakeEngine();
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 8, maxQueueDelayMs: 50 }), engine.execute);
    const direct = [0, 1, 2].map((n) => batcher.submit(n));
    const late = (async () => {
      await Promise.resolve();
      await Promise.resolve();
      return batcher.submit(3);
    })();
    await gathered();
    expect(engine.batches.map((b) => b.payloads)).toEqual([[0, 1, 2, 3]]);
    await vi.advanceTimersByTimeAsync(10);
    expect((await Promise.all([...direct, late])).map((r) => [r.value, r.batchUnits, r.queueMs])).toEqual([
      [0, 4, 0],
      [2, 4, 0],
      [4, 4, 0],
      [6, 4, 0],
    ]);
    // Closed loop: every caller answered by one batch asks again at once; the wave stays whole.
    const loop = async (n: number): Promise<number[]> => {
      const sizes: number[] = [];
      for (let round = 0; round < 3; round += 1) sizes.push((await batcher.submit(n)).batchUnits);
      return sizes;
    };
    const waves = Promise.all([0, 1, 2, 3, 4].map(loop));
    await vi.advanceTimersByTimeAsync(40);
    expect(await waves).toEqual(Array.from({ length: 5 }, () => [5, 5, 5]));
  });

  it('stacks concurrent requests into one batch and splits results back in order', async () => {
    const engine = fakeEngine();
    const batcher = new DynamicBatcher('m', policy({ maxInFlightPerReplica: 1 }), engine.execute);
    const first = batcher.submit(0); // runs alone (idle)
    await gathered();
    const rest = [1, 2, 3, 4].map((n) => batcher.submit(n));
    await vi.advanceTimersByTimeAsync(10);
    expect(engine.batches.map((b) => b.payloads)).toEqual([[0], [1, 2, 3, 4]]);
    await vi.advanceTimersByTimeAsync(10);
    expect((await Promise.all(rest)).map((r) => r.value)).toEqual([2, 4, 6, 8]);
    expect((await first).value).toBe(0);
  });

  it('batches only requests with the same batchKey, and counts only those toward a full batch', async () => {
    const engine = fakeEngine();
    const batcher = new DynamicBatcher('m', policy({ maxInFlightPerReplica: 1, maxQueueDelayMs: 50 }), engine.execute);
    void batcher.submit(0); // idle → alone
    await gathered();
    // Two shapes interleaved: four of 'a' fill a batch at once; the three of 'b' wait for the delay.
    for (const [n, key] of [
      [1, 'a'],
      [2, 'b'],
      [3, 'a'],
      [4, 'b'],
      [5, 'a'],
      [6, 'b'],
      [7, 'a'],
    ] as const)
      void batcher.submit(n, { batchKey: key });
    await vi.advanceTimersByTimeAsync(10);
    expect(engine.batches.map((b) => b.payloads)).toEqual([[0], [1, 3, 5, 7]]);
    await vi.advanceTimersByTimeAsync(60);
    expect(engine.batches.map((b) => b.payloads)).toEqual([[0], [1, 3, 5, 7], [2, 4, 6]]);
  });

  it('sends a full batch at once and a partial batch after maxQueueDelayMs', async () => {
    const engine = fakeEngine(() => 100);
    // Two replicas, so the partial batch has an idle replica to go to (no pipelining hold).
    const batcher = new DynamicBatcher('m', policy({ maxQueueDelayMs: 5, maxInFlightPerReplica: 2 }), engine.execute, 2);
    void batcher.submit(0); // idle → alone
    await gathered();
    for (const n of [1, 2, 3, 4]) void batcher.submit(n); // full batch of 4 → at once
    await gathered();
    expect(engine.batches.map((b) => b.payloads)).toEqual([[0], [1, 2, 3, 4]]);
    await vi.advanceTimersByTimeAsync(100); // both finish
    void batcher.submit(5);
    void batcher.submit(6);
    void batcher.submit(7);
    // Idle again: the three, made in one task, go together at once.
    await gathered();
    expect(engine.batches.map((b) => b.payloads).slice(2)).toEqual([[5, 6, 7]]);
    // Not idle now: a partial batch waits for the delay, then takes the free replica.
    void batcher.submit(8);
    void batcher.submit(9);
    await vi.advanceTimersByTimeAsync(4);
    expect(engine.batches).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(engine.batches.map((b) => b.payloads).slice(3)).toEqual([[8, 9]]);
    expect(engine.batches.map((b) => b.replica).slice(2)).toEqual([0, 1]);
  });

  it('holds the next batch for a busy replica until just before it is free, so the batch grows', async () => {
    const engine = fakeEngine(() => 100);
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 8, maxQueueDelayMs: 5, maxInFlightPerReplica: 2, pipelineLeadMs: 2 }), engine.execute);
    // Measure the service time of a lone request (100 ms); the target stays the maximum.
    void batcher.submit(-1);
    await vi.advanceTimersByTimeAsync(100);
    void batcher.submit(-2);
    await vi.advanceTimersByTimeAsync(100);
    engine.batches.length = 0;
    void batcher.submit(0); // idle → at once; expected to end at +100 ms
    await gathered();
    for (let t = 0; t < 70; t += 10) {
      void batcher.submit(100 + t);
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(10);
    // Seven requests arrived over 70 ms, past maxQueueDelayMs; none left early (they would only wait in the worker).
    expect(engine.batches.map((b) => b.payloads)).toEqual([[0]]);
    await vi.advanceTimersByTimeAsync(10); // +90 ms: within the lead (2 ms + 10% of the 100 ms service time) → out
    expect(engine.batches.map((b) => b.payloads.length)).toEqual([1, 7]);
    // A full batch never waits, busy replica or not.
    for (let n = 0; n < 8; n += 1) void batcher.submit(200 + n);
    expect(engine.batches.map((b) => b.payloads.length)).toEqual([1, 7]); // two in flight: no free slot
    await vi.advanceTimersByTimeAsync(20); // the first ends → a slot → the full batch goes at once
    expect(engine.batches.map((b) => b.payloads.length)).toEqual([1, 7, 8]);
  });

  it('cuts batches to the largest preferred size that fits', async () => {
    const engine = fakeEngine(() => 10);
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 8, preferredBatchSizes: [2, 4], maxInFlightPerReplica: 1 }), engine.execute);
    for (let n = 0; n < 7; n += 1) void batcher.submit(n);
    await vi.advanceTimersByTimeAsync(10);
    await vi.advanceTimersByTimeAsync(10);
    await vi.advanceTimersByTimeAsync(10);
    expect(engine.batches.map((b) => b.payloads.length)).toEqual([4, 2, 1]);
  });

  it('sends all that waits in one batch when the learned target is smaller but no latency target caps it', async () => {
    const engine = fakeEngine((units) => 10 * units); // a flat cost per unit: batching saves nothing
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 8, maxInFlightPerReplica: 1 }), engine.execute);
    for (const size of [1, 1, 2, 2]) {
      for (let i = 0; i < size; i += 1) void batcher.submit(i);
      await vi.advanceTimersByTimeAsync(10 * size);
    }
    expect(batcher.targetBatchSize).toBe(1); // nothing to wait for: a lone request goes at once
    engine.batches.length = 0;
    // Five made in one task: all five go, not the target's one (and the rest behind it).
    for (let n = 0; n < 5; n += 1) void batcher.submit(n);
    await gathered();
    for (let n = 1; n <= 6; n += 1) void batcher.submit(100 + n);
    await vi.advanceTimersByTimeAsync(50 + 60);
    // The six waited for the running batch, so they go together, not 1 at a time.
    expect(engine.batches.map((b) => b.payloads.length)).toEqual([5, 6]);
  });

  it('keeps batches within the size the latency target allows', async () => {
    const engine = fakeEngine((units) => 4 * units);
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 8, maxInFlightPerReplica: 1, targetP95Ms: 20 }), engine.execute);
    for (const size of [1, 1, 2, 2, 4, 4, 8, 8]) {
      for (let i = 0; i < size; i += 1) void batcher.submit(i);
      await vi.advanceTimersByTimeAsync(4 * size);
    }
    // 8 units take 32 ms, past half the 20 ms target; 2 take 8 ms, within it.
    engine.batches.length = 0;
    for (let n = 0; n < 6; n += 1) void batcher.submit(n);
    await vi.advanceTimersByTimeAsync(40);
    expect(Math.max(...engine.batches.map((b) => b.payloads.length))).toBeLessThanOrEqual(2);
    expect(engine.batches.flatMap((b) => b.payloads)).toHaveLength(6);
  });

  it('runs realtime before interactive before background, FIFO within a class', async () => {
    const engine = fakeEngine();
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 1, maxInFlightPerReplica: 1 }), engine.execute);
    void batcher.submit(0);
    void batcher.submit(1, { priority: 'background' });
    void batcher.submit(2, { priority: 'interactive' });
    void batcher.submit(3, { priority: 'realtime' });
    void batcher.submit(4, { priority: 'interactive' });
    await vi.advanceTimersByTimeAsync(100);
    // Made in one task, so ordered before any runs: 0 is interactive (the policy's default).
    expect(engine.batches.map((b) => b.payloads[0])).toEqual([3, 0, 2, 4, 1]);
  });

  it('sends work more urgent than everything in flight through the express slot, and tells the executor its priority', async () => {
    const batches: { payloads: number[]; priority: string }[] = [];
    const execute: BatchExecutor<number, number> = (payloads, _replica, { priority }) => {
      batches.push({ payloads: [...payloads], priority });
      return new Promise((resolve) => setTimeout(() => resolve(payloads), 10));
    };
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 1, maxInFlightPerReplica: 2 }), execute);
    for (let n = 0; n < 4; n += 1) void batcher.submit(n, { priority: 'background' });
    await gathered();
    expect(batcher.inFlight).toBe(2); // two slots; background never takes the express slot
    void batcher.submit(10, { priority: 'interactive' });
    await gathered();
    expect(batcher.inFlight).toBe(3); // at once, beside two background batches
    void batcher.submit(11, { priority: 'interactive' }); // the express slot is taken by an equal class: waits
    await gathered();
    expect(batcher.inFlight).toBe(3);
    expect(batches).toEqual([
      { payloads: [0], priority: 'background' },
      { payloads: [1], priority: 'background' },
      { payloads: [10], priority: 'interactive' },
    ]);
    await vi.advanceTimersByTimeAsync(10);
    expect(batches.slice(3).map((b) => b.payloads[0])).toEqual([11, 2]);
    await vi.advanceTimersByTimeAsync(30);
    expect(batcher.inFlight).toBe(0);
    expect(batcher.replicas()[0]?.ranks).toEqual([]);
  });

  it('ages waiting requests so background work is not starved', async () => {
    const engine = fakeEngine(() => 10);
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 1, maxInFlightPerReplica: 1, agingMs: 30 }), engine.execute);
    void batcher.submit(-1);
    void batcher.submit(999, { priority: 'background' });
    // A steady stream of interactive work, one per 10 ms, forever ahead of it by class.
    for (let i = 0; i < 12; i += 1) {
      void batcher.submit(i, { priority: 'interactive' });
      await vi.advanceTimersByTimeAsync(10);
    }
    const order = engine.batches.map((b) => b.payloads[0]);
    // After waiting ≥ agingMs it outranks fresh interactive requests.
    expect(order.indexOf(999)).toBeGreaterThan(0);
    expect(order.indexOf(999)).toBeLessThan(6);
  });

  it('rejects a request still queued at its deadline with DEADLINE_EXCEEDED, without running it', async () => {
    const engine = fakeEngine(() => 50);
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 1, maxInFlightPerReplica: 1 }), engine.execute);
    void batcher.submit(0);
    const late = batcher.submit(1, { timeoutMs: 20 });
    const onTime = batcher.submit(2, { timeoutMs: 200 });
    const lateResult = late.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(20);
    await expect(lateResult).resolves.toMatchObject({ code: 'DEADLINE_EXCEEDED', model: 'm' });
    await vi.advanceTimersByTimeAsync(100);
    await expect(onTime).resolves.toMatchObject({ value: 4 });
    expect(engine.batches.flatMap((b) => b.payloads)).toEqual([0, 2]);
  });

  it('removes an aborted queued request at once; a running batch finishes for its other members', async () => {
    const engine = fakeEngine(() => 50);
    const batcher = new DynamicBatcher('m', policy({ maxInFlightPerReplica: 1 }), engine.execute);
    const queuedController = new AbortController();
    const runningController = new AbortController();
    void batcher.submit(0);
    await gathered();
    const running = batcher.submit(1, { signal: runningController.signal });
    const runningPeer = batcher.submit(2);
    await vi.advanceTimersByTimeAsync(5); // [1, 2] dispatched? no: replica busy with [0] until 50
    await vi.advanceTimersByTimeAsync(45); // [0] done → [1, 2] dispatched
    const queued = batcher.submit(3, { signal: queuedController.signal });
    const queuedResult = queued.catch((e: unknown) => e);
    queuedController.abort();
    await expect(queuedResult).resolves.toMatchObject({ code: 'ABORTED' });
    expect(batcher.queueDepth).toBe(0);
    const runningResult = running.catch((e: unknown) => e);
    runningController.abort();
    await expect(runningResult).resolves.toMatchObject({ code: 'ABORTED' });
    await vi.advanceTimersByTimeAsync(50);
    await expect(runningPeer).resolves.toMatchObject({ value: 4, batchUnits: 2 });
    expect(engine.batches.map((b) => b.payloads)).toEqual([[0], [1, 2]]);
  });

  it('supersedes a queued request with the same key', async () => {
    const engine = fakeEngine(() => 50);
    const batcher = new DynamicBatcher('m', policy({ maxInFlightPerReplica: 1 }), engine.execute);
    void batcher.submit(0);
    await gathered();
    const frames = [1, 2, 3].map((n) => batcher.submit(n, { supersedeKey: 'camera' }).catch((e: unknown) => e));
    await vi.advanceTimersByTimeAsync(100);
    const [first, second, third] = await Promise.all(frames);
    expect(first).toMatchObject({ code: 'SUPERSEDED' });
    expect(second).toMatchObject({ code: 'SUPERSEDED' });
    expect(third).toMatchObject({ value: 6 });
    expect(engine.batches.map((b) => b.payloads)).toEqual([[0], [3]]);
  });

  it('refuses requests past maxQueueSize with QUEUE_FULL at once', async () => {
    const engine = fakeEngine(() => 50);
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 1, maxQueueSize: 2, maxInFlightPerReplica: 1 }), engine.execute);
    void batcher.submit(0);
    await gathered();
    void batcher.submit(1);
    void batcher.submit(2);
    await expect(batcher.submit(3)).rejects.toMatchObject({ code: 'QUEUE_FULL', expected: 'at most 2 queued' });
    expect(batcher.queueDepth).toBe(2);
  });

  it('routes to the replica with the least expected wait, and keeps sticky keys on their replica', async () => {
    // Replica 1 is 4× slower.
    const batches: { payload: number; replica: number }[] = [];
    const execute: BatchExecutor<number, number> = (payloads, replica) => {
      for (const payload of payloads) batches.push({ payload, replica });
      return new Promise((resolve) => setTimeout(() => resolve(payloads), replica === 1 ? 40 : 10));
    };
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 1, maxInFlightPerReplica: 2 }), execute, 2);
    // Warm both replicas so service times are measured.
    void batcher.submit(0);
    void batcher.submit(1);
    void batcher.submit(2);
    await vi.advanceTimersByTimeAsync(50);
    batches.length = 0;
    // Replica 0 (10 ms) should take most of a burst.
    for (let i = 0; i < 4; i += 1) void batcher.submit(i);
    await gathered();
    expect(batches.filter((b) => b.replica === 0).length).toBeGreaterThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(100);
    batches.length = 0;
    const sticky = [batcher.submit(10, { stickyKey: 'chat-1' }), batcher.submit(11, { stickyKey: 'chat-1' }), batcher.submit(12, { stickyKey: 'chat-1' })];
    await vi.advanceTimersByTimeAsync(200);
    const replicas = (await Promise.all(sticky)).map((r) => r.replica);
    expect(new Set(replicas).size).toBe(1);
  });

  it('close() rejects queued requests with DISPOSED and refuses new ones', async () => {
    const engine = fakeEngine(() => 50);
    const batcher = new DynamicBatcher('m', policy({ maxInFlightPerReplica: 1 }), engine.execute);
    const running = batcher.submit(0);
    await gathered();
    const queued = batcher.submit(1).catch((e: unknown) => e);
    batcher.close();
    await expect(queued).resolves.toMatchObject({ code: 'DISPOSED' });
    await expect(batcher.submit(2)).rejects.toMatchObject({ code: 'DISPOSED' });
    await vi.advanceTimersByTimeAsync(50);
    await expect(running).resolves.toMatchObject({ value: 0 });
  });
});

describe('DynamicBatcher with a replica kept for urgent work', () => {
  it('never sends background work there, even as a passenger, and sends interactive work there at once', async () => {
    const engine = fakeEngine(() => 20);
    const batcher = new DynamicBatcher(
      'm',
      policy({ maxBatchSize: 4, maxInFlightPerReplica: 1 }),
      engine.execute,
      resolveReplicas({ count: 2, reserve: { interactive: 1 } }),
    );
    // A background flood: replica 0 runs one batch at a time; the rest queues.
    const flood = Array.from({ length: 12 }, (_, n) => batcher.submit(100 + n, { priority: 'background' }));
    await gathered();
    expect(engine.batches.map((b) => b.replica)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(5);
    // An interactive request goes to the reserved replica at once (no queue delay), alone.
    const urgent = batcher.submit(1, { priority: 'interactive' });
    await gathered();
    expect(engine.batches.at(-1)).toMatchObject({ replica: 1, payloads: [1] });
    await vi.advanceTimersByTimeAsync(25);
    await expect(urgent).resolves.toMatchObject({ value: 2, replica: 1 });
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all(flood);
    expect(engine.batches.filter((b) => b.replica === 1).flatMap((b) => b.payloads)).toEqual([1]);
  });

  it('lets an interactive request past an aged background head that cannot go anywhere', async () => {
    const engine = fakeEngine(() => 50);
    const batcher = new DynamicBatcher(
      'm',
      policy({ maxBatchSize: 1, maxInFlightPerReplica: 1, agingMs: 10 }),
      engine.execute,
      resolveReplicas({ count: 2, reserve: { interactive: 1 } }),
    );
    void batcher.submit(100, { priority: 'background' }); // runs on replica 0 for 50 ms
    void batcher.submit(101, { priority: 'background' }); // waits, and ages past interactive work
    await vi.advanceTimersByTimeAsync(30);
    const urgent = batcher.submit(1, { priority: 'interactive' });
    await gathered();
    expect(engine.batches.map((b) => [b.payloads[0], b.replica])).toEqual([
      [100, 0],
      [1, 1],
    ]);
    await vi.advanceTimersByTimeAsync(100);
    await expect(urgent).resolves.toMatchObject({ replica: 1 });
    expect(engine.batches.map((b) => [b.payloads[0], b.replica])).toContainEqual([101, 0]);
  });
});

describe('DynamicBatcher on a page with scheduler.postTask', () => {
  it('wakes background callers in a background-priority task, urgent callers at once', async () => {
    const posted: string[] = [];
    const scheduler = {
      postTask: (callback: () => void, options: { priority: string }) => {
        posted.push(options.priority);
        return Promise.resolve().then(callback);
      },
    };
    vi.stubGlobal('scheduler', scheduler);
    try {
      const engine = fakeEngine(() => 5);
      const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 1 }), engine.execute);
      const background = batcher.submit(1, { priority: 'background' });
      await vi.advanceTimersByTimeAsync(10);
      await expect(background).resolves.toMatchObject({ value: 2 });
      expect(posted).toEqual(['background']);
      const urgent = batcher.submit(2, { priority: 'interactive' });
      await vi.advanceTimersByTimeAsync(10);
      await expect(urgent).resolves.toMatchObject({ value: 4 });
      expect(posted).toEqual(['background']);
      // A batch of background requests: one task wakes them all, so their next requests
      // (made in that task) form one batch again.
      posted.length = 0;
      const wide = new DynamicBatcher('w', policy({ maxBatchSize: 4 }), engine.execute);
      const calls = [1, 2, 3].map((n) => wide.submit(n, { priority: 'background' }));
      await vi.advanceTimersByTimeAsync(10);
      await Promise.all(calls);
      expect(engine.batches.at(-1)?.payloads).toEqual([1, 2, 3]);
      expect(posted).toEqual(['background']);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('Router with a replica kept for urgent work', () => {
  it('sends urgent work to it when both are free, and never less urgent work', async () => {
    const engine = fakeEngine(() => 10);
    const batcher = new DynamicBatcher('m', policy({ maxBatchSize: 1 }), engine.execute, resolveReplicas({ count: 2, reserve: { interactive: 1 } }));
    const urgent = batcher.submit(1, { priority: 'interactive' });
    await gathered();
    const background = batcher.submit(2, { priority: 'background' });
    await vi.advanceTimersByTimeAsync(20);
    await expect(urgent).resolves.toMatchObject({ replica: 1 });
    await expect(background).resolves.toMatchObject({ replica: 0 });
  });
});
