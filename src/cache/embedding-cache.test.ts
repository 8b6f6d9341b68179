import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { defaultCacheConfig } from './config';
import { BlobStore } from './blob-store';
import { EmbeddingCache, type StoredEmbedding } from './embedding-cache';
import { sha256Hex } from './hash';
import type { CacheEvent } from './events';

const vec = (x: number) => ({ vector: Float32Array.from([x, x + 1]), tokens: x });
let n = 0;

describe('EmbeddingCache', () => {
  it('answers from memory, bounded by memoryEntries (LRU), and hands out copies', async () => {
    const events: CacheEvent[] = [];
    const cache = new EmbeddingCache(`ns-${(n += 1)}`, 'm', { ...defaultCacheConfig.embeddings, memoryEntries: 2, persist: false }, (e) => events.push(e));
    cache.save(['a', 'b'], [vec(1), vec(2)]);
    const [a] = await cache.lookup(['a']); // a is now more recent than b
    a?.vector.fill(99); // mutating a copy must not change the cache
    cache.save(['c'], [vec(3)]);
    const found = await cache.lookup(['a', 'b', 'c']);
    expect(found.map((f) => (f === undefined ? undefined : [...f.vector]))).toEqual([[1, 2], undefined, [3, 4]]);
    expect(found[2]?.tokens).toBe(3);
    expect(events.map((e) => `${e.kind}${e.tier === undefined ? '' : `:${e.tier}`}`)).toEqual(['hit:memory', 'hit:memory', 'hit:memory', 'miss']);
  });

  it('finds vectors in IndexedDB from a new instance (as after a reload)', async () => {
    const namespace = `ns-${(n += 1)}`;
    const first = new EmbeddingCache(namespace, 'm', defaultCacheConfig.embeddings, () => undefined);
    first.save(['hello', 'world'], [vec(5), vec(6)]);
    await first.settled();
    const events: CacheEvent[] = [];
    const second = new EmbeddingCache(namespace, 'm', defaultCacheConfig.embeddings, (e) => events.push(e));
    const found = await second.lookup(['world', 'unknown', 'hello']);
    expect(found.map((f) => f?.tokens)).toEqual([6, undefined, 5]);
    expect(events.filter((e) => e.kind === 'hit').map((e) => e.tier)).toEqual(['indexeddb', 'indexeddb']);
    // Another model's namespace never sees them.
    const other = new EmbeddingCache(`${namespace}-other`, 'm', defaultCacheConfig.embeddings, () => undefined);
    expect(await other.lookup(['hello'])).toEqual([undefined]);
  });

  it('drops a vector overwritten in IndexedDB (same size, other bytes): a miss, counted, never served', async () => {
    const namespace = `ns-${(n += 1)}`;
    const first = new EmbeddingCache(namespace, 'm', defaultCacheConfig.embeddings, () => undefined);
    first.save(['hello', 'world'], [vec(5), vec(6)]);
    await first.settled();
    // Negate the stored vector of "hello", keeping its metadata (and so its recorded checksum).
    const store = new BlobStore<StoredEmbedding>({ cache: 'embeddings', budgetBytes: defaultCacheConfig.embeddings.budgetBytes });
    const id = `${namespace}|${await sha256Hex('hello')}`;
    const [stored] = await store.getMany([id]);
    if (stored === undefined) throw new Error('"hello" was not stored');
    await store.putMany([{ id, model: 'm', part: Float32Array.from([-5, -6]), extra: stored.entry.extra }]);

    const events: CacheEvent[] = [];
    const second = new EmbeddingCache(namespace, 'm', defaultCacheConfig.embeddings, (e) => events.push(e));
    const found = await second.lookup(['hello', 'world']);
    expect(found.map((f) => (f === undefined ? undefined : [...f.vector]))).toEqual([undefined, [6, 7]]);
    expect(events.filter((e) => e.kind === 'integrity-failure').map((e) => e.key)).toEqual([id]);
    expect(await store.getMany([id])).toEqual([undefined]); // dropped: recomputed on the next miss
  });
});

describe('EmbeddingCache: texts never stored skip IndexedDB', () => {
  it('reads IndexedDB only for texts it may hold, once the start-up scan is done; evictions and integrity drops are forgotten', async () => {
    const namespace = `ns-${(n += 1)}`;
    const first = new EmbeddingCache(namespace, 'm', defaultCacheConfig.embeddings, () => undefined);
    first.save(['kept', 'other'], [vec(1), vec(2)]);
    await first.settled();

    const events: CacheEvent[] = [];
    const second = new EmbeddingCache(namespace, 'm', { ...defaultCacheConfig.embeddings, memoryEntries: 1 }, (e) => events.push(e));
    await second.indexed();
    const reads = vi.spyOn(BlobStore.prototype, 'getMany');
    try {
      // Never stored: answered "miss" without a read.
      expect(await second.lookup(['new text', 'another new text'])).toEqual([undefined, undefined]);
      expect(reads).not.toHaveBeenCalled();
      // Stored before this cache started (the scan found it): read, and a hit.
      const [kept] = await second.lookup(['kept', 'new text']);
      expect(kept?.tokens).toBe(1);
      expect(reads).toHaveBeenCalledTimes(1);
      expect(reads.mock.calls[0]?.[0]).toEqual([`${namespace}|${await sha256Hex('kept')}`]);
      // Saved by this cache and pushed out of its one-entry memory tier: found in IndexedDB.
      second.save(['fresh'], [vec(3)]);
      second.save(['kept'], [vec(1)]);
      await second.settled();
      expect((await second.lookup(['fresh']))[0]?.tokens).toBe(3);
      expect(reads).toHaveBeenCalledTimes(2);
    } finally {
      reads.mockRestore();
    }
    expect(events.filter((e) => e.kind === 'miss')).toHaveLength(3);
  });

  it('forgets entries the store evicts, so their texts go to the model without a read', async () => {
    const namespace = `ns-${(n += 1)}`;
    // A budget of two 8-byte vectors: the third write evicts the oldest.
    const cache = new EmbeddingCache(namespace, 'm', { ...defaultCacheConfig.embeddings, memoryEntries: 1, budgetBytes: 16 }, () => undefined);
    await cache.indexed();
    for (const [i, text] of ['one', 'two', 'three'].entries()) {
      cache.save([text], [vec(i)]);
      await cache.settled();
    }
    const reads = vi.spyOn(BlobStore.prototype, 'getMany');
    try {
      expect(await cache.lookup(['one'])).toEqual([undefined]);
      expect(reads).not.toHaveBeenCalled();
      expect((await cache.lookup(['two']))[0]?.tokens).toBe(1);
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });
});
