import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageHeader } from './image-header';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((part) => (typeof part === 'string' ? [...part].map((c) => c.charCodeAt(0)) : part)));
const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const le16 = (n: number): number[] => [n & 255, (n >>> 8) & 255];
const le32 = (n: number): number[] => [...le16(n & 0xffff), ...le16(n >>> 16)];

describe('imageHeader', () => {
  it('reads PNG (the 20000×20000 bomb of issue 15 is refused from 24 bytes)', () => {
    expect(imageHeader(bytes([0x89], 'PNG', [13, 10, 26, 10], be32(13), 'IHDR', be32(20000), be32(20000)))).toEqual({
      format: 'png',
      width: 20000,
      height: 20000,
    });
  });

  it('reads a real JPEG from the repository, past its JFIF segment', () => {
    const jpeg = new Uint8Array(readFileSync(join(import.meta.dirname, '..', 'examples', 'vite-app', 'public', 'samples', 'astronaut.jpg')));
    expect(imageHeader(jpeg)).toEqual({ format: 'jpeg', width: 512, height: 512 });
  });

  it('reads a progressive JPEG frame header behind an APP1 segment', () => {
    const app1 = [0xff, 0xe1, ...[0, 10], ...'Exif\0\0\0\0'.split('').map((c) => c.charCodeAt(0))];
    const sof2 = [0xff, 0xc2, 0, 17, 8, ...[0x0b, 0xb8], ...[0x0f, 0xa0], 3];
    expect(imageHeader(bytes([0xff, 0xd8], app1, sof2, new Array<number>(16).fill(0)))).toEqual({ format: 'jpeg', width: 4000, height: 3000 });
  });

  it('reads GIF and BMP (a top-down BMP has a negative height)', () => {
    expect(imageHeader(bytes('GIF89a', le16(640), le16(480)))).toEqual({ format: 'gif', width: 640, height: 480 });
    expect(imageHeader(bytes('BM', new Array<number>(16).fill(0), le32(800), le32(-600 >>> 0)))).toEqual({ format: 'bmp', width: 800, height: 600 });
  });

  it('reads WebP: lossy, lossless and extended', () => {
    const riff = (chunk: string, body: number[]): Uint8Array => bytes('RIFF', le32(100), 'WEBP', chunk, le32(body.length), body);
    expect(imageHeader(riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, ...le16(1024), ...le16(768)]))).toEqual({ format: 'webp', width: 1024, height: 768 });
    const bits = (1024 - 1) | ((768 - 1) << 14);
    expect(imageHeader(riff('VP8L', [0x2f, ...le32(bits)]))).toEqual({ format: 'webp', width: 1024, height: 768 });
    expect(imageHeader(riff('VP8X', [0, 0, 0, 0, 0xff, 0x4d, 0x01, 0x1f, 0x4e, 0x00]))).toEqual({ format: 'webp', width: 85504, height: 20000 });
  });

  it('says nothing about what it cannot read', () => {
    expect(imageHeader(bytes('not an image at all, just text'))).toBeUndefined();
    expect(imageHeader(bytes([0x89], 'PNG'))).toBeUndefined(); // cut short
    expect(imageHeader(new Uint8Array(0))).toBeUndefined();
  });
});
