import { describe, expect, it } from 'vitest';
import { defaultOrtThreads, ortThreads } from './wasm-threads';

describe('WASM threads', () => {
  it('default to 1 on 2 cores and to half the cores, at most 8, above', () => {
    expect([1, 2, 4, 6, 8, 16, 64].map(defaultOrtThreads)).toEqual([1, 1, 2, 3, 4, 8, 8]);
    expect(defaultOrtThreads(Number.NaN)).toBe(1);
  });

  it('are 1 without cross-origin isolation, whatever was asked', () => {
    expect(ortThreads(8, false, 16)).toBe(1);
    expect(ortThreads(0, false, 16)).toBe(1);
  });

  it('follow an explicit count when isolated, else the default', () => {
    expect(ortThreads(8, true, 2)).toBe(8);
    expect(ortThreads(0, true, 16)).toBe(8);
  });
});
