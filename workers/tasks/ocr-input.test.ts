import { describe, expect, it } from 'vitest';
import type { Point } from '../../src/protocol';
import type { Quad } from './ocr-geometry';
import { batchWidth, cropTensor, cropTransform, cropWidth, detLayout, detTensor, rotateQuad, uprightQuad, type Affine } from './ocr-input';

const quad = (left: number, top: number, right: number, bottom: number): Quad => [
  { x: left, y: top },
  { x: right, y: top },
  { x: right, y: bottom },
  { x: left, y: bottom },
];

const apply = ([a, b, c, d, e, f]: Affine, p: Point): Point => ({ x: a * p.x + c * p.y + e, y: b * p.x + d * p.y + f });

describe('detLayout', () => {
  it('pads to multiples of 32 without scaling small images', () => {
    expect(detLayout(640, 200, 960)).toEqual({ contentWidth: 640, contentHeight: 200, inputWidth: 640, inputHeight: 224 });
    expect(detLayout(10, 5, 960)).toEqual({ contentWidth: 10, contentHeight: 5, inputWidth: 32, inputHeight: 32 });
  });

  it('scales the longer side down to the limit, keeping the aspect ratio', () => {
    expect(detLayout(1920, 1080, 960)).toEqual({ contentWidth: 960, contentHeight: 540, inputWidth: 960, inputHeight: 544 });
  });
});

describe('detTensor', () => {
  it('normalises BGR planes with the ImageNet mean and std, zeros in the padding', () => {
    // One pure-red pixel, padded into a 32 × 32 input.
    const pixels = { data: Uint8ClampedArray.of(255, 0, 0, 255), width: 1, height: 1 };
    const out = detTensor(pixels, { contentWidth: 1, contentHeight: 1, inputWidth: 32, inputHeight: 32 });
    const plane = 32 * 32;
    expect(out).toHaveLength(3 * plane);
    expect(out[0]).toBeCloseTo((0 - 0.485) / 0.229, 5); // B
    expect(out[plane]).toBeCloseTo((0 - 0.456) / 0.224, 5); // G
    expect(out[2 * plane]).toBeCloseTo((1 - 0.406) / 0.225, 5); // R
    expect(out[1]).toBe(0);
  });
});

describe('crops', () => {
  it('maps the quad onto its strip', () => {
    const box: Quad = [
      { x: 10, y: 20 },
      { x: 110, y: 30 },
      { x: 108, y: 54 },
      { x: 8, y: 44 },
    ];
    const transform = cropTransform(box, 200, 48, 96);
    const near = (p: Point, x: number, y: number) => {
      expect(p.x).toBeCloseTo(x, 6);
      expect(p.y).toBeCloseTo(y, 6);
    };
    near(apply(transform, box[0]), 0, 96);
    near(apply(transform, box[1]), 200, 96);
    near(apply(transform, box[3]), 0, 144);
  });

  it('turns tall boxes a quarter and upside-down ones a half', () => {
    const tall = quad(0, 0, 20, 100);
    expect(uprightQuad(tall)[0]).toEqual({ x: 20, y: 0 });
    expect(uprightQuad(quad(0, 0, 100, 20))).toEqual(quad(0, 0, 100, 20));
    expect(rotateQuad(quad(0, 0, 100, 20), 2)).toEqual([
      { x: 100, y: 20 },
      { x: 0, y: 20 },
      { x: 0, y: 0 },
      { x: 100, y: 0 },
    ]);
  });

  it('sizes crops by aspect ratio and batches by the widest', () => {
    expect(cropWidth(quad(0, 0, 300, 30), 48, 960)).toBe(480);
    expect(cropWidth(quad(0, 0, 3000, 30), 48, 960)).toBe(960);
    expect(batchWidth([100, 200], 320, 960)).toBe(320);
    expect(batchWidth([100, 505], 320, 960)).toBe(512);
    expect(batchWidth([2000], 320, 960)).toBe(960);
  });

  it('normalises crop strips to [-1, 1] and zero-pads each crop to the batch width', () => {
    // Two 2 × 1 strips in a 3-wide canvas: crop 0 is 2 wide (white, black), crop 1 is 1 wide (grey).
    const strips = {
      data: Uint8ClampedArray.of(255, 255, 255, 255, 0, 0, 0, 255, 9, 9, 9, 255, 51, 51, 51, 255, 7, 7, 7, 255, 9, 9, 9, 255),
      width: 3,
      height: 2,
    };
    const out = cropTensor(strips, [2, 1], 1, 4);
    const plane = 4;
    expect(Array.from(out.subarray(0, plane))).toEqual([1, -1, 0, 0]);
    expect(out[3 * plane]).toBeCloseTo(51 / 127.5 - 1, 6);
    expect(Array.from(out.subarray(3 * plane + 1, 4 * plane))).toEqual([0, 0, 0]);
  });
});
