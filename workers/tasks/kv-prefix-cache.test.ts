import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { CacheEvent } from '../../src/cache/events';
import type { TensorMap } from '../../src/protocol';
import { tensor } from '../../src/tensor';
import { assembleCache, blockFloats, sliceBlocks, type KvBlockShape } from './kv-prefix-blocks';
import { BlobStore, partBytes } from '../../src/cache/blob-store';
import { KvPrefixCache, prefixNamespace, type KvBlockExtra } from './kv-prefix-cache';
import { blockKeys, namespaceRoot } from './kv-prefix-hash';
import { BlockLru } from './kv-prefix-lru';

const shape: KvBlockShape = { layers: 2, kvHeads: 2, headDim: 3, blockTokens: 4 };
const blockBytes = blockFloats(shape) * 4;

/** A fake prefill's `present.*`: every float encodes (layer, part, head, position, dim), positions are token ids' positions. */
function presentFor(tokens: number, s: KvBlockShape = shape): TensorMap {
  const cache: TensorMap = {};
  for (let layer = 0; layer < s.layers; layer++)
    for (const [p, part] of ['key', 'value'].entries()) {
      const data = new Float32Array(s.kvHeads * tokens * s.headDim);
      for (let h = 0; h < s.kvHeads; h++)
        for (let t = 0; t < tokens; t++)
          for (let d = 0; d < s.headDim; d++) data[(h * tokens + t) * s.headDim + d] = layer * 1e6 + p * 1e5 + h * 1e4 + t * 10 + d;
      cache[`present.${layer}.${part}`] = tensor('float32', [1, s.kvHeads, tokens, s.headDim], data);
    }
  return cache;
}

let db = 0;
async function cacheWith(overrides: Partial<{ memoryBytes: number; persist: boolean; budgetBytes: number; databaseName: string; backend: string }> = {}) {
  const events: CacheEvent[] = [];
  const cache = await KvPrefixCache.create({
    namespace: prefixNamespace('http://test/decoder.onnx', 'etag-1', overrides.backend ?? 'wasm', shape),
    model: 'http://test/decoder.onnx',
    shape,
    config: {
      enabled: true,
      blockTokens: shape.blockTokens,
      memoryBytes: overrides.memoryBytes ?? 1 << 20,
      persist: overrides.persist ?? true,
      budgetBytes: overrides.budgetBytes ?? 1 << 20,
    },
    events: (e) => events.push(e),
    databaseName: overrides.databaseName ?? `kv-test-${(db += 1)}`,
  });
  if (cache === undefined) throw new Error('no SHA-256 in this Node');
  return { cache, events };
}

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('block keys', () => {
  it('chain every earlier token: shared prefixes share keys, a change changes every later key', async () => {
    const root = await namespaceRoot('ns');
    const a = await blockKeys(root, range(13), 4);
    expect(a).toHaveLength(3); // 13 tokens: 3 full blocks, the 13th token has none
    expect(a.every((k) => /^[0-9a-f]{64}$/.test(k))).toBe(true);
    expect(await blockKeys(root, [...range(8), 99, 99, 99, 99], 4)).toEqual([a[0], a[1], expect.not.stringMatching(a[2] ?? '')]);
    const changedFirst = await blockKeys(root, [1, ...range(11, 1)], 4);
    expect(changedFirst.some((k, i) => k === a[i])).toBe(false);
    // Same tokens, another block boundary or namespace: different keys.
    expect((await blockKeys(await namespaceRoot('other'), range(13), 4))[0]).not.toBe(a[0]);
    expect(await blockKeys(root, range(3), 4)).toEqual([]);
  });

  it('take the blocks an earlier prompt shares from its keys, and give the keys hashing from the root gives', async () => {
    const root = await namespaceRoot('ns');
    const earlier = range(13);
    const known = { tokens: earlier, keys: await blockKeys(root, earlier, 4) };
    const digest = vi.spyOn(crypto.subtle, 'digest');
    try {
      for (const tokens of [[...range(8), 99, 99, 99, 99, 5], [1, ...range(11, 1)], range(9), range(17), range(13)]) {
        digest.mockClear();
        const reused = await blockKeys(root, tokens, 4, known);
        const hashed = digest.mock.calls.length;
        expect(reused, `tokens ${tokens.join()}`).toEqual(await blockKeys(root, tokens, 4));
        let sharedBlocks = 0;
        while (sharedBlocks < Math.min(3, Math.floor(tokens.length / 4)) && range(4, sharedBlocks * 4).every((t) => tokens[t] === earlier[t])) sharedBlocks++;
        expect(hashed).toBe(Math.floor(tokens.length / 4) - sharedBlocks);
      }
    } finally {
      digest.mockRestore();
    }
  });
});

