import { describe, expect, it } from 'vitest';
import { describeDistribution, distribution, histogram, quantile, quantileSorted } from './stats';

describe('order statistics', () => {
  it('takes nearest-rank quantiles of unsorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(samples, 0.5)).toBe(50);
    expect(quantile(samples, 0.99)).toBe(99);
    expect(quantileSorted([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('summarises a distribution and says it in one line', () => {
    const d = distribution([4, 1, 3, 2, 10]);
    expect(d).toMatchObject({ count: 5, min: 1, p50: 3, max: 10, mean: 4 });
    expect(describeDistribution(d)).toBe('n=5 · min 1 ms · p50 3 ms · p90 10 ms · p95 10 ms · p99 10 ms · max 10 ms');
    expect(distribution([]).p95).toBeNaN();
  });

  it('draws a log-spaced histogram with every sample counted', () => {
    const samples = [...Array.from({ length: 90 }, () => 10), ...Array.from({ length: 9 }, () => 40), 400];
    const text = histogram(samples, 4, 10);
    const rows = text.split('\n');
    expect(rows).toHaveLength(4);
    expect(rows.map((row) => Number(row.trim().split(' ').at(-1))).reduce((a, b) => a + b, 0)).toBe(100);
    expect(rows[0]).toMatch(/^10 ms – 25\.1 ms\s+█{10} 90$/);
    expect(rows[3]).toMatch(/^159 ms – 400 ms\s+█\s+1$/);
    expect(histogram([])).toBe('(no samples)');
  });
});
