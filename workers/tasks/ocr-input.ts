/**
 * OCR model inputs: the detection tensor (resized, padded to multiples of 32, ImageNet-
 * normalised) and batches of text crops for the orientation and recognition models
 * (each box warped upright to a fixed height, normalised to [-1, 1], zero-padded).
 *
 * PaddleOCR reads images with OpenCV, so its models were trained on BGR channel order,
 * with the ImageNet mean/std applied in that order; the tensors here follow it.
 */
import type { Point } from '../../src/protocol';
import { quadSize, type Quad } from './ocr-geometry';

/** Where the image sits in the detection input. */
export interface DetLayout {
  /** The image's size once scaled into the input (top-left aligned). */
  readonly contentWidth: number;
  readonly contentHeight: number;
  /** The input tensor's size: the content padded to multiples of 32. */
  readonly inputWidth: number;
  readonly inputHeight: number;
}

const detMean = [0.485, 0.456, 0.406] as const;
const detStd = [0.229, 0.224, 0.225] as const;

/**
 * Scale a `width` × `height` image so its longer side is at most `maxSide` (never
 * upscaled), then pad to multiples of 32 (the detector downsamples by 32).
 *
 * @example
 * detLayout(640, 200, 960); // { contentWidth: 640, contentHeight: 200, inputWidth: 640, inputHeight: 224 }
 */
export function detLayout(width: number, height: number, maxSide: number): DetLayout {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const contentWidth = Math.max(1, Math.round(width * scale));
  const contentHeight = Math.max(1, Math.round(height * scale));
  const pad = (n: number): number => Math.max(32, Math.ceil(n / 32) * 32);
  return { contentWidth, contentHeight, inputWidth: pad(contentWidth), inputHeight: pad(contentHeight) };
}

/** RGBA pixels, as in `ImageData`. */
export interface Rgba {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/**
 * The detector's `x`: f32 `[1, 3, inputHeight, inputWidth]`, BGR, `(v / 255 − mean) / std`,
 * with zeros (the mean colour) in the padding. `pixels` holds the content, already resized.
 */
export function detTensor(pixels: Rgba, layout: DetLayout): Float32Array {
  const { inputWidth, inputHeight } = layout;
  const plane = inputWidth * inputHeight;
  const out = new Float32Array(3 * plane);
  for (let y = 0; y < pixels.height; y += 1) {
    for (let x = 0; x < pixels.width; x += 1) {
      const source = (y * pixels.width + x) * 4;
      const target = y * inputWidth + x;
      // Channel c of the tensor is BGR's c, i.e. RGBA offset 2 − c.
      for (let c = 0; c < 3; c += 1) out[c * plane + target] = ((pixels.data[source + 2 - c] ?? 0) / 255 - (detMean[c] ?? 0)) / (detStd[c] ?? 1);
    }
  }
  return out;
}

/** A quad's corners rotated by `quarterTurns` × 90° (the crop read from it turns counter-clockwise). */
export function rotateQuad(quad: Quad, quarterTurns: number): Quad {
  const k = ((quarterTurns % 4) + 4) % 4;
  return [quad[k % 4] ?? quad[0], quad[(k + 1) % 4] ?? quad[1], quad[(k + 2) % 4] ?? quad[2], quad[(k + 3) % 4] ?? quad[3]];
}

/**
 * The quad to read a box from: tall boxes (height ≥ 1.5 × width, vertical text) are
 * turned a quarter counter-clockwise, as PaddleOCR does.
 */
export function uprightQuad(quad: Quad): Quad {
  const { width, height } = quadSize(quad);
  return height >= 1.5 * width ? rotateQuad(quad, 1) : quad;
}

/** Width of a crop drawn at `height`, keeping the quad's aspect ratio, at most `maxWidth`. */
export function cropWidth(quad: Quad, height: number, maxWidth: number): number {
  const size = quadSize(quad);
  const ratio = size.height > 0 ? size.width / size.height : 1;
  return Math.min(maxWidth, Math.max(1, Math.ceil(height * ratio)));
}

/**
 * Width of a recognition batch: the widest crop, at least `minWidth`, rounded up to a
 * multiple of 32 (fewer distinct shapes for the engine to compile), at most `maxWidth`.
 *
 * @example
 * batchWidth([180, 505], 320, 960); // 512
 */
export function batchWidth(widths: readonly number[], minWidth: number, maxWidth: number): number {
  const widest = Math.max(minWidth, ...widths);
  return Math.min(maxWidth, Math.ceil(widest / 32) * 32);
}

/** An affine canvas transform `[a, b, c, d, e, f]` (as `setTransform` takes). */
export type Affine = readonly [number, number, number, number, number, number];

/**
 * The canvas transform that maps `quad`'s top-left, top-right and bottom-left corners to
 * `(0, top)`, `(width, top)` and `(0, top + height)`: draw the whole image under it and
 * the box lands upright in that strip.
 *
 * @example
 * cropTransform([{x:10,y:20},{x:110,y:20},{x:110,y:44},{x:10,y:44}], 200, 48, 0); // [2, 0, 0, 2, -20, -40]
 */
export function cropTransform(quad: Quad, width: number, height: number, top: number): Affine {
  const [origin, right, , down] = quad;
  const u: Point = { x: (right.x - origin.x) / width, y: (right.y - origin.y) / width };
  const v: Point = { x: (down.x - origin.x) / height, y: (down.y - origin.y) / height };
  const det = u.x * v.y - v.x * u.y;
  if (det === 0) return [0, 0, 0, 0, 0, top];
  const a = v.y / det;
  const b = -u.y / det;
  const c = -v.x / det;
  const d = u.x / det;
  return [a, b, c, d, -(a * origin.x + c * origin.y), -(b * origin.x + d * origin.y) + top];
}

/**
 * Draw each quad upright into its own `height`-pixel strip of one canvas (strip `i` at
 * `y = i × height`, `widths[i]` wide), and read all of them back in one go.
 */
export function drawCrops(image: ImageBitmap, quads: readonly Quad[], widths: readonly number[], height: number, canvasWidth: number): ImageData {
  const canvas = new OffscreenCanvas(canvasWidth, Math.max(1, height * quads.length));
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context === null) throw new Error('OffscreenCanvas 2d context is unavailable in this worker');
  context.imageSmoothingQuality = 'high';
  quads.forEach((quad, i) => {
    const width = widths[i] ?? 1;
    context.save();
    context.beginPath();
    context.rect(0, i * height, width, height);
    context.clip();
    context.setTransform(...cropTransform(quad, width, height, i * height));
    context.drawImage(image, 0, 0);
    context.restore();
  });
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

/**
 * Crops strips (as {@link drawCrops} lays them out) → f32 `[N, 3, height, tensorWidth]`,
 * BGR, `(v / 255 − 0.5) / 0.5`, zeros right of each crop's width.
 */
export function cropTensor(strips: Rgba, widths: readonly number[], height: number, tensorWidth: number): Float32Array {
  const plane = height * tensorWidth;
  const out = new Float32Array(widths.length * 3 * plane);
  widths.forEach((width, n) => {
    const usable = Math.min(width, tensorWidth, strips.width);
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < usable; x += 1) {
        const source = ((n * height + y) * strips.width + x) * 4;
        const target = n * 3 * plane + y * tensorWidth + x;
        for (let c = 0; c < 3; c += 1) out[target + c * plane] = (strips.data[source + 2 - c] ?? 0) / 127.5 - 1;
      }
    }
  });
  return out;
}
