/**
 * PP-OCRv4 (detection → orientation → recognition, ONNX) in a worker, on WebGPU and on
 * WASM: reads lines of text rendered in the test itself (so the expected text is known
 * exactly), in order, with boxes where the text was drawn, in three engine calls; bad
 * images reject with `INVALID_INPUT` and leave the task usable.
 */
import type { Page } from '@playwright/test';
import { backends, expect, test } from './fixtures/page';

/** Black text on white, one line per entry, drawn with its middle at `top + i × spacing`. */
interface TextImage {
  readonly width: number;
  readonly height: number;
  readonly lines: readonly string[];
  readonly font: string;
  readonly left: number;
  readonly top: number;
  readonly spacing: number;
  /** Draw the whole image turned 180°. */
  readonly upsideDown?: boolean;
}

const threeLines: TextImage = {
  width: 512,
  height: 160,
  lines: ['The quick brown fox', 'jumps over the lazy dog', 'Inference in the page 2026'],
  font: '32px Arial, sans-serif',
  left: 16,
  top: 30,
  spacing: 50,
};

// WebGPU here is SwiftShader (Vulkan on the CPU): one read of the image above took
// ~45 s warm and 80–110 s cold (kernel compilation) on these 2-core machines, against
// 1–2 s on WASM; the recogniser dominates. So WebGPU tests get more time and read once;
// WASM also times warm reads.
const slowBackendTimeoutMs = 300_000;

/** Small enough for `maxImagePixels: 100 * 100`, and upside down (the orientation classifier must turn it). */
const small: TextImage = { width: 100, height: 60, lines: ['Hello'], font: '28px Arial, sans-serif', left: 12, top: 30, spacing: 0, upsideDown: true };

/** Render `image` with OffscreenCanvas into a PNG Blob kept in the page as `window[name]`. */
async function renderInPage(harness: Page, name: string, image: TextImage): Promise<void> {
  await harness.evaluate(
    async ({ name, image }) => {
      const canvas = new OffscreenCanvas(image.width, image.height);
      const context = canvas.getContext('2d');
      if (context === null) throw new Error('no 2d context');
      context.fillStyle = '#fff';
      context.fillRect(0, 0, image.width, image.height);
      context.fillStyle = '#000';
      context.font = image.font;
      context.textBaseline = 'middle';
      if (image.upsideDown === true) context.setTransform(-1, 0, 0, -1, image.width, image.height);
      image.lines.forEach((line, i) => context.fillText(line, image.left, image.top + i * image.spacing));
      Reflect.set(window, name, await canvas.convertToBlob({ type: 'image/png' }));
    },
    { name, image },
  );
}

test('a page turned 180° is read in its own order, first line first (wasm)', async ({ harness }) => {
  await renderInPage(harness, 'ocrTurned', { ...threeLines, upsideDown: true });
  const result = await harness.evaluate(async () => {
    const sample: unknown = Reflect.get(window, 'ocrTurned');
    if (!(sample instanceof Blob)) throw new Error('the sample image was not rendered');
    const runtime = window.inpage.createRuntime();
    const ocr = await runtime.ocr({ backend: 'wasm' });
    const { lines } = await ocr.read(sample);
    await runtime.dispose();
    return lines.map(({ text, angle, box }) => ({ text, angle, top: Math.min(...box.map((p) => p.y)) }));
  });
  expect(result.map((line) => line.text)).toEqual(threeLines.lines);
  expect(result.every((line) => line.angle === 180)).toBe(true);
  // In the image, the text's first line is now the lowest.
  expect(result[0]?.top).toBeGreaterThan(result[2]?.top ?? Number.POSITIVE_INFINITY);
});

