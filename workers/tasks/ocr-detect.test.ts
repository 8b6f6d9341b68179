import { describe, expect, it } from 'vitest';
import type { Point } from '../../src/protocol';
import { boxesFromProbabilityMap, defaultDbOptions, type ProbabilityMap } from './ocr-detect';
import { quadSize } from './ocr-geometry';

/** A `width` × `height` map, 0.05 everywhere except `value` inside each axis-aligned rectangle. */
function mapWith(width: number, height: number, rects: ReadonlyArray<{ x: number; y: number; w: number; h: number; value?: number }>): ProbabilityMap {
  const data = new Float32Array(width * height).fill(0.05);
  for (const { x, y, w, h, value = 0.95 } of rects) {
    for (let row = y; row < y + h; row += 1) data.fill(value, row * width + x, row * width + x + w);
  }
  return { data, stride: width, width, height };
}

const bounds = (box: readonly Point[]) => ({
  left: Math.min(...box.map((p) => p.x)),
  right: Math.max(...box.map((p) => p.x)),
  top: Math.min(...box.map((p) => p.y)),
  bottom: Math.max(...box.map((p) => p.y)),
});

describe('boxesFromProbabilityMap', () => {
  it('finds one box per text region, grown by the unclip distance', () => {
    // Region: pixels x 10…109, y 20…29 → centres span 99 × 9.
    const boxes = boxesFromProbabilityMap(mapWith(160, 64, [{ x: 10, y: 20, w: 100, h: 10 }]));
    expect(boxes).toHaveLength(1);
    const [found] = boxes;
    expect(found?.score).toBeCloseTo(0.95, 5);
    const grow = (99 * 9 * defaultDbOptions.unclipRatio) / (2 * (99 + 9));
    const { left, right, top, bottom } = bounds(found?.box ?? []);
    expect(left).toBeCloseTo(10.5 - grow, 4);
    expect(right).toBeCloseTo(109.5 + grow, 4);
    expect(top).toBeCloseTo(20.5 - grow, 4);
    expect(bottom).toBeCloseTo(29.5 + grow, 4);
    // Corners clockwise from the top-left.
    const [topLeft, topRight, bottomRight, bottomLeft] = found?.box ?? [];
    expect(topLeft?.x).toBeLessThan(topRight?.x ?? 0);
    expect(topRight?.y).toBeLessThan(bottomRight?.y ?? 0);
    expect(bottomLeft?.x).toBeLessThan(bottomRight?.x ?? 0);
  });

  it('keeps separate regions apart and joins diagonal neighbours', () => {
    const map = mapWith(200, 80, [
      { x: 10, y: 10, w: 60, h: 8 },
      { x: 100, y: 10, w: 60, h: 8 },
      // Touches the first region only at a corner: 8-connected, so the same region.
      { x: 70, y: 18, w: 4, h: 2 },
      { x: 10, y: 50, w: 150, h: 12 },
    ]);
    const boxes = boxesFromProbabilityMap(map).map(({ box }) => bounds(box));
    expect(boxes).toHaveLength(3);
    const joined = boxes.find((b) => b.left < 20 && b.top < 20);
    expect(joined?.right).toBeGreaterThan(73);
    expect(joined?.bottom).toBeGreaterThan(19);
  });

  it('drops regions below the box threshold and specks below the minimum size', () => {
    const map = mapWith(120, 60, [
      { x: 10, y: 10, w: 80, h: 10, value: 0.4 }, // above the 0.3 pixel threshold, below the 0.6 box threshold
      { x: 10, y: 40, w: 2, h: 2 }, // a speck
    ]);
    expect(boxesFromProbabilityMap(map)).toEqual([]);
    expect(boxesFromProbabilityMap(map, { ...defaultDbOptions, boxThreshold: 0.3 })).toHaveLength(1);
  });

  it('fits a rotated rectangle to slanted text', () => {
    const width = 200;
    const height = 120;
    const data = new Float32Array(width * height);
    // A 120 × 12 band rotated by 20°.
    const angle = (20 * Math.PI) / 180;
    for (let y = 0; y < height; y += 1)
      for (let x = 0; x < width; x += 1) {
        const dx = x + 0.5 - 100;
        const dy = y + 0.5 - 60;
        const along = dx * Math.cos(angle) + dy * Math.sin(angle);
        const across = -dx * Math.sin(angle) + dy * Math.cos(angle);
        data[y * width + x] = Math.abs(along) < 60 && Math.abs(across) < 6 ? 0.9 : 0;
      }
    const [found] = boxesFromProbabilityMap({ data, stride: width, width, height });
    expect(found).toBeDefined();
    const [topLeft, topRight] = found?.box ?? [];
    const slope = Math.atan2((topRight?.y ?? 0) - (topLeft?.y ?? 0), (topRight?.x ?? 0) - (topLeft?.x ?? 0));
    expect((slope * 180) / Math.PI).toBeCloseTo(20, 0);
    const size = quadSize(
      found?.box ?? [
        { x: 0, y: 0 },
        { x: 0, y: 0 },
        { x: 0, y: 0 },
        { x: 0, y: 0 },
      ],
    );
    expect(size.width).toBeGreaterThan(size.height * 4);
  });

  it('looks only at the content part of a padded map', () => {
    // Text in the padding (x ≥ 100) is ignored; the row stride is still 128.
    const map = mapWith(128, 32, [{ x: 104, y: 8, w: 20, h: 10 }]);
    expect(boxesFromProbabilityMap({ ...map, width: 100 })).toEqual([]);
    expect(boxesFromProbabilityMap(map)).toHaveLength(1);
  });
});
