import 'fake-indexeddb/auto';
import { createStore, entries, set, setMany } from 'idb-keyval';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BlobStore, inlinePartBytes, partBytes, type StoredEntry } from './blob-store';
import type { CacheEvent } from './events';
import { lruKey } from './lru-index';

let n = 0;
function store(budgetBytes: number, databaseName = `test-${(n += 1)}`) {
  const events: CacheEvent[] = [];
  const s = new BlobStore<{ tag: string }>({ cache: 'weights', budgetBytes, events: (e) => events.push(e), databaseName });
  return { s, events, databaseName };
}
const bytes = (size: number, fill = 1) => new Uint8Array(size).fill(fill);
const evicted = (events: readonly CacheEvent[]) => events.filter((e) => e.kind === 'evict').map((e) => e.key);
/** Lets the reads' recency updates (not awaited by `get`/`getMany`) commit. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

/**
 * The raw records agree with each other: one LRU key per entry (of its `lastUsed`), every
 * part there, and `t:` the exact sum, which `usage()` reports.
 */
async function expectIndexed(s: BlobStore<unknown>, databaseName: string): Promise<void> {
  const raw = await entries<string, unknown>(createStore(databaseName, 'entries'));
  const metas = raw.filter(([k]) => k.startsWith('m:')).map(([, v]) => v as StoredEntry<unknown>);
  const total = { entries: metas.length, bytes: metas.reduce((sum, m) => sum + m.bytes, 0) };
  expect(raw.filter(([k]) => k.startsWith('l:')).map(([k]) => k)).toEqual(metas.map(lruKey).sort());
  expect(raw.filter(([k]) => k.startsWith('d:')).length).toBe(metas.reduce((sum, m) => sum + m.partBytes.length, 0));
  expect(raw.find(([k]) => k === 't:')?.[1]).toEqual({ version: 1, ...total });
  expect(await s.usage()).toEqual(total);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('BlobStore', () => {
  it('stores small parts inline and large ones as Blobs, and reads both back with their metadata', async () => {
    const { s, events } = store(1000);
    expect(await s.put('a', 'model-a', [bytes(10, 7), bytes(5, 9)], { tag: 'x' })).toBe(true);
    const got = await s.get('a');
    expect(got?.entry).toMatchObject({ id: 'a', model: 'model-a', bytes: 15, partBytes: [10, 5], extra: { tag: 'x' } });
    expect(new Uint8Array(await partBytes(got?.parts[1] ?? new ArrayBuffer(0)))).toEqual(bytes(5, 9));
    expect(await s.get('missing')).toBeUndefined();
    expect(events.map((e) => e.kind)).toEqual(['store']);
    // Small parts inline (a file per Blob is slow in Chromium), large ones as Blobs; a Blob given stays one.
    const big = new Uint8Array(inlinePartBytes).fill(3);
    const { s: roomy } = store(1 << 20);
    const source = new Float32Array([1, 2, 3, 4]);
    await roomy.put('mixed', 'm', [source.subarray(1, 3), big, new Blob([bytes(2, 1)])], { tag: 'mixed' });
    source.fill(0); // the caller may reuse its buffer: a copy was stored
    const raw = new Map(await entries<string, unknown>(createStore(`test-${n}`, 'entries')));
    expect(raw.get('d:mixed:0')).toBeInstanceOf(ArrayBuffer);
    expect(raw.get('d:mixed:1')).toBeInstanceOf(Blob);
    expect(raw.get('d:mixed:2')).toBeInstanceOf(Blob);
    const mixed = await roomy.get('mixed');
    expect(mixed?.entry.partBytes).toEqual([8, inlinePartBytes, 2]);
    expect([...new Float32Array(await partBytes(mixed?.parts[0] ?? new ArrayBuffer(0)))]).toEqual([2, 3]);
    expect(new Uint8Array(await partBytes(mixed?.parts[1] ?? new ArrayBuffer(0)))).toEqual(big);
  });

  it('hands over the ids under a prefix in chunks, keys only', async () => {
    const { s } = store(1 << 20);
    await s.putMany(['ns|c', 'ns|a', 'other|x', 'ns|b', 'ns|d', 'nsx|y'].map((id) => ({ id, model: 'm', part: bytes(1), extra: { tag: id } })));
    const chunks: (readonly string[])[] = [];
    await s.scanIds('ns|', (ids) => chunks.push(ids), 3);
    expect(chunks).toEqual([['ns|a', 'ns|b', 'ns|c'], ['ns|d']]);
    const none: (readonly string[])[] = [];
    await s.scanIds('nobody|', (ids) => none.push(ids));
    expect(none).toEqual([[]]);
  });

  it('evicts least-recently-used entries to fit the budget', async () => {
    const { s, events } = store(100);
    await s.put('a', 'm', [bytes(40)], { tag: 'a' });
    await new Promise((r) => setTimeout(r, 5));
    await s.put('b', 'm', [bytes(40)], { tag: 'b' });
    await new Promise((r) => setTimeout(r, 5));
    await s.get('a'); // a is now more recent than b
    await new Promise((r) => setTimeout(r, 20));
    await s.put('c', 'm', [bytes(40)], { tag: 'c' });
    expect((await s.list()).map((m) => m.id).sort()).toEqual(['a', 'c']);
    expect(events.filter((e) => e.kind === 'evict').map((e) => e.key)).toEqual(['b']);
    expect(await s.usage()).toEqual({ entries: 2, bytes: 80 });
  });

  it('refuses an entry larger than the whole budget with a warning, storing nothing', async () => {
    const { s, events } = store(10);
    expect(await s.put('big', 'm', [bytes(11)], { tag: '' })).toBe(false);
    expect(await s.usage()).toEqual({ entries: 0, bytes: 0 });
    expect(events.at(-1)).toMatchObject({ kind: 'warning', key: 'big' });
  });

  it('drops an entry whose part is missing or truncated, reporting an integrity failure', async () => {
    const { s, events } = store(1000);
    await s.put('a', 'm', [bytes(10), bytes(10)], { tag: '' });
    // Corrupt it behind the store's back: truncate part 1.
    const { createStore, set } = await import('idb-keyval');
    await set('d:a:1', new Blob([bytes(3)]), createStore(`test-${n}`, 'entries'));
    expect(await s.get('a')).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ kind: 'integrity-failure', key: 'a' });
    expect(await s.usage()).toEqual({ entries: 0, bytes: 0 });
  });

  it('getMany answers good entries and drops damaged ones (truncated, or of several parts), one event each', async () => {
    const { s, events } = store(1000);
    await s.put('ok', 'm', [bytes(4, 2)], { tag: '' });
    await s.put('cut', 'm', [bytes(4)], { tag: '' });
    await s.put('multi', 'm', [bytes(2), bytes(2)], { tag: '' });
    const { createStore, set } = await import('idb-keyval');
    await set('d:cut:0', new Blob([bytes(1)]), createStore(`test-${n}`, 'entries'));
    const got = await s.getMany(['ok', 'cut', 'multi', 'absent']);
    expect(got.map((g) => g?.entry.id)).toEqual(['ok', undefined, undefined, undefined]);
    expect(new Uint8Array(await partBytes(got[0]?.part ?? new ArrayBuffer(0)))).toEqual(bytes(4, 2));
    expect(events.filter((e) => e.kind === 'integrity-failure').map((e) => [e.key, e.message])).toEqual([
      ['cut', 'part 0 of "cut" is 1 bytes, expected 4'],
      ['multi', 'part 1 of "multi" is missing'],
    ]);
    expect((await s.list()).map((m) => m.id)).toEqual(['ok']);
  });

  it('deletes per entry, per model, and clears', async () => {
    const { s } = store(1000);
    await s.put('a1', 'a', [bytes(1)], { tag: '' });
    await s.put('a2', 'a', [bytes(1)], { tag: '' });
    await s.put('b1', 'b', [bytes(1)], { tag: '' });
    expect(await s.deleteModel('a')).toBe(2);
    expect((await s.list()).map((m) => m.id)).toEqual(['b1']);
    expect(await s.delete('b1')).toBe(true);
    expect(await s.delete('b1')).toBe(false);
    await s.put('c', 'c', [bytes(1)], { tag: '' });
    await s.clear();
    expect(await s.usage()).toEqual({ entries: 0, bytes: 0 });
  });

  it('replaces an entry with the same id', async () => {
    const { s } = store(1000);
    await s.put('a', 'm', [bytes(10), bytes(10)], { tag: 'old' });
    await s.put('a', 'm', [bytes(4)], { tag: 'new' });
    expect((await s.get('a'))?.entry).toMatchObject({ bytes: 4, partBytes: [4], extra: { tag: 'new' } });
    expect(await s.usage()).toEqual({ entries: 1, bytes: 4 });
  });

  it('keeps LRU order across reads with 200 entries: untouched oldest first, then by last use', async () => {
    let clock = 1_000;
    vi.spyOn(Date, 'now').mockImplementation(() => clock);
    const { s, events, databaseName } = store(2000);
    const id = (k: number) => `e${String(k).padStart(3, '0')}`;
    const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => id(from + k));
    for (let k = 0; k < 200; k++) {
      clock += 1;
      await s.put(id(k), 'm', [bytes(10)], { tag: '' });
    }
    clock = 5_000;
    expect((await s.getMany(ids(0, 50))).every((got) => got !== undefined)).toBe(true); // used together: ties go by id
    clock = 5_001;
    await s.get(id(50));
    await settle();
    await expectIndexed(s, databaseName); // the reads moved their LRU keys
    const wave = (prefix: string, count: number) =>
      s.putMany(Array.from({ length: count }, (_, k) => ({ id: `${prefix}${k}`, model: 'm', part: bytes(10), extra: { tag: '' } })));

    clock = 6_000;
    await wave('n', 60);
    expect(evicted(events)).toEqual(ids(51, 111));
    clock = 7_000;
    await wave('p', 60);
    expect(evicted(events).slice(60)).toEqual(ids(111, 171));
    clock = 8_000;
    await wave('q', 80);
    expect(evicted(events).slice(120)).toEqual([...ids(171, 200), ...ids(0, 50), id(50)]);
    expect(await s.usage()).toEqual({ entries: 200, bytes: 2000 });
    await expectIndexed(s, databaseName);
  });

  it('a write reads only what it replaces or evicts, never every metadata record', async () => {
    const { s, events } = store(10 * 1000);
    const items = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, k) => ({ id: `${prefix}${String(k).padStart(4, '0')}`, model: 'm', part: bytes(10), extra: { tag: '' } }));
    await s.putMany(items('old', 1000)); // the budget, exactly
    const scans = [vi.spyOn(IDBObjectStore.prototype, 'getAll'), vi.spyOn(IDBObjectStore.prototype, 'getAllKeys'), vi.spyOn(IDBIndex.prototype, 'getAll')];
    const cursors = vi.spyOn(IDBObjectStore.prototype, 'openCursor');
    const keyCursors = vi.spyOn(IDBObjectStore.prototype, 'openKeyCursor');
    const steps = vi.spyOn(IDBCursor.prototype, 'continue');
    const gets = vi.spyOn(IDBObjectStore.prototype, 'get');

    expect(await s.putMany(items('new', 3))).toBe(true);
    expect(evicted(events)).toEqual(['old0000', 'old0001', 'old0002']);
    for (const scan of scans) expect(scan).not.toHaveBeenCalled();
    expect(cursors).toHaveBeenCalledTimes(1);
    expect(keyCursors).not.toHaveBeenCalled();
    expect(steps.mock.calls.length).toBeLessThanOrEqual(2); // three LRU keys visited: the three evicted
    // `t:` twice, the 3 ids being written twice (kept by eviction, replaced by the write), the 3 evicted.
    expect(gets.mock.calls.length).toBeLessThanOrEqual(2 + 3 + 3 + 3);

    await s.delete('new0000');
    cursors.mockClear();
    expect(await s.put('fits', 'm', [bytes(10)], { tag: '' })).toBe(true); // room already: no cursor at all
    expect(cursors).not.toHaveBeenCalled();
    for (const scan of scans) expect(scan).not.toHaveBeenCalled();
  });

  it('usage() is the exact sum after puts, replacements, evictions, deletes, invalidations and clear', async () => {
    let clock = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => (clock += 1)); // every write and read a later time
    const { s, databaseName } = store(100);
    const check = () => expectIndexed(s, databaseName);
    const one = (id: string, size: number) => ({ id, model: 'y', part: bytes(size), extra: { tag: '' } });
    await s.put('a', 'x', [bytes(30), bytes(10)], { tag: '' });
    await check();
    await s.putMany([one('b', 20), one('c', 25)]);
    await check();
    await s.put('a', 'x', [bytes(5)], { tag: '' }); // replaced: one part fewer
    await check();
    await s.putMany([one('b', 7), one('b', 9)]); // the same id twice: the last wins
    expect((await s.meta('b'))?.bytes).toBe(9);
    await check();
    await s.put('d', 'y', [bytes(70)], { tag: '' }); // 109 > 100: evicts c, the least recently written
    await check();
    expect(await s.usage()).toEqual({ entries: 3, bytes: 84 });
    await s.invalidate('d', 'bad bytes');
    await check();
    await s.putMany([one('e', 11), one('f', 12)]);
    await s.delete('e');
    expect(await s.deleteModel('y')).toBe(2); // b and f
    await check();
    await s.put('g', 'x', [bytes(4), bytes(4)], { tag: '' });
    await set(`d:g:1`, new Blob([bytes(1)]), createStore(databaseName, 'entries'));
    expect(await s.get('g')).toBeUndefined(); // integrity failure: dropped
    await check();
    await s.clear();
    await check();
    expect(await s.usage()).toEqual({ entries: 0, bytes: 0 });
    await s.put('h', 'x', [bytes(3)], { tag: '' });
    await check();
  });

  it('indexes a database written before the index once, on first use, then evicts it in LRU order', async () => {
    const databaseName = `legacy-${(n += 1)}`;
    const legacy = (id: string, lastUsed: number, size: number): [IDBValidKey, unknown][] => [
      [`m:${id}`, { id, model: 'm', bytes: size, partBytes: [size], createdAt: lastUsed, lastUsed, extra: { tag: '' } }],
      [`d:${id}:0`, new Blob([bytes(size)])],
    ];
    await setMany(
      [...legacy('c', 3000, 10), ...legacy('a', 1000, 20), ...legacy('b', 2000, 30), ...legacy('z', 4000, 5)],
      createStore(databaseName, 'entries'),
    );
    const { s, events } = store(70, databaseName);
    expect((await s.get('z'))?.entry.bytes).toBe(5); // a read first: its recency update comes before the index
    await settle();
    const scans = vi.spyOn(IDBObjectStore.prototype, 'getAll');
    expect(await s.usage()).toEqual({ entries: 4, bytes: 65 });
    expect(scans).toHaveBeenCalledTimes(1); // the one-time indexing
    await expectIndexed(s, databaseName);

    expect(await s.put('d', 'm', [bytes(30)], { tag: '' })).toBe(true); // 95 > 70: a (20), then b (30)
    expect(evicted(events)).toEqual(['a', 'b']);
    const other = store(70, databaseName); // another tab, later
    expect(await other.s.put('e', 'm', [bytes(26)], { tag: '' })).toBe(true); // 71 > 70: c, the oldest left
    expect(evicted(other.events)).toEqual(['c']);
    expect(scans).toHaveBeenCalledTimes(2); // listing in expectIndexed only: no write scanned
    await expectIndexed(s, databaseName);
  });

  it('indexes again a database whose totals are of an unknown version', async () => {
    const { s, databaseName } = store(1000);
    await s.put('a', 'm', [bytes(10)], { tag: '' });
    await s.put('b', 'm', [bytes(20)], { tag: '' });
    const raw = createStore(databaseName, 'entries');
    await setMany(
      [
        ['t:', { version: 99, bytes: 1, entries: 7 }],
        ['l:000000000000001:gone', 'gone'],
      ],
      raw,
    );
    expect(await s.usage()).toEqual({ entries: 2, bytes: 30 }); // indexed again
    await expectIndexed(s, databaseName); // the stray key is gone
  });

  it('keeps the total exact with two stores (two tabs) on one database writing interleaved', async () => {
    const { s: a, databaseName } = store(400);
    const { s: b } = store(400, databaseName);
    const one = (id: string, size: number) => ({ id, model: 'm', part: bytes(size), extra: { tag: '' } });
    await Promise.all([
      ...Array.from({ length: 40 }, (_, k) => (k % 2 === 0 ? a : b).put(`k${k % 13}`, 'm', [bytes(10 + (k % 7) * 5)], { tag: '' })),
      a.putMany([one('k1', 33), one('m1', 21), one('m2', 22)]),
      b.putMany([one('k2', 34), one('m1', 19), one('m3', 40)]),
      a.delete('k3'),
      b.invalidate('k4', 'bad'),
      a.getMany(['k5', 'k6', 'm1']),
      b.get('k7'),
    ]);
    await settle();
    await expectIndexed(a, databaseName);
    expect(await b.usage()).toEqual(await a.usage());
  });
});
