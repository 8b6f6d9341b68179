import { describe, expect, it } from 'vitest';
import { BatchSizer } from './batch-sizer';

function train(sizer: BatchSizer, cost: (n: number) => number, sizes = [1, 2, 4, 8, 16, 32]): void {
  for (let round = 0; round < 3; round += 1) for (const n of sizes) sizer.record(n, cost(n));
}

describe('BatchSizer', () => {
  it('lets batches grow to the maximum before it has measurements', () => {
    expect(new BatchSizer(32, 0).target()).toBe(32);
  });

  it('picks the largest batch when batching pays (fixed cost per call dominates)', () => {
    const sizer = new BatchSizer(32, 0, 0);
    train(sizer, (n) => 10 + 1.2 * n); // like VAD on wasm: ~10 ms per call + ~1.2 ms per frame
    expect(sizer.target()).toBe(32);
  });

  it('picks a batch of 1 when batching does not pay, so nothing waits for a fuller batch', () => {
    const sizer = new BatchSizer(32, 0, 0);
    train(sizer, (n) => 10 * n);
    expect(sizer.target()).toBe(1);
  });

  it('stays within the latency target: batch service may use at most half of targetP95Ms', () => {
    const sizer = new BatchSizer(32, 60, 0);
    train(sizer, (n) => 10 + 2 * n); // 8 → 26 ms fits 30 ms; 16 → 42 ms does not
    expect(sizer.target()).toBe(8);
  });

  it('explores the next size up now and then', () => {
    const sizer = new BatchSizer(32, 0, 5);
    train(sizer, (n) => 10 * n, [1, 2]);
    const targets = Array.from({ length: 10 }, () => {
      const t = sizer.target();
      sizer.record(1, 10);
      return t;
    });
    expect(targets).toContain(2);
    expect(targets.filter((t) => t === 1).length).toBeGreaterThan(5);
  });
});
