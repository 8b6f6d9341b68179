/**
 * A `BlobStore`'s bookkeeping, kept so that no write, read or eviction scans the store:
 * two kinds of record beside the entries, in the same object store, changed in the same
 * readwrite transaction as every write, touch and delete of an entry.
 *
 * - `t:` → {@link Totals}: bytes and entries stored. IndexedDB runs readwrite transactions
 *   on a store one at a time, so the total stays exact with several tabs and workers writing.
 * - `l:<lastUsed, 15 digits>:<id>` → id: one key per entry, so key order is LRU order (ties
 *   by id). Eviction walks a cursor from the first key and visits only the entries it
 *   evicts (and those it must keep); the entry's own `m:` record says its size and parts.
 *
 * A database written before this index (no `t:`), in a format this code does not know
 * (another `version`) or whose totals went negative is indexed once, in the transaction
 * that found it so: one read of every metadata record, then never again. An LRU key whose
 * entry is gone or was used since without it moving (a tab on an older version) is
 * dropped or moved when eviction comes to it; an entry such a tab wrote has no key and is
 * not counted until the store is indexed again.
 *
 * Every function here runs inside a transaction the caller opened (`UseStore`'s callback)
 * and awaits nothing but IndexedDB requests, so the transaction stays open throughout.
 */
import { promisifyRequest as request } from 'idb-keyval';
import type { StoredEntry, StoredPart } from './blob-store';

/** The `t:` record: what the store holds, kept exact by every write. */
export interface Totals {
  /** The index format; any other makes the store be indexed again. */
  readonly version: number;
  bytes: number;
  entries: number;
}

/** An entry as the index needs it. */
type Entry = StoredEntry<unknown>;

const version = 1;
const totalsKey = 't:';
/** Digits of the `lastUsed` in an LRU key: `Date.now()` fits 15 until the year 33658. */
const stampDigits = 15;
const lruRange = (): IDBKeyRange => IDBKeyRange.bound('l:', 'l:\uffff');

export const metaKey = (id: string): string => `m:${id}`;
export const partKey = (id: string, n: number): string => `d:${id}:${n}`;
export const metaRange = (): IDBKeyRange => IDBKeyRange.bound('m:', 'm:\uffff');

/** The LRU key of an entry: sorts by `lastUsed`, then id. */
export function lruKey(entry: { readonly id: string; readonly lastUsed: number }): string {
  const stamp = Math.min(Math.max(Math.trunc(entry.lastUsed) || 0, 0), 10 ** stampDigits - 1);
  return `l:${String(stamp).padStart(stampDigits, '0')}:${entry.id}`;
}

function isTotals(value: unknown): value is Totals {
  const t = value as Partial<Totals> | null | undefined;
  return t?.version === version && typeof t.bytes === 'number' && t.bytes >= 0 && typeof t.entries === 'number' && t.entries >= 0;
}

/** `t:` if it is there and of this version, else undefined (a readonly transaction is enough). */
export async function readTotals(store: IDBObjectStore): Promise<Totals | undefined> {
  const found = await request(store.get(totalsKey) as IDBRequest<unknown>);
  return isTotals(found) ? found : undefined;
}

/** `t:`, indexing the store first (LRU keys and totals, from every `m:` record) where it has none. */
export async function totals(store: IDBObjectStore): Promise<Totals> {
  const found = await readTotals(store);
  if (found !== undefined) return found;
  store.delete(lruRange());
  const metas = await request(store.getAll(metaRange()) as IDBRequest<Entry[]>);
  const t: Totals = { version, bytes: 0, entries: 0 };
  for (const meta of metas) {
    store.put(meta.id, lruKey(meta));
    t.bytes += meta.bytes;
    t.entries += 1;
  }
  store.put(t, totalsKey);
  return t;
}

/** Queue the deletes of an entry's records (meta, LRU key, parts) and take it off `t`. */
function remove(store: IDBObjectStore, t: Totals, meta: Entry, parts = meta.partBytes.length): void {
  store.delete(metaKey(meta.id));
  store.delete(lruKey(meta));
  for (let n = 0; n < parts; n++) store.delete(partKey(meta.id, n));
  t.bytes -= meta.bytes;
  t.entries -= 1;
}

/**
 * Write entries with their parts and LRU keys, replacing any with the same id (its parts,
 * LRU key and bytes go); of several items with one id the last wins. Resolves on commit.
 */
