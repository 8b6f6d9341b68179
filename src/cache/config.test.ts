import { describe, expect, it } from 'vitest';
import { defaultCacheConfig, resolveCacheConfig } from './config';

describe('resolveCacheConfig', () => {
  it('turns every cache on by default; false turns one off; objects override fields', () => {
    expect(resolveCacheConfig()).toEqual(defaultCacheConfig);
    const resolved = resolveCacheConfig({ weights: false, kvPrefix: { blockTokens: 32 }, embeddings: { memoryEntries: 5 } });
    expect(resolved.weights.enabled).toBe(false);
    expect(resolved.kvPrefix).toEqual({ ...defaultCacheConfig.kvPrefix, blockTokens: 32 });
    expect(resolved.embeddings.memoryEntries).toBe(5);
  });

  it('names the bad field', () => {
    expect(() => resolveCacheConfig({ weights: { budgetBytes: -1 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', input: 'cache.weights.budgetBytes' }),
    );
    expect(() => resolveCacheConfig({ kvPrefix: { blockTokens: 2.5 } })).toThrow(expect.objectContaining({ input: 'cache.kvPrefix.blockTokens' }));
    expect(() => resolveCacheConfig({ embeddings: { persist: 'yes' as unknown as boolean } })).toThrow(
      expect.objectContaining({ input: 'cache.embeddings.persist' }),
    );
    expect(() => resolveCacheConfig({ weights: 'yes' as never })).toThrow(
      expect.objectContaining({ input: 'cache.weights', expected: 'boolean | options object', got: '"yes"' }),
    );
    expect(() => resolveCacheConfig({ embeddings: { memoryEntrys: 5 } as never })).toThrow(
      expect.objectContaining({ input: 'cache.embeddings.memoryEntrys', expected: 'enabled | memoryEntries | persist | budgetBytes', got: 'memoryEntrys' }),
    );
  });
});
