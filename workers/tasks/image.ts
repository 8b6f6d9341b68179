/**
 * Worker-side image input: decode whatever the main thread sent into an ImageBitmap
 * (checking size limits before any engine call), and draw it resized into pixels.
 */
import { InvalidInputError, messageOf } from '../../src/errors';
import { checkImageHeader, imageTooLarge } from '../../src/image-header';
import type { ImageSource } from '../../src/protocol';

async function decodeBlob(blob: Blob, maxPixels: number, model: string): Promise<ImageBitmap> {
  await checkImageHeader(blob, maxPixels, model);
  return await createImageBitmap(blob);
}

/**
 * Decode `source`; reject undecodable data and images over `maxPixels` with `INVALID_INPUT`
 * (an encoded file's header is read first: an oversized one is never decoded).
 */
export async function decodeImage(source: ImageSource, maxPixels: number, model: string): Promise<ImageBitmap> {
  let bitmap: ImageBitmap;
  try {
    switch (source.kind) {
      case 'bitmap':
        bitmap = source.bitmap;
        break;
      case 'blob':
        bitmap = await decodeBlob(source.blob, maxPixels, model);
        break;
      case 'url': {
        const response = await fetch(source.url);
        if (!response.ok) throw new Error(`HTTP ${response.status} for ${source.url}`);
        bitmap = await decodeBlob(await response.blob(), maxPixels, model);
        break;
      }
      case 'pixels':
        bitmap = await createImageBitmap(new ImageData(new Uint8ClampedArray(source.data), source.width, source.height));
        break;
    }
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(`The image could not be decoded (${messageOf(error)}). Pass a PNG, JPEG, WebP, GIF or BMP, or pixels.`, {
      model,
      input: 'image',
      expected: 'a decodable image',
      got: source.kind === 'blob' ? `${source.blob.type || 'untyped'} blob of ${source.blob.size} bytes` : source.kind,
      detail: messageOf(error),
    });
  }
  if (bitmap.width === 0 || bitmap.height === 0) {
    throw new InvalidInputError('The image is empty (0 pixels wide or high).', {
      model,
      input: 'image',
      expected: 'at least 1×1 pixels',
      got: `${bitmap.width}×${bitmap.height}`,
    });
  }
  if (bitmap.width * bitmap.height > maxPixels) {
    const size = `${bitmap.width}×${bitmap.height}`;
    bitmap.close();
    throw imageTooLarge(size, maxPixels, model, '');
  }
  return bitmap;
}

/** RGBA pixels of `bitmap` (or of its `crop` region) drawn at `width`×`height`. */
export function drawToPixels(
  bitmap: ImageBitmap | OffscreenCanvas,
  width: number,
  height: number,
  crop?: { readonly x: number; readonly y: number; readonly width: number; readonly height: number },
): ImageData {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context === null) throw new Error('OffscreenCanvas 2d context is unavailable in this worker');
  if (crop === undefined) context.drawImage(bitmap, 0, 0, width, height);
  else context.drawImage(bitmap, crop.x, crop.y, crop.width, crop.height, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}
