import { describe, expect, it } from 'vitest';
import { QuantileSketch } from './sketch';

/** Deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

const distributions: Record<string, (next: () => number) => number> = {
  // Latency-like: log-normal around 5 ms with a heavy tail.
  lognormal: (next) => Math.exp(Math.log(5) + 0.8 * Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next())),
  uniform: (next) => 0.1 + 999.9 * next(),
  // Bimodal: cache hits under 1 ms, misses around 80 ms.
  bimodal: (next) => (next() < 0.7 ? 0.2 + 0.5 * next() : 60 + 40 * next()),
};

describe('QuantileSketch', () => {
  for (const [name, draw] of Object.entries(distributions)) {
    it(`keeps p50/p90/p95/p99/p99.9 within 1% of exact on a ${name} distribution`, () => {
      const next = random(42);
      const sketch = new QuantileSketch(0.01);
      const values: number[] = [];
      for (let i = 0; i < 50_000; i += 1) {
        const v = draw(next);
        values.push(v);
        sketch.add(v);
      }
      values.sort((a, b) => a - b);
      for (const q of [0.5, 0.9, 0.95, 0.99, 0.999]) {
        const exact = exactQuantile(values, q);
        expect(Math.abs(sketch.quantile(q) - exact) / exact, `${name} q=${q}`).toBeLessThanOrEqual(0.01);
      }
      expect(sketch.count).toBe(50_000);
      expect(sketch.max).toBe(values[values.length - 1]);
      expect(sketch.min).toBe(values[0]);
    });
  }

  it('merges exactly: merged sketches answer as one sketch over all values', () => {
    const next = random(7);
    const whole = new QuantileSketch();
    const parts = [new QuantileSketch(), new QuantileSketch(), new QuantileSketch()];
    for (let i = 0; i < 9000; i += 1) {
      const v = 1 + 100 * next();
      whole.add(v);
      parts[i % 3]?.add(v);
    }
    const merged = new QuantileSketch();
    for (const part of parts) merged.merge(part);
    for (const q of [0.5, 0.99]) expect(merged.quantile(q)).toBe(whole.quantile(q));
    expect(merged.count).toBe(9000);
    expect(merged.sum).toBeCloseTo(whole.sum, 6);
  });

  it('handles empty, zero and single values', () => {
    const sketch = new QuantileSketch();
    expect(sketch.quantile(0.5)).toBeNaN();
    sketch.add(0);
    expect(sketch.quantile(0.5)).toBe(0);
    sketch.clear();
    sketch.add(12.5);
    expect(sketch.quantile(0.99)).toBe(12.5);
  });
});