describe('block slicing', () => {
  it('slices blocks out of present.* and assembles them back into the same cache', () => {
    const present = presentFor(12);
    const blocks = sliceBlocks(present, 12, 0, 3, shape);
    expect(blocks.map((b) => b.length)).toEqual([blockFloats(shape), blockFloats(shape), blockFloats(shape)]);
    expect(assembleCache(blocks.slice(0, 2), shape)).toEqual(presentFor(8));
    const middle = assembleCache(blocks.slice(1, 2), shape)['present.1.value'];
    expect(middle?.dims).toEqual([1, 2, 4, 3]);
    expect(middle?.dtype === 'float32' ? Array.from(middle.data.subarray(0, 3)) : []).toEqual([1e6 + 1e5 + 40, 1e6 + 1e5 + 41, 1e6 + 1e5 + 42]);
    expect(() => sliceBlocks(present, 13, 0, 1, shape)).toThrow(/present\.0\.key is not float32 \[1, 2, 13, 3\]/);
  });
});

describe('BlockLru', () => {
  it('evicts least recently used blocks past its byte budget', () => {
    const evicted: string[] = [];
    const lru = new BlockLru(3 * 16, (key) => evicted.push(key));
    for (const key of ['a', 'b', 'c']) lru.set(key, new Float32Array(4));
    lru.get('a'); // a is now the most recent
    lru.set('d', new Float32Array(4));
    expect(evicted).toEqual(['b']);
    expect([lru.has('a'), lru.has('c'), lru.has('d'), lru.bytes]).toEqual([true, true, true, 48]);
    expect(lru.set('huge', new Float32Array(100))).toBe(false);
    expect(lru.size).toBe(3);
    lru.set('c', new Float32Array(8)); // replacing counts the new size only
    expect(evicted).toEqual(['b', 'a']);
    expect(lru.bytes).toBe(48);
  });
});

