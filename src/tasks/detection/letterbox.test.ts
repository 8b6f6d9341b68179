import { describe, expect, it } from 'vitest';
import { letterbox, rgbaToPlanar, toSourceBox } from './letterbox';

describe('letterbox', () => {
  it('fits a landscape image to the width, centred vertically', () => {
    // public/samples/boats.jpg is 512×410.
    expect(letterbox(512, 410, 416)).toEqual({ size: 416, scale: 416 / 512, left: 0, top: 41, width: 416, height: 333 });
  });

  it('fits a portrait image to the height, centred horizontally; a square fills the input', () => {
    expect(letterbox(300, 600, 416)).toMatchObject({ left: 104, top: 0, width: 208, height: 416 });
    expect(letterbox(512, 512, 416)).toMatchObject({ left: 0, top: 0, width: 416, height: 416, scale: 416 / 512 });
  });

  it('upscales small images and keeps a 1-pixel sliver visible', () => {
    expect(letterbox(10, 5, 416)).toMatchObject({ scale: 41.6, width: 416, height: 208, top: 104 });
    expect(letterbox(10000, 1, 416)).toMatchObject({ width: 416, height: 1 });
  });

  it('refuses empty sizes', () => {
    expect(() => letterbox(0, 10, 416)).toThrow(RangeError);
  });
});

describe('toSourceBox', () => {
  it('undoes the letterbox', () => {
    const fit = letterbox(512, 410, 416);
    // A box covering the drawn image exactly is the whole image.
    expect(toSourceBox({ x1: 0, y1: 41, x2: 416, y2: 41 + 333 }, fit, 512, 410)).toEqual({ x: 0, y: 0, width: 512, height: 410 });
    const box = toSourceBox({ x1: 104, y1: 141, x2: 208, y2: 241 }, fit, 512, 410);
    expect(box.x).toBeCloseTo(128, 6);
    expect(box.width).toBeCloseTo(128, 6);
    expect(box.y).toBeCloseTo((100 * 410) / 333, 6);
    expect(box.height).toBeCloseTo((100 * 410) / 333, 6);
  });

  it('clips to the image; a box in the padding is empty', () => {
    const fit = letterbox(512, 410, 416);
    expect(toSourceBox({ x1: -20, y1: 0, x2: 500, y2: 500 }, fit, 512, 410)).toEqual({ x: 0, y: 0, width: 512, height: 410 });
    expect(toSourceBox({ x1: 10, y1: 0, x2: 50, y2: 30 }, fit, 512, 410)).toMatchObject({ height: 0 });
  });
});

describe('rgbaToPlanar', () => {
  const normalization = { mean: [10, 20, 30], std: [1, 2, 5], channelOrder: 'bgr' } as const;
  // 2×2 pixels, RGBA: red-ish, green-ish, blue-ish, grey.
  const rgba = Uint8ClampedArray.from([110, 20, 30, 255, 10, 220, 30, 255, 10, 20, 230, 255, 60, 60, 60, 0]);

  it('writes planes in the model’s channel order, normalised, ignoring alpha', () => {
    expect([...rgbaToPlanar(rgba, 2, normalization)]).toEqual([
      // B plane: (b - 30) / 5
      0, 0, 40, 6,
      // G plane: (g - 20) / 2
      0, 100, 0, 20,
      // R plane: r - 10
      100, 0, 0, 50,
    ]);
  });

  it('keeps RGB order when asked', () => {
    const planar = rgbaToPlanar(rgba, 2, { ...normalization, channelOrder: 'rgb' });
    expect([...planar.subarray(0, 4)]).toEqual([100, 0, 0, 50]);
  });

  it('checks the pixel count', () => {
    expect(() => rgbaToPlanar(new Uint8ClampedArray(12), 2, normalization)).toThrow(RangeError);
  });
});
