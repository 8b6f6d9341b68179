import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { BlobStore } from './blob-store';
import type { CacheEvent } from './events';

let n = 0;
function store(budgetBytes: number) {
  const events: CacheEvent[] = [];
  const s = new BlobStore<{ tag: string }>({ cache: 'weights', budgetBytes, events: (e) => events.push(e), databaseName: `test-${(n += 1)}` });
  return { s, events };
}
const bytes = (size: number, fill = 1) => new Uint8Array(size).fill(fill);

describe('BlobStore', () => {
  it('stores parts as Blobs and reads them back with their metadata', async () => {
    const { s, events } = store(1000);
    expect(await s.put('a', 'model-a', [bytes(10, 7), bytes(5, 9)], { tag: 'x' })).toBe(true);
    const got = await s.get('a');
    expect(got?.entry).toMatchObject({ id: 'a', model: 'model-a', bytes: 15, partBytes: [10, 5], extra: { tag: 'x' } });
    expect(new Uint8Array(await (got?.parts[1] ?? new Blob()).arrayBuffer())).toEqual(bytes(5, 9));
    expect(await s.get('missing')).toBeUndefined();
    expect(events.map((e) => e.kind)).toEqual(['store']);
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
    expect(new Uint8Array(await (got[0]?.part ?? new Blob()).arrayBuffer())).toEqual(bytes(4, 2));
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
});
