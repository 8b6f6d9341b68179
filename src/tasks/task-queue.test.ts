import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionsError } from '../errors';
import { MetricsRegistry } from '../metrics/registry';
import type { TaskResult } from '../protocol';
import { TaskQueue, type TaskBatchExecutor } from './task-queue';

const timings = { preprocessMs: 0, inferenceMs: 1, postprocessMs: 0, engineCalls: 1 };

/** A fake engine: every batch takes 10 ms; records the payloads of each batch. */
function fakeEngine() {
  const batches: number[][] = [];
  const execute: TaskBatchExecutor<number, number> = (payloads) => {
    batches.push([...payloads]);
    return new Promise<readonly TaskResult<number>[]>((resolve) => setTimeout(() => resolve(payloads.map((p) => ({ value: p * 2, timings }))), 10));
  };
  return { batches, execute };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TaskQueue.reconfigure', () => {
  it('turns batching off and on again while requests flow; queued requests keep their place', async () => {
    const engine = fakeEngine();
    const queue = new TaskQueue('vad', 'audio', 'wasm', { maxInFlightPerReplica: 1 }, {}, 1, engine.execute, new MetricsRegistry());
    expect(queue.policy.maxBatchSize).toBe(32);
    const burst = () => Promise.all([1, 2, 3, 4, 5].map((n) => queue.run(n)));
    const batched = burst();
    await vi.advanceTimersByTimeAsync(30);
    expect(engine.batches).toEqual([[1, 2, 3, 4, 5]]); // made in one task: one batch on an idle model
    expect(await batched).toEqual([2, 4, 6, 8, 10]);

    engine.batches.length = 0;
    expect(queue.reconfigure({ maxBatchSize: 1 }).maxBatchSize).toBe(1);
    const unbatched = burst();
    await vi.advanceTimersByTimeAsync(60);
    expect(engine.batches).toEqual([[1], [2], [3], [4], [5]]);
    expect(await unbatched).toEqual([2, 4, 6, 8, 10]);

    // Reconfigured mid-queue: the waiting requests go out under the new policy.
    engine.batches.length = 0;
    const mixed = burst();
    await vi.advanceTimersByTimeAsync(0);
    expect(engine.batches).toEqual([[1]]);
    const policy = queue.reconfigure({ maxBatchSize: 32 });
    expect(policy).toMatchObject({ maxBatchSize: 32, maxInFlightPerReplica: 1, defaultPriority: 'realtime' });
    await vi.advanceTimersByTimeAsync(30);
    expect(engine.batches).toEqual([[1], [2, 3, 4, 5]]);
    expect(await mixed).toEqual([2, 4, 6, 8, 10]);
  });

  it('refuses bad values and pinned settings with INVALID_OPTIONS, changing nothing', async () => {
    const engine = fakeEngine();
    const queue = new TaskQueue('pose', 'image', 'wasm', {}, { maxBatchSize: 1, preferredBatchSizes: [] }, 1, engine.execute, new MetricsRegistry());
    expect(queue.policy.maxBatchSize).toBe(1);
    expect(() => queue.reconfigure({ maxBatchSize: 8 })).toThrow(InvalidOptionsError);
    expect(() => queue.reconfigure({ maxBatchSize: 8 })).toThrow(/requires `maxBatchSize` = 1/);
    expect(() => queue.reconfigure({ maxQueueDelayMs: -1 })).toThrow(/maxQueueDelayMs/);
    expect(() => queue.reconfigure(null as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', input: 'batching' }));
    expect(() => queue.reconfigure({ maxBatch: 4 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', input: 'maxBatch' }));
    expect(() => queue.reconfigure({ preferredBatchSizes: 4 as never })).toThrow(expect.objectContaining({ input: 'preferredBatchSizes' }));
    expect(queue.policy).toMatchObject({ maxBatchSize: 1, maxQueueDelayMs: 4 });
    // Pinned values restated are fine; other settings change.
    expect(queue.reconfigure({ maxBatchSize: 1, maxQueueDelayMs: 12 })).toMatchObject({ maxBatchSize: 1, maxQueueDelayMs: 12 });
    const results = Promise.all([1, 2].map((n) => queue.run(n)));
    await vi.advanceTimersByTimeAsync(40);
    expect(await results).toEqual([2, 4]);
    expect(engine.batches).toEqual([[1], [2]]);
  });
});