for (const backend of backends) {
  test(`OCR reads three rendered lines in order on ${backend}`, async ({ harness }) => {
    if (backend === 'webgpu') test.setTimeout(slowBackendTimeoutMs);
    await renderInPage(harness, 'ocrSample', threeLines);
    const out = await harness.evaluate(async (backend) => {
      const sample: unknown = Reflect.get(window, 'ocrSample');
      if (!(sample instanceof Blob)) throw new Error('the sample image was not rendered');
      const runtime = window.inpage.createRuntime();
      const ocr = await runtime.ocr({ backend });
      const first = await ocr.readDetailed(sample);
      // Warm reads (the first one also compiles kernels and sizes buffers); WASM only, see above.
      const warm = [];
      for (let i = 0; i < (backend === 'wasm' ? 2 : 0); i += 1) warm.push(await ocr.readDetailed(sample));
      const info = { backend: ocr.backend, first, warm: warm.map(({ roundTripMs, timings }) => ({ roundTripMs, timings })) };
      await runtime.dispose();
      return info;
    }, backend);

    expect(out.backend).toBe(backend);
    const { result, timings } = out.first;
    expect(result.width).toBe(threeLines.width);
    expect(result.height).toBe(threeLines.height);
    expect(result.lines.map((line) => line.text)).toEqual(threeLines.lines);
    // Detection, orientation and recognition: one call each, all three boxes batched.
    expect(timings.engineCalls).toBe(3);
    expect(timings.inferenceMs).toBeGreaterThan(0);
    let previousTop = -1;
    result.lines.forEach((line, i) => {
      expect(line.confidence, `confidence of "${line.text}" on ${backend}`).toBeGreaterThan(0.8);
      expect(line.angle).toBe(0);
      for (const { x, y } of line.box) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(threeLines.width);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(threeLines.height);
      }
      const [topLeft, topRight, bottomRight, bottomLeft] = line.box;
      // The box sits where the line was drawn: starts at its left edge, centred on its middle.
      expect(Math.abs(topLeft.x - threeLines.left)).toBeLessThan(12);
      expect(Math.abs((topLeft.y + bottomLeft.y + topRight.y + bottomRight.y) / 4 - (threeLines.top + i * threeLines.spacing))).toBeLessThan(8);
      expect(topRight.x).toBeGreaterThan(topLeft.x);
      expect(bottomLeft.y).toBeGreaterThan(topLeft.y);
      expect(Math.min(topLeft.y, topRight.y)).toBeGreaterThan(previousTop);
      previousTop = Math.min(topLeft.y, topRight.y);
    });
    const log = (label: string, { roundTripMs, timings }: { roundTripMs: number; timings: typeof out.first.timings }): void =>
      console.log(
        `[ocr ${backend}] ${label} read: ${roundTripMs.toFixed(0)} ms round trip; worker: pre ${timings.preprocessMs.toFixed(0)} ms, ` +
          `inference ${timings.inferenceMs.toFixed(0)} ms (${timings.engineCalls} calls), post ${timings.postprocessMs.toFixed(0)} ms`,
      );
    log('first', out.first);
    for (const warm of out.warm) {
      expect(warm.timings.engineCalls).toBe(3);
      log('warm', warm);
    }
  });

  test(`OCR rejects bad images with INVALID_INPUT and keeps working on ${backend}`, async ({ harness }) => {
    if (backend === 'webgpu') test.setTimeout(slowBackendTimeoutMs);
    await renderInPage(harness, 'ocrSmall', small);
    await renderInPage(harness, 'ocrLarge', threeLines);
    const out = await harness.evaluate(async (backend) => {
      const smallImage: unknown = Reflect.get(window, 'ocrSmall');
      const largeImage: unknown = Reflect.get(window, 'ocrLarge');
      if (!(smallImage instanceof Blob) || !(largeImage instanceof Blob)) throw new Error('the sample images were not rendered');
      const runtime = window.inpage.createRuntime();
      const ocr = await runtime.ocr({ backend, maxImagePixels: 100 * 100 });
      const undecodable = await window.harness.caught(ocr.readDetailed(new Blob(['not an image'], { type: 'image/png' })));
      const tooLarge = await window.harness.caught(ocr.readDetailed(largeImage));
      const after = await ocr.readDetailed(smallImage);
      await runtime.dispose();
      return { undecodable, tooLarge, after };
    }, backend);

    expect(out.undecodable).toMatchObject({ code: 'INVALID_INPUT', name: 'InvalidInputError', input: 'image', isOwnClass: true });
    expect(out.tooLarge).toMatchObject({ code: 'INVALID_INPUT', input: 'image', got: `${threeLines.width}×${threeLines.height}`, isOwnClass: true });
    expect(out.tooLarge?.message).toContain('maxImagePixels');
    // The same task still reads a valid image afterwards (turning it right side up).
    expect(out.after.result.lines.map((line) => line.text)).toEqual(small.lines);
    expect(out.after.result.lines.map((line) => line.angle)).toEqual([180]);
    expect(out.after.timings.engineCalls).toBe(3);
  });
}
