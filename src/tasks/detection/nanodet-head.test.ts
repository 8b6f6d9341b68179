import { describe, expect, it } from 'vitest';
import { decodeHead, headLevels, integral, type HeadLevel, type RawOutput } from './nanodet-head';

/** Logits that put all the mass on bin `at` (a distance of exactly `at` strides). */
function peaked(bins: number, at: number): number[] {
  return Array.from({ length: bins }, (_, j) => (j === at ? 50 : -50));
}

/** One level: a `side`×`side` grid; `cells` lists the scores and per-side peak bins of some cells (the rest score 0). */
function level(
  stride: number,
  side: number,
  classes: number,
  bins: number,
  cells: Record<number, { scores: number[]; sides: [number, number, number, number] }>,
): HeadLevel {
  const scores = new Float32Array(side * side * classes);
  const distances = new Float32Array(side * side * 4 * bins);
  for (const [cell, { scores: s, sides }] of Object.entries(cells).map(([k, v]) => [Number(k), v] as const)) {
    scores.set(s, cell * classes);
    distances.set(
      sides.flatMap((at) => peaked(bins, at)),
      cell * 4 * bins,
    );
  }
  return { stride, gridWidth: side, gridHeight: side, classes, bins, scores, distances };
}

describe('integral', () => {
  it('is the expected bin of the softmax', () => {
    expect(integral(Float32Array.from(peaked(11, 4)), 0, 11)).toBeCloseTo(4, 6);
    expect(integral(new Float32Array(11), 0, 11)).toBeCloseTo(5, 6); // uniform over 0…10
    expect(integral(Float32Array.from([0, 0, Math.log(2), 0]), 0, 4)).toBeCloseTo((0 + 1 + 2 * 2 + 3) / 5, 6);
    // Large logits do not overflow.
    expect(integral(Float32Array.from([1000, 1000]), 0, 2)).toBeCloseTo(0.5, 6);
  });

  it('reads the bins at an offset', () => {
    const logits = Float32Array.from([...peaked(3, 0), ...peaked(3, 2)]);
    expect(integral(logits, 3, 3)).toBeCloseTo(2, 6);
  });
});

describe('decodeHead', () => {
  it('turns a cell and its distances into a box around the cell centre, in input pixels', () => {
    // Cell 3 of a 2×2 grid with stride 8: column 1, row 1, centre (12, 12).
    const levels = [level(8, 2, 3, 5, { 3: { scores: [0.1, 0.9, 0.5], sides: [1, 2, 3, 4] } })];
    const boxes = decodeHead(levels, { minScore: 0.3, maxCandidates: 10 });
    expect(boxes).toHaveLength(2);
    expect(boxes[0]).toMatchObject({ classId: 1 });
    expect(boxes[0]?.score).toBeCloseTo(0.9, 6);
    expect(boxes[1]).toMatchObject({ classId: 2 });
    for (const box of boxes) {
      expect(box.x1).toBeCloseTo(12 - 1 * 8, 4);
      expect(box.y1).toBeCloseTo(12 - 2 * 8, 4);
      expect(box.x2).toBeCloseTo(12 + 3 * 8, 4);
      expect(box.y2).toBeCloseTo(12 + 4 * 8, 4);
    }
  });

  it('numbers cells row-major and scales distances by each level’s stride', () => {
    // Cell 1 of a 2×2 grid with stride 16: column 1, row 0, centre (24, 8).
    const levels = [level(16, 2, 1, 3, { 1: { scores: [0.8], sides: [1, 0, 1, 2] } }), level(8, 4, 1, 3, { 0: { scores: [0.6], sides: [0, 0, 1, 1] } })];
    const boxes = decodeHead(levels, { minScore: 0.5, maxCandidates: 10 });
    expect(boxes.map((b) => [b.x1, b.y1, b.x2, b.y2].map((v) => Math.round(v)))).toEqual([
      [8, 8, 40, 40],
      [4, 4, 12, 12],
    ]);
  });

  it('keeps the best maxCandidates above minScore, best first', () => {
    const cells = Object.fromEntries(
      [0, 1, 2, 3].map((cell) => [cell, { scores: [0.2 + cell * 0.2], sides: [1, 1, 1, 1] as [number, number, number, number] }]),
    );
    const boxes = decodeHead([level(8, 2, 1, 3, cells)], { minScore: 0.35, maxCandidates: 2 });
    expect(boxes.map((b) => Math.round(b.score * 10))).toEqual([8, 6]);
    expect(decodeHead([level(8, 2, 1, 3, cells)], { minScore: 0.99, maxCandidates: 5 })).toEqual([]);
  });
});

describe('headLevels', () => {
  const output = (name: string, cells: number, channels: number): RawOutput => ({ name, dims: [1, cells, channels], data: new Float32Array(cells * channels) });

  it('pairs scores and distances by cell count and infers strides from the grid (NanoDet-g 416)', () => {
    const outputs = [
      output('Identity_2:0', 169, 80),
      output('Identity_5:0', 169, 44),
      output('Identity_1:0', 676, 80),
      output('Identity:0', 2704, 80),
      output('Identity_4:0', 676, 44),
      output('Identity_3:0', 2704, 44),
    ];
    const levels = headLevels(outputs, 416, 80);
    expect(levels.map(({ stride, gridWidth, bins, classes }) => ({ stride, gridWidth, bins, classes }))).toEqual([
      { stride: 8, gridWidth: 52, bins: 11, classes: 80 },
      { stride: 16, gridWidth: 26, bins: 11, classes: 80 },
      { stride: 32, gridWidth: 13, bins: 11, classes: 80 },
    ]);
    expect(levels[0]?.scores).toBe(outputs[3]?.data);
    expect(levels[0]?.distances).toBe(outputs[5]?.data);
  });

  it('says what does not fit', () => {
    expect(() => headLevels([output('a', 169, 80)], 416, 80)).toThrow('the 169-cell level has outputs "a" [1, 169, 80]');
    expect(() => headLevels([output('a', 169, 80), output('b', 169, 43)], 416, 80)).toThrow('4 × bins');
    expect(() => headLevels([output('a', 170, 80), output('b', 170, 44)], 416, 80)).toThrow('not a square grid');
    expect(() => headLevels([{ name: 'x', dims: [2, 169, 80], data: new Float32Array(2 * 169 * 80) }], 416, 80)).toThrow('expected [1, cells, channels]');
    expect(() => headLevels([], 416, 80)).toThrow('no outputs');
  });
});
