import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { BlobStore, partBytes } from './blob-store';
import type { CacheEvent } from './events';
import { SemanticCache, type CachedCompletion } from './semantic-cache';

/** A toy embedder: texts map to fixed directions, so similarities are known exactly. */
const directions: Record<string, number[]> = {
  'how old are you': [1, 0, 0],
  'what is your age': [0.95, Math.sqrt(1 - 0.95 ** 2), 0],
  'book a flight': [0, 0, 1],
};
const embed = (text: string) => Promise.resolve(Float32Array.from(directions[text] ?? [0, 1, 0]));
const completion = (text: string): CachedCompletion => ({
  text,
  tokenIds: [1, 2],
  pieces: [text.slice(0, 2), text.slice(2)],
  promptTokens: 4,
  finishReason: 'length',
});

let n = 0;
describe('SemanticCache', () => {
  it('hits within the threshold under the same settings, misses otherwise, and counts', async () => {
    const events: CacheEvent[] = [];
    const cache = new SemanticCache(`model-${(n += 1)}`, 'm', { embed, threshold: 0.9, persist: false }, (e) => events.push(e));
    expect(await cache.lookup('how old are you', 's')).toBeUndefined();
    void cache.save('how old are you', 's', completion('I am four.'));
    const hit = await cache.lookup('what is your age', 's'); // waits for the save
    expect(hit?.prompt).toBe('how old are you');
    expect(hit?.similarity).toBeCloseTo(0.95, 5);
    expect(hit?.completion.text).toBe('I am four.');
    expect(await cache.lookup('book a flight', 's')).toBeUndefined();
    expect(await cache.lookup('what is your age', 'other settings')).toBeUndefined();
    expect(cache.stats()).toEqual({ hits: 1, misses: 3, entries: 1, threshold: 0.9, capacity: 256 });
    expect(events.map((e) => e.kind)).toEqual(['miss', 'hit', 'miss', 'miss']);
  });

  it('keeps at most `capacity` entries, dropping the least recently used', async () => {
    const cache = new SemanticCache(`model-${(n += 1)}`, 'm', { embed, capacity: 1, persist: false }, () => undefined);
    await cache.save('how old are you', 's', completion('a'));
    await cache.save('book a flight', 's', completion('b'));
    expect(cache.stats().entries).toBe(1);
    expect(await cache.lookup('how old are you', 's')).toBeUndefined();
    expect((await cache.lookup('book a flight', 's'))?.completion.text).toBe('b');
  });

  it('survives a new instance through IndexedDB', async () => {
    const namespace = `model-${(n += 1)}`;
    const first = new SemanticCache(namespace, namespace, { embed }, () => undefined);
    await first.save('how old are you', 's', completion('persisted'));
    const second = new SemanticCache(namespace, namespace, { embed }, () => undefined);
    expect((await second.lookup('what is your age', 's'))?.completion.text).toBe('persisted');
  });

  it('drops a stored completion whose bytes changed: never answered from, counted', async () => {
    const namespace = `model-${(n += 1)}`;
    const first = new SemanticCache(namespace, namespace, { embed }, () => undefined);
    await first.save('how old are you', 's', completion('the true answer'));
    // Rewrite the stored JSON (another completion), keeping its metadata and so its checksum.
    const store = new BlobStore<{ settings: string; sha256?: string }>({ cache: 'results', budgetBytes: 1 << 20 });
    const [meta] = (await store.list()).filter((m) => m.model === namespace);
    const found = meta === undefined ? undefined : await store.get(meta.id);
    if (meta === undefined || found === undefined) throw new Error('nothing was stored');
    const stored = found.parts[0];
    const forged = stored === undefined ? '' : new TextDecoder().decode(await partBytes(stored)).replace('the true answer', 'a forged answer!');
    await store.put(meta.id, namespace, [new Blob([forged])], found.entry.extra);

    const events: CacheEvent[] = [];
    const second = new SemanticCache(namespace, namespace, { embed }, (e) => events.push(e));
    expect(await second.lookup('what is your age', 's')).toBeUndefined();
    expect(events.filter((e) => e.kind === 'integrity-failure').map((e) => e.key)).toEqual([meta.id]);
  });

  it('rejects bad options with INVALID_OPTIONS', () => {
    expect(() => new SemanticCache('x', 'x', { embed, threshold: 0 }, () => undefined)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => new SemanticCache('x', 'x', { embed, capacity: 0.5 }, () => undefined)).toThrow(expect.objectContaining({ input: 'semanticCache.capacity' }));
  });
});
