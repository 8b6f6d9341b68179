import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { defaultCacheConfig } from './config';
import { EmbeddingCache } from './embedding-cache';
import type * as hash from './hash';

// Count how often a text (a string) is hashed; vectors' checksums hash bytes and are not counted.
const textsHashed = vi.hoisted(() => ({ count: 0 }));
vi.mock('./hash', async (importOriginal) => {
  const original = await importOriginal<typeof hash>();
  return {
    ...original,
    sha256Hex: (data: Parameters<typeof original.sha256Hex>[0]) => {
      if (typeof data === 'string') textsHashed.count += 1;
      return original.sha256Hex(data);
    },
  };
});

describe('EmbeddingCache: each text is hashed once', () => {
  it('stores the vectors of texts that missed under the hashes their lookup made', async () => {
    const vec = (x: number) => ({ vector: Float32Array.from([x, x + 1]), tokens: x });
    const first = new EmbeddingCache('ns-hash-once', 'm', defaultCacheConfig.embeddings, () => undefined);
    await first.indexed();
    textsHashed.count = 0;
    expect(await first.lookup(['alpha', 'beta', 'gamma'])).toEqual([undefined, undefined, undefined]);
    expect(textsHashed.count).toBe(3);
    first.save(['alpha', 'beta', 'gamma'], [vec(1), vec(2), vec(3)]);
    await first.settled();
    expect(textsHashed.count).toBe(3); // the flush reused them
    // A text saved without a lookup first is hashed when it is stored.
    first.save(['delta'], [vec(4)]);
    await first.settled();
    expect(textsHashed.count).toBe(4);
    // Stored under the right keys: a fresh instance (as after a reload) finds every one.
    const second = new EmbeddingCache('ns-hash-once', 'm', defaultCacheConfig.embeddings, () => undefined);
    expect((await second.lookup(['gamma', 'alpha', 'delta', 'beta'])).map((f) => f?.tokens)).toEqual([3, 1, 4, 2]);
  });
});