export async function writeEntries(store: IDBObjectStore, items: readonly { entry: Entry; blobs: readonly StoredPart[] }[]): Promise<void> {
  const byId = new Map(items.map((item) => [item.entry.id, item]));
  const t = await totals(store);
  const previous = await Promise.all([...byId.keys()].map((id) => request(store.get(metaKey(id)) as IDBRequest<Entry | undefined>)));
  for (const old of previous) if (old !== undefined) remove(store, t, old);
  for (const { entry, blobs } of byId.values()) {
    blobs.forEach((blob, n) => store.put(blob, partKey(entry.id, n)));
    store.put(entry, metaKey(entry.id));
    store.put(entry.id, lruKey(entry));
    t.bytes += entry.bytes;
    t.entries += 1;
  }
  store.put(t, totalsKey);
  await request(store.transaction);
}

/**
 * Delete an entry's records: its parts up to `parts` or as many as its metadata says,
 * whichever is more (a failed write's keys go too). Returns the metadata, if it was there.
 */
export async function dropEntry(store: IDBObjectStore, id: string, parts: number): Promise<Entry | undefined> {
  const t = await totals(store);
  const meta = await request(store.get(metaKey(id)) as IDBRequest<Entry | undefined>);
  if (meta === undefined) for (let n = 0; n < parts; n++) store.delete(partKey(id, n));
  else {
    remove(store, t, meta, Math.max(parts, meta.partBytes.length));
    store.put(t, totalsKey);
  }
  await request(store.transaction);
  return meta;
}

/** Mark entries used at `now` (their stored metadata, so one deleted meanwhile stays deleted). */
export async function touchEntries(store: IDBObjectStore, ids: readonly string[], now: number): Promise<void> {
  const metas = await Promise.all(ids.map((id) => request(store.get(metaKey(id)) as IDBRequest<Entry | undefined>)));
  for (const meta of metas) {
    if (meta === undefined) continue;
    store.delete(lruKey(meta));
    meta.lastUsed = now;
    store.put(meta, metaKey(meta.id));
    store.put(meta.id, lruKey(meta));
  }
  await request(store.transaction);
}

/**
 * Evict least-recently-used entries, oldest first and never those in `keep`, until
 * `enough(bytes, evicted)` holds, where `bytes` is what the store holds less the entries in
 * `keep` (asked before each eviction). Visits the LRU keys only up to the last one evicted.
 * Returns the entries evicted, once the transaction has committed.
 */
export async function evictLru(store: IDBObjectStore, keep: ReadonlySet<string>, enough: (bytes: number, evicted: number) => boolean): Promise<Entry[]> {
  const t = await totals(store);
  const evicted: Entry[] = [];
  let bytes = t.bytes;
  if (!enough(bytes, 0)) {
    const kept = await Promise.all([...keep].map((id) => request(store.get(metaKey(id)) as IDBRequest<Entry | undefined>)));
    for (const meta of kept) bytes -= meta?.bytes ?? 0;
  }
  if (!enough(bytes, 0)) {
    const walk = store.openCursor(lruRange());
    for (let cursor = await request(walk); cursor !== null; cursor = await request(walk)) {
      const id = cursor.value as unknown as string;
      if (!keep.has(id)) {
        const meta = await request(store.get(metaKey(id)) as IDBRequest<Entry | undefined>);
        if (meta === undefined || lruKey(meta) !== cursor.primaryKey) {
          // Stale: the entry is gone, or was used since without its key moving.
          store.delete(cursor.primaryKey);
          if (meta !== undefined) store.put(id, lruKey(meta));
        } else {
          remove(store, t, meta);
          bytes -= meta.bytes;
          evicted.push(meta);
          if (enough(bytes, evicted.length)) break;
        }
      }
      cursor.continue();
    }
    if (evicted.length > 0) store.put(t, totalsKey);
  }
  await request(store.transaction);
  return evicted;
}

/** Delete every record, the index's too, and start again from zero. Returns the bytes there were. */
export async function clearAll(store: IDBObjectStore): Promise<number> {
  const { bytes } = await totals(store);
  store.clear();
  store.put({ version, bytes: 0, entries: 0 } satisfies Totals, totalsKey);
  await request(store.transaction);
  return bytes;
}
