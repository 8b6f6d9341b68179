/**
 * Images people actually have → an {@link ImageSource} for the worker. Encoded data
 * (Blob, File, URL) is decoded in the worker; DOM-only sources (img, canvas) become an
 * ImageBitmap here, which is the only place they can be read.
 */
import { InvalidInputError, messageOf } from '../errors';
import { checkImageHeader, imageTooLarge } from '../image-header';
import type { ImageSource } from '../protocol';
import { describeValue } from '../tensor';

/** Every image input the tasks accept. */
export type ImageInput = Blob | ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | string | URL;

/** One message's worth of an image: what to post, and what to transfer with it. */
export interface SendableImage {
  readonly source: ImageSource;
  readonly transfer: Transferable[];
}

/**
 * An image ready for the worker. Each attempt to send it gets a message of its own
 * ({@link PreparedImage.sendable}): if the worker dies mid-call, the call is sent again to
 * a fresh one, and what the first message transferred is gone with the dead worker.
 */
export interface PreparedImage {
  /** A message for one attempt (pixels copied, a bitmap cloned; URLs and Blobs cross as they are). */
  sendable(): Promise<SendableImage>;
  /** Free what preparing held (a bitmap: closed), once the call settled. */
  release(): void;
}

function prepared(source: ImageSource): PreparedImage {
  return { sendable: () => Promise.resolve({ source, transfer: [] }), release: () => undefined };
}

function preparedPixels(width: number, height: number, pixels: Uint8ClampedArray): PreparedImage {
  return {
    sendable: () => {
      const data = pixels.slice();
      return Promise.resolve({ source: { kind: 'pixels', width, height, data }, transfer: [data.buffer] });
    },
    release: () => undefined,
  };
}

function preparedBitmap(bitmap: ImageBitmap): PreparedImage {
  return {
    // A clone per attempt (it shares the image; no pixel readback here): the worker closes what it gets.
    sendable: async () => {
      const clone = await createImageBitmap(bitmap);
      return { source: { kind: 'bitmap', bitmap: clone }, transfer: [clone] };
    },
    release: () => bitmap.close(),
  };
}

function isImageElement(input: unknown): input is HTMLImageElement {
  return typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement;
}

function isCanvasElement(input: unknown): input is HTMLCanvasElement {
  return typeof HTMLCanvasElement !== 'undefined' && input instanceof HTMLCanvasElement;
}

/** Refuse pixels over the task's `maxImagePixels` here, before any worker message. */
function checkPixels(width: number, height: number, maxPixels: number, task: string): void {
  if (width * height > maxPixels) throw imageTooLarge(`${width}×${height}`, maxPixels, task, '');
}

/**
 * Prepare `input` for the worker. An `ImageBitmap` is closed once the call settled (as if
 * transferred); `ImageData` pixels are copied; Blobs and URLs cross without copying.
 * Sizes over `maxPixels` are refused here when they are known without decoding: pixels,
 * bitmaps, canvases, and a Blob's PNG/JPEG/GIF/BMP/WebP header (a URL's file is fetched,
 * and its header checked, in the worker).
 */
export async function prepareImage(input: ImageInput, task: string, resolveUrl: (url: string | URL) => string, maxPixels: number): Promise<PreparedImage> {
  if (typeof input === 'string' || input instanceof URL) {
    if (typeof input === 'string' && input.trim() === '')
      throw new InvalidInputError('The image URL is empty.', { model: task, input: 'image', expected: 'a URL', got: '""' });
    let url: string;
    try {
      url = resolveUrl(input);
    } catch (error) {
      throw new InvalidInputError(`The image URL is malformed: ${JSON.stringify(String(input))}.`, {
        model: task,
        input: 'image',
        expected: 'an absolute or page-relative URL',
        got: String(input),
        detail: messageOf(error),
      });
    }
    return prepared({ kind: 'url', url });
  }
  if (input instanceof Blob) {
    if (input.size === 0)
      throw new InvalidInputError('The image file is empty (0 bytes).', { model: task, input: 'image', expected: 'an encoded image', got: '0 bytes' });
    await checkImageHeader(input, maxPixels, task);
    return prepared({ kind: 'blob', blob: input });
  }
  if (input instanceof ImageBitmap) {
    // A closed (or already transferred) bitmap reads as 0×0 and cannot cross to the worker.
    if (input.width === 0 || input.height === 0)
      throw new InvalidInputError('The ImageBitmap is closed or was already transferred (it reads as 0×0).', {
        model: task,
        input: 'image',
        expected: 'an open ImageBitmap',
        got: 'a closed ImageBitmap',
      });
    checkPixels(input.width, input.height, maxPixels, task);
    return preparedBitmap(input);
  }
  if (input instanceof ImageData) {
    if (input.data.byteLength === 0)
      throw new InvalidInputError('The ImageData was transferred (its pixels are detached).', {
        model: task,
        input: 'image',
        expected: 'ImageData with its pixels',
        got: 'a detached ImageData',
      });
    checkPixels(input.width, input.height, maxPixels, task);
    return preparedPixels(input.width, input.height, new Uint8ClampedArray(input.data));
  }
  if (isImageElement(input) || isCanvasElement(input) || input instanceof OffscreenCanvas) {
    try {
      if (isImageElement(input)) await input.decode();
      return preparedBitmap(await createImageBitmap(input));
    } catch (error) {
      throw new InvalidInputError(`The ${describeValue(input)} could not be read as an image (${messageOf(error)}).`, {
        model: task,
        input: 'image',
        expected: 'a loaded image or a canvas',
        got: describeValue(input),
        detail: messageOf(error),
      });
    }
  }
  throw new InvalidInputError(`Unsupported image input: ${describeValue(input)}.`, {
    model: task,
    input: 'image',
    expected: 'Blob | File | ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | URL',
    got: describeValue(input),
  });
}
