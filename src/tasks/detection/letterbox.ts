/**
 * Letterboxing, as NanoDet's own evaluation does it (`keep_ratio: True`): the image is
 * scaled to fit a square model input without changing its aspect ratio, centred, and the
 * rest is filled with black; boxes found in the square are mapped back to the image's own
 * pixels. Then the pixels become the model's input tensor: planar channels (NCHW) in the
 * order the model was trained with, normalised by per-channel mean and standard deviation.
 * Pure functions: no DOM.
 */

/** Where the image sits inside the square model input, in model-input pixels. */
export interface Letterbox {
  /** Side of the square model input. */
  readonly size: number;
  /** Model-input pixels per image pixel. */
  readonly scale: number;
  /** The scaled image's offset and size inside the square. */
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** A box by its corners (x1, y1) top-left and (x2, y2) bottom-right. */
export interface Corners {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

/** A box in an image's pixels: top-left corner and size. */
export interface PixelBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Per-channel normalisation, each array in R, G, B order: `(value - mean) / std`, values 0…255. */
export interface Normalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** The channel order the model takes: `'bgr'` for models trained on OpenCV images. */
  readonly channelOrder: 'rgb' | 'bgr';
}

/** Fit a `sourceWidth` × `sourceHeight` image into a `size` × `size` square, centred. */
export function letterbox(sourceWidth: number, sourceHeight: number, size: number): Letterbox {
  if (!(sourceWidth > 0 && sourceHeight > 0 && size > 0))
    throw new RangeError(`letterbox needs positive sizes, got ${sourceWidth}×${sourceHeight} into ${size}`);
  const scale = Math.min(size / sourceWidth, size / sourceHeight);
  const width = Math.max(1, Math.min(size, Math.round(sourceWidth * scale)));
  const height = Math.max(1, Math.min(size, Math.round(sourceHeight * scale)));
  return { size, scale, left: Math.floor((size - width) / 2), top: Math.floor((size - height) / 2), width, height };
}

/**
 * A box found in model-input pixels, in the source image's pixels: the letterbox undone,
 * clipped to the image. Empty (zero-size) when the box lies in the padding.
 */
export function toSourceBox(box: Corners, fit: Letterbox, sourceWidth: number, sourceHeight: number): PixelBox {
  // The drawn image spans `fit.width` pixels for `sourceWidth`: use that exact ratio per axis.
  const sx = sourceWidth / fit.width;
  const sy = sourceHeight / fit.height;
  const clip = (value: number, max: number): number => Math.min(max, Math.max(0, value));
  const x1 = clip((box.x1 - fit.left) * sx, sourceWidth);
  const y1 = clip((box.y1 - fit.top) * sy, sourceHeight);
  const x2 = clip((box.x2 - fit.left) * sx, sourceWidth);
  const y2 = clip((box.y2 - fit.top) * sy, sourceHeight);
  return { x: x1, y: y1, width: Math.max(0, x2 - x1), height: Math.max(0, y2 - y1) };
}

/**
 * RGBA pixels (`size` × `size`, as `getImageData` gives them) → a planar float tensor's data
 * `[3, size, size]` in `normalization.channelOrder`, each value `(v - mean) / std`.
 */
export function rgbaToPlanar(rgba: Uint8ClampedArray, size: number, normalization: Normalization): Float32Array<ArrayBuffer> {
  const pixels = size * size;
  if (rgba.length !== pixels * 4) throw new RangeError(`expected ${pixels * 4} RGBA values for ${size}×${size}, got ${rgba.length}`);
  const out = new Float32Array(pixels * 3);
  const { mean, std, channelOrder } = normalization;
  // Plane p holds source channel `order[p]` (0 = R, 1 = G, 2 = B).
  const order = channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  for (let plane = 0; plane < 3; plane += 1) {
    const channel = order[plane] ?? plane;
    const m = mean[channel] ?? 0;
    const inverse = 1 / (std[channel] ?? 1);
    const offset = plane * pixels;
    for (let i = 0, j = channel; i < pixels; i += 1, j += 4) out[offset + i] = ((rgba[j] ?? 0) - m) * inverse;
  }
  return out;
}
