/**
 * An encoded image's width and height read from its first bytes, without decoding it: a
 * 389 KB PNG can claim 20000×20000 pixels and take tens of seconds (and gigabytes) to
 * decode before a pixel limit applied afterwards could refuse it. PNG, JPEG, GIF, BMP and
 * WebP (lossy, lossless, extended); anything else is `undefined` (decode, then check).
 */
import { InvalidInputError } from './errors';

/** What a header says. */
export interface ImageHeader {
  readonly format: 'png' | 'jpeg' | 'gif' | 'bmp' | 'webp';
  readonly width: number;
  readonly height: number;
}

/** Bytes worth reading: a JPEG's frame header can sit behind up to 64 KiB of EXIF (APP1), or more. */
const headerBytes = 256 * 1024;

const u16be = (b: Uint8Array, i: number): number => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const u16le = (b: Uint8Array, i: number): number => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, i: number): number => u16le(b, i) | ((b[i + 2] ?? 0) << 16);
const u32be = (b: Uint8Array, i: number): number => u16be(b, i) * 0x10000 + u16be(b, i + 2);
const i32le = (b: Uint8Array, i: number): number => u16le(b, i) | (u16le(b, i + 2) << 16) | 0;
const ascii = (b: Uint8Array, i: number, text: string): boolean => [...text].every((c, k) => b[i + k] === c.charCodeAt(0));

function jpeg(b: Uint8Array): ImageHeader | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1] ?? 0;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    // Standalone markers carry no length.
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const length = u16be(b, i + 2);
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return { format: 'jpeg', height: u16be(b, i + 5), width: u16be(b, i + 7) };
    if (length < 2) return undefined;
    i += 2 + length;
  }
  return undefined;
}

function webp(b: Uint8Array): ImageHeader | undefined {
  if (ascii(b, 12, 'VP8 ') && b.length >= 30) return { format: 'webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  if (ascii(b, 12, 'VP8L') && b.length >= 25) {
    const bits = (b[21] ?? 0) | ((b[22] ?? 0) << 8) | ((b[23] ?? 0) << 16) | ((b[24] ?? 0) << 24);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (ascii(b, 12, 'VP8X') && b.length >= 30) return { format: 'webp', width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  return undefined;
}

/** `INVALID_INPUT` for an image of `size` (`W×H`) over `maxPixels`; `how` says how the size was read. */
export function imageTooLarge(size: string, maxPixels: number, model: string, how: string): InvalidInputError {
  return new InvalidInputError(
    `The image is ${size} pixels${how}, over the limit of ${maxPixels} pixels (option maxImagePixels). Downscale it first or raise the limit.`,
    { model, input: 'image', expected: `at most ${maxPixels} pixels`, got: size },
  );
}

/** Refuse an encoded image whose header announces more than `maxPixels`, before decoding a byte of it. */
export async function checkImageHeader(blob: Blob, maxPixels: number, model: string): Promise<void> {
  const header = await blobImageHeader(blob);
  if (header !== undefined && header.width * header.height > maxPixels)
    throw imageTooLarge(`${header.width}×${header.height}`, maxPixels, model, ` by its ${header.format.toUpperCase()} header (not decoded)`);
}

/** The size an image file's header announces, or `undefined` when the format is not one of these (or the bytes are cut short). */
export function imageHeader(b: Uint8Array): ImageHeader | undefined {
  if (b.length >= 24 && b[0] === 0x89 && ascii(b, 1, 'PNG') && ascii(b, 12, 'IHDR')) return { format: 'png', width: u32be(b, 16), height: u32be(b, 20) };
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpeg(b);
  if (b.length >= 10 && (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a'))) return { format: 'gif', width: u16le(b, 6), height: u16le(b, 8) };
  if (b.length >= 26 && ascii(b, 0, 'BM')) return { format: 'bmp', width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
  if (b.length >= 16 && ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return webp(b);
  return undefined;
}

/** The size `blob`'s header announces, reading only its first 256 KiB. */
export async function blobImageHeader(blob: Blob): Promise<ImageHeader | undefined> {
  return imageHeader(new Uint8Array(await blob.slice(0, headerBytes).arrayBuffer()));
}
