/**
 * The images {@link ObjectDetectionTask.detect} takes, read on the main thread: checked
 * (size, decodable, not closed) before anything else happens, then drawn letterboxed into
 * a square canvas whose pixels become the model's input.
 */
import { blobImageHeader } from '../../image-header';
import { InvalidInputError } from '../../index';
import type { Letterbox } from './letterbox';

/**
 * An image to detect objects in: a decoded image (`ImageBitmap`, `ImageData`, a loaded
 * `<img>`), a canvas, a playing `<video>`, a `VideoFrame` from a camera track, or an encoded
 * image file (`Blob` / `File`: PNG, JPEG, WebP …).
 */
export type DetectionImage = ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | OffscreenCanvas | VideoFrame | Blob;

/** An image ready to draw, with its size in pixels. */
export interface DrawableImage {
  readonly source: CanvasImageSource;
  readonly width: number;
  readonly height: number;
  /** Free what reading made (a decoded Blob's bitmap); the caller's own image is left alone. */
  release(): void;
}

/** Whether the global constructor `name` exists here (not every one does in every context: a worker has no `HTMLImageElement`). */
const has = (name: string): boolean => typeof Reflect.get(globalThis, name) === 'function';

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (typeof input !== 'object') return typeof input;
  return Object.prototype.toString.call(input).slice(8, -1);
}

function invalid(task: string, message: string, got: string, detail?: string): InvalidInputError {
  return new InvalidInputError(message, {
    model: task,
    input: 'image',
    expected: 'an image of at least 1×1 pixels',
    got,
    ...(detail === undefined ? {} : { detail }),
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The image's own size and something to draw, or `INVALID_INPUT` saying what is wrong with it. */
async function open(input: DetectionImage, task: string, maxPixels: number): Promise<DrawableImage> {
  const keep = (source: CanvasImageSource, width: number, height: number): DrawableImage => ({ source, width, height, release: () => undefined });
  if (has('Blob') && input instanceof Blob) {
    if (input.size === 0) throw invalid(task, 'The image file is empty (0 bytes).', '0 bytes');
    // An oversized file is refused from its header, never decoded.
    const header = await blobImageHeader(input);
    if (header !== undefined && header.width * header.height > maxPixels)
      throw new InvalidInputError(
        `The image is ${header.width}×${header.height} pixels by its ${header.format.toUpperCase()} header (not decoded), above the task's maxImagePixels (${maxPixels}): scale it down first.`,
        { model: task, input: 'image', expected: `at most ${maxPixels} pixels`, got: `${header.width}×${header.height}` },
      );
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(input);
    } catch (error) {
      throw invalid(
        task,
        `The ${input.type || 'image'} file could not be decoded as an image (${messageOf(error)}).`,
        `${input.size} bytes of ${input.type || 'unknown type'}`,
        messageOf(error),
      );
    }
    return { source: bitmap, width: bitmap.width, height: bitmap.height, release: () => bitmap.close() };
  }
  if (has('ImageBitmap') && input instanceof ImageBitmap) return keep(input, input.width, input.height);
  if (has('ImageData') && input instanceof ImageData) {
    if (input.width === 0 || input.height === 0)
      throw invalid(task, `The ImageData is ${input.width}×${input.height} pixels: nothing to detect in.`, `${input.width}×${input.height}`);
    const bitmap = await createImageBitmap(input);
    return { source: bitmap, width: input.width, height: input.height, release: () => bitmap.close() };
  }
  if (has('HTMLImageElement') && input instanceof HTMLImageElement) {
    try {
      await input.decode();
    } catch (error) {
      throw invalid(
        task,
        `The <img> could not be decoded (${messageOf(error)}): is its src an image, and loaded?`,
        `<img src="${input.currentSrc || input.src}">`,
        messageOf(error),
      );
    }
    return keep(input, input.naturalWidth, input.naturalHeight);
  }
  if (has('HTMLVideoElement') && input instanceof HTMLVideoElement) {
    if (input.readyState < HTMLMediaElement.HAVE_CURRENT_DATA)
      throw invalid(task, 'The <video> has no frame to read yet: wait for its "loadeddata" event.', `readyState ${input.readyState}`);
    return keep(input, input.videoWidth, input.videoHeight);
  }
  if (has('VideoFrame') && input instanceof VideoFrame) return keep(input, input.displayWidth, input.displayHeight);
  if ((has('HTMLCanvasElement') && input instanceof HTMLCanvasElement) || (has('OffscreenCanvas') && input instanceof OffscreenCanvas))
    return keep(input, input.width, input.height);
  throw new InvalidInputError(`Unsupported image input: ${describe(input)}.`, {
    model: task,
    input: 'image',
    expected: 'ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | OffscreenCanvas | VideoFrame | Blob',
    got: describe(input),
  });
}

/**
 * Open `input` for drawing: `INVALID_INPUT` for an unsupported value, an undecodable or
 * empty file, a closed bitmap or frame, an image of 0 pixels or one above `maxPixels`.
 */
export async function openImage(input: DetectionImage, task: string, maxPixels: number): Promise<DrawableImage> {
  const image = await open(input, task, maxPixels);
  const { width, height } = image;
  const fail = (error: InvalidInputError): never => {
    image.release();
    throw error;
  };
  if (!(width > 0 && height > 0))
    fail(
      invalid(
        task,
        `The image is ${width}×${height} pixels (empty, or a closed bitmap or frame): nothing to detect in.`,
        `${width}×${height} ${describe(input)}`,
      ),
    );
  if (width * height > maxPixels)
    fail(
      new InvalidInputError(`The image is ${width}×${height} pixels, above the task's maxImagePixels (${maxPixels}): scale it down first.`, {
        model: task,
        input: 'image',
        expected: `at most ${maxPixels} pixels`,
        got: `${width}×${height}`,
      }),
    );
  return image;
}

/** Draw `image` letterboxed into `context`'s square canvas (black around it) and read the pixels back, RGBA. */
export function drawLetterboxed(context: OffscreenCanvasRenderingContext2D, image: DrawableImage, fit: Letterbox): Uint8ClampedArray {
  context.fillStyle = '#000';
  context.fillRect(0, 0, fit.size, fit.size);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(image.source, fit.left, fit.top, fit.width, fit.height);
  return context.getImageData(0, 0, fit.size, fit.size).data;
}
