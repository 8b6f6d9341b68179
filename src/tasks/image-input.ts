/**
 * Images people actually have → an {@link ImageSource} for the worker. Encoded data
 * (Blob, File, URL) is decoded in the worker; DOM-only sources (img, canvas) become an
 * ImageBitmap here, which is the only place they can be read.
 */
import { InvalidInputError, messageOf } from '../errors';
import type { ImageSource } from '../protocol';
import { describeValue } from '../tensor';

/** Every image input the tasks accept. */
export type ImageInput = Blob | ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | string | URL;

/** An image source ready to post, with what to transfer. */
export interface PreparedImage {
  readonly source: ImageSource;
  readonly transfer: Transferable[];
}

function isImageElement(input: unknown): input is HTMLImageElement {
  return typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement;
}

function isCanvasElement(input: unknown): input is HTMLCanvasElement {
  return typeof HTMLCanvasElement !== 'undefined' && input instanceof HTMLCanvasElement;
}

/**
 * Prepare `input` for the worker. An `ImageBitmap` is transferred (it is closed here
 * afterwards); `ImageData` pixels are copied; Blobs cross without copying.
 */
export async function prepareImage(input: ImageInput, task: string, resolveUrl: (url: string | URL) => string): Promise<PreparedImage> {
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
    return { source: { kind: 'url', url }, transfer: [] };
  }
  if (input instanceof Blob) {
    if (input.size === 0)
      throw new InvalidInputError('The image file is empty (0 bytes).', { model: task, input: 'image', expected: 'an encoded image', got: '0 bytes' });
    return { source: { kind: 'blob', blob: input }, transfer: [] };
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
    return { source: { kind: 'bitmap', bitmap: input }, transfer: [input] };
  }
  if (input instanceof ImageData) {
    const data = new Uint8ClampedArray(input.data);
    return { source: { kind: 'pixels', width: input.width, height: input.height, data }, transfer: [data.buffer] };
  }
  if (isImageElement(input) || isCanvasElement(input) || input instanceof OffscreenCanvas) {
    try {
      if (isImageElement(input)) await input.decode();
      const bitmap = await createImageBitmap(input);
      return { source: { kind: 'bitmap', bitmap }, transfer: [bitmap] };
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
