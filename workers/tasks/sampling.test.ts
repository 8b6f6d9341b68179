import { describe, expect, it } from 'vitest';
import { argmax, sampleToken, seededRandom, topKIndices } from './sampling';

describe('seededRandom', () => {
  it('is deterministic per seed and uniform in [0, 1)', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(seededRandom(2)()).not.toBe(seededRandom(1)());
  });
});

describe('argmax and topKIndices', () => {
  it('finds the largest, lowest index on ties', () => {
    expect(argmax(Float32Array.of(0.5, 2, -1, 2))).toBe(1);
    expect(argmax(Float32Array.of(-3, -2, -1))).toBe(2);
  });

  it('returns the k largest, largest first', () => {
    const logits = Float32Array.of(0.1, 5, -2, 3, 3, 9, 0);
    expect(topKIndices(logits, 3)).toEqual([5, 1, 3]);
    expect(topKIndices(logits, 1)).toEqual([5]);
    expect(topKIndices(logits, 10)).toEqual([5, 1, 3, 4, 0, 6, 2]);
  });

  it('agrees with a full sort on random logits', () => {
    const random = seededRandom(7);
    const logits = Float32Array.from({ length: 5000 }, () => random() * 10 - 5);
    const sorted = Array.from(logits.keys()).sort((a, b) => (logits[b] ?? 0) - (logits[a] ?? 0));
    expect(topKIndices(logits, 40)).toEqual(sorted.slice(0, 40));
  });
});

describe('sampleToken', () => {
  const logits = Float32Array.of(1, 4, 2, 3.5, -1, 0);

  it('is greedy at temperature 0 whatever the RNG', () => {
    expect(sampleToken(logits, { temperature: 0, topK: 0 }, () => 0.999)).toBe(1);
    expect(sampleToken(logits, { temperature: 0, topK: 3 }, () => 0)).toBe(1);
  });

  it('never leaves the top k', () => {
    const random = seededRandom(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(sampleToken(logits, { temperature: 2, topK: 2 }, random));
    expect([...seen].sort()).toEqual([1, 3]);
  });

  it('follows softmax(logits / temperature)', () => {
    const random = seededRandom(11);
    const counts = new Array<number>(logits.length).fill(0);
    const draws = 20000;
    for (let i = 0; i < draws; i++) {
      const token = sampleToken(logits, { temperature: 1, topK: 0 }, random);
      counts[token] = (counts[token] ?? 0) + 1;
    }
    const weights = Array.from(logits, (x) => Math.exp(x));
    const total = weights.reduce((s, w) => s + w, 0);
    weights.forEach((w, i) => expect(Math.abs((counts[i] ?? 0) / draws - w / total)).toBeLessThan(0.015));
  });

  it('reproduces a sequence from the same seed and differs for another', () => {
    const run = (seed: number): number[] => {
      const random = seededRandom(seed);
      return Array.from({ length: 50 }, () => sampleToken(logits, { temperature: 0.8, topK: 4 }, random));
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it('sharpens with lower temperature', () => {
    const share = (temperature: number): number => {
      const random = seededRandom(5);
      let top = 0;
      for (let i = 0; i < 5000; i++) if (sampleToken(logits, { temperature, topK: 0 }, random) === 1) top++;
      return top / 5000;
    };
    expect(share(0.2)).toBeGreaterThan(share(1));
    expect(share(1)).toBeGreaterThan(share(5));
  });
});