describe('KvPrefixCache', () => {
  it('reuses the longest cached block chain from memory, never the last prompt token', async () => {
    const { cache, events } = await cacheWith();
    const first = range(14); // 3 full blocks
    const miss = await cache.lookup(first);
    expect(miss.tokens).toBe(0);
    expect(miss.keys).toHaveLength(3);
    expect(miss.cache).toBeUndefined();
    cache.remember(miss, presentFor(14));
    await cache.flush();
    expect(cache.memoryUsage).toEqual({ blocks: 3, bytes: 3 * blockBytes });

    const shared = await cache.lookup([...range(9), 500, 501, 502, 503, 504]); // shares 2 blocks and a bit
    expect(shared).toMatchObject({ tokens: 8, tier: 'memory' });
    expect(shared.cache).toEqual(presentFor(8));
    // The whole prompt cached: its last block stays out, so its last token is run.
    expect(await cache.lookup(range(12))).toMatchObject({ tokens: 8 });
    expect(await cache.lookup(range(13))).toMatchObject({ tokens: 12 });
    expect(await cache.lookup([7, ...range(13, 1)])).toMatchObject({ tokens: 0 });
    expect(await cache.lookup(range(4))).toMatchObject({ tokens: 0 }); // no reusable block: no event
    expect(events.filter((e) => e.kind === 'hit' || e.kind === 'miss').map((e) => [e.kind, e.tier, e.bytes])).toEqual([
      ['miss', undefined, undefined],
      ['hit', 'memory', 2 * blockBytes],
      ['hit', 'memory', 2 * blockBytes],
      ['hit', 'memory', 3 * blockBytes],
      ['miss', undefined, undefined],
    ]);
  });

  it('hands prompts that reuse the same run of blocks the same assembled tensors, and a longer run new ones', async () => {
    const { cache } = await cacheWith();
    cache.remember(await cache.lookup(range(14)), presentFor(14));
    await cache.flush();
    const a = await cache.lookup([...range(8), 600, 601, 602]);
    const b = await cache.lookup([...range(8), 700, 701, 702, 703, 704, 705]);
    expect(a.tokens).toBe(8);
    expect(b.tokens).toBe(8);
    // No second copy of the floats: the very tensors the first lookup assembled, still right.
    expect(b.cache?.['present.1.value']).toBe(a.cache?.['present.1.value']);
    expect(b.cache).toEqual(presentFor(8));
    const longer = await cache.lookup(range(13));
    expect(longer.tokens).toBe(12);
    expect(longer.cache).toEqual(presentFor(12));
    const again = await cache.lookup([...range(8), 800, 801]);
    expect(again.cache).toEqual(presentFor(8));
    expect(again.cache?.['present.0.key']).not.toBe(a.cache?.['present.0.key']); // assembled afresh after the longer run
  });

  it('stores only the blocks the lookup did not supply', async () => {
    const { cache, events } = await cacheWith();
    cache.remember(await cache.lookup(range(9)), presentFor(9));
    await cache.flush();
    const longer = await cache.lookup(range(17));
    expect(longer.tokens).toBe(8);
    cache.remember(longer, presentFor(17));
    await cache.flush();
    expect(cache.memoryUsage.blocks).toBe(4);
    expect(events.filter((e) => e.kind === 'store').map((e) => e.bytes)).toEqual([2 * blockBytes, 2 * blockBytes]);
  });

  it('survives a restart through IndexedDB, and a new memory tier is filled from it', async () => {
    const databaseName = `kv-test-${(db += 1)}`;
    const before = await cacheWith({ databaseName });
    const prompt = range(14);
    before.cache.remember(await before.cache.lookup(prompt), presentFor(14));
    await before.cache.flush();

    const after = await cacheWith({ databaseName }); // a new worker: empty memory
    const hit = await after.cache.lookup(prompt);
    expect(hit).toMatchObject({ tokens: 12, tier: 'indexeddb' });
    expect(hit.cache).toEqual(presentFor(12));
    expect(after.cache.memoryUsage.blocks).toBe(3);
    expect(await after.cache.lookup(prompt)).toMatchObject({ tokens: 12, tier: 'memory' });
    expect(after.events.filter((e) => e.kind === 'hit').map((e) => e.tier)).toEqual(['indexeddb', 'memory']);

    // Memory holds the first block only: the rest of the chain comes from IndexedDB.
    const partial = await cacheWith({ databaseName, memoryBytes: blockBytes });
    partial.cache.remember(await partial.cache.lookup(range(5)), presentFor(5));
    await partial.cache.flush();
    expect(await partial.cache.lookup(prompt)).toMatchObject({ tokens: 12, tier: 'indexeddb' });

    // Another backend (or model, or block size) shares nothing.
    const webgpu = await cacheWith({ databaseName, backend: 'webgpu' });
    expect(await webgpu.cache.lookup(prompt)).toMatchObject({ tokens: 0 });
  });

  it('drops a block overwritten in IndexedDB (same size, other bytes): counted, and the chain stops before it', async () => {
    const databaseName = `kv-test-${(db += 1)}`;
    const before = await cacheWith({ databaseName });
    const prompt = range(14);
    const first = await before.cache.lookup(prompt);
    before.cache.remember(first, presentFor(14));
    await before.cache.flush();
    // Damage block 1 as a faulty disk or another tab would: same size, same metadata, other bytes.
    const store = new BlobStore<KvBlockExtra>({ cache: 'kv-prefix', databaseName, budgetBytes: 1 << 20 });
    const id = first.keys[1] ?? '';
    const [stored] = await store.getMany([id]);
    if (stored === undefined) throw new Error('block 1 was not stored');
    const negated = new Float32Array(await partBytes(stored.part)).map((x) => -x);
    await store.putMany([{ id, model: stored.entry.model, part: negated, extra: stored.entry.extra }]);

    const after = await cacheWith({ databaseName }); // a new worker: empty memory
    const hit = await after.cache.lookup(prompt);
    expect(hit).toMatchObject({ tokens: 4, tier: 'indexeddb' }); // block 0 only: never the damaged keys/values
    expect(hit.cache).toEqual(presentFor(4));
    expect(after.events.filter((e) => e.kind === 'integrity-failure').map((e) => e.key)).toEqual([id]);
    // The damaged block is gone from IndexedDB: the next worker fails no check.
    const third = await cacheWith({ databaseName });
    expect(await third.cache.lookup(prompt)).toMatchObject({ tokens: 4 });
    expect(third.events.some((e) => e.kind === 'integrity-failure')).toBe(false);
  });

  it('keeps memory within its budget and reports evictions; persist: false writes nothing', async () => {
    const { cache, events } = await cacheWith({ memoryBytes: 2 * blockBytes, persist: false });
    cache.remember(await cache.lookup(range(17)), presentFor(17));
    await cache.flush();
    expect(cache.memoryUsage).toEqual({ blocks: 2, bytes: 2 * blockBytes });
    expect(events.filter((e) => e.kind === 'evict').map((e) => e.tier)).toEqual(['memory', 'memory']);
    expect(events.some((e) => e.kind === 'store')).toBe(false);
    // The chain's first blocks were evicted: nothing after them is reachable either.
    expect(await cache.lookup(range(17))).toMatchObject({ tokens: 0 });
  });

  it('evicts least-recently-used blocks from IndexedDB past its budget', async () => {
    const databaseName = `kv-test-${(db += 1)}`;
    const { cache, events } = await cacheWith({ databaseName, budgetBytes: 3 * blockBytes });
    cache.remember(await cache.lookup(range(9)), presentFor(9));
    await cache.flush();
    cache.remember(await cache.lookup(range(9, 100)), presentFor(9));
    await cache.flush();
    expect(events.filter((e) => e.kind === 'evict' && e.tier === undefined)).toHaveLength(1);
    const fresh = await cacheWith({ databaseName });
    expect(await fresh.cache.lookup(range(9, 100))).toMatchObject({ tokens: 8, tier: 'indexeddb' });
  });
});
