/**
 * The one narrow interface every persistent cache uses: an LRU byte-budgeted store of
 * binary entries in IndexedDB (through idb-keyval custom stores), usable on the main
 * thread and in workers.
 *
 * An entry is a metadata record (`m:<id>`) plus its parts (`d:<id>:<n>`). A part of
 * {@link inlinePartBytes} or more is stored as a `Blob` (Chromium keeps large Blobs as
 * files, outside the database's memory); a smaller one as an `ArrayBuffer`, inline in the
 * database. Quirk (Chromium): every Blob value is a file of its own, so 3,000 embedding
 * vectors (2 KiB each) took 5.4 s to write as Blobs against 0.9 s as ArrayBuffers, and
 * read back 5× slower; the file work runs in the browser process, beside the page's
 * workers. Reads take either form (entries written before this are Blobs). Parts and
 * metadata are written in one transaction, so an entry is either whole or absent: a tab
 * that dies mid-write leaves nothing torn. Sizes are recorded per part so a truncated
 * part is caught on read.
 *
 * Budget: before a write, least-recently-used entries are evicted until the entry fits
 * `budgetBytes`; if the browser still refuses (`QuotaExceededError`), more are evicted
 * and the write retried; if there is still no room the write is skipped with a
 * `warning` event and `put` returns false. Callers go on without the cache.
 *
 * Bookkeeping never scans the store: a running total and an LRU order are kept in the
 * database beside the entries, in the same transactions (./lru-index.ts), so a write reads
 * only the entries it replaces or evicts. Listings (`list`, `deleteModel`) still read every
 * metadata record.
 */
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import type { CacheEventSink, CacheName } from './events';
import { clearAll, dropEntry, evictLru, metaKey, metaRange, partKey, readTotals, totals, touchEntries, writeEntries } from './lru-index';

/** What is known about one stored entry. */
export interface StoredEntry<X> {
  readonly id: string;
  /** Model the entry belongs to (per-model delete and listings). */
  readonly model: string;
  /** Total bytes of its parts. */
  readonly bytes: number;
  /** Bytes of each part, in order. */
  readonly partBytes: readonly number[];
  readonly createdAt: number;
  /** `Date.now()` of the last read or write. */
  lastUsed: number;
  /** Cache-specific data (a hash, an ETag, a token count …). */
  readonly extra: X;
}

/** Options of one store. */
export interface BlobStoreOptions {
  /** The cache this store backs (names its database and its events). */
  readonly cache: CacheName;
  /** Byte budget across entries; LRU entries are evicted past it. */
  readonly budgetBytes: number;
  /** Where hits, stores, evictions and warnings are reported. */
  readonly events?: CacheEventSink;
  /** Database name. @default `inpage-${cache}` */
  readonly databaseName?: string;
}

type Part = Blob | ArrayBuffer | ArrayBufferView;

/** A part as stored and read back: a Blob, or (small parts) an ArrayBuffer. */
export type StoredPart = Blob | ArrayBuffer;

/**
 * Parts from this size on are stored as Blobs, smaller ones inline. Chromium wraps an
 * IndexedDB value of 64 KiB or more into a Blob itself (Blink's IDBValueWrapper), so
 * bigger parts would become files either way.
 */
export const inlinePartBytes = 64 * 1024;

function sizeOf(part: Part): number {
  return part instanceof Blob ? part.size : part.byteLength;
}

/** A part in the form it is stored in: a copy of small bytes (the caller may reuse its buffer), a Blob of large ones. */
function toStored(part: Part): StoredPart {
  if (part instanceof Blob) return part;
  const bytes = part instanceof ArrayBuffer ? new Uint8Array(part) : new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
  return bytes.byteLength < inlinePartBytes ? bytes.slice().buffer : new Blob([bytes.slice()]);
}

/** The bytes of a stored part. */
export async function partBytes(part: StoredPart): Promise<ArrayBuffer> {
  return part instanceof Blob ? part.arrayBuffer() : part;
}

/** Waits before the last retries of a write that evictions should have made room for. */
const quotaSettleDelaysMs = [50, 200, 500, 1000, 2000];

/** True for the browser's "no room" failures. */
export function isQuotaError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'QuotaExceededError';
}

/** An LRU, byte-budgeted store of binary entries in IndexedDB. */
export class BlobStore<X> {
  readonly cache: CacheName;
  budgetBytes: number;
  private readonly store: UseStore;
  private readonly events: CacheEventSink;

  constructor(options: BlobStoreOptions) {
    this.cache = options.cache;
    this.budgetBytes = options.budgetBytes;
    this.events = options.events ?? (() => undefined);
    this.store = createStore(options.databaseName ?? `inpage-${options.cache}`, 'entries');
  }

  /** Every entry's metadata, least recently used first. */
  async list(): Promise<StoredEntry<X>[]> {
    const metas = await this.store('readonly', (store) => promisifyRequest(store.getAll(metaRange()) as IDBRequest<StoredEntry<X>[]>));
    return metas.sort((a, b) => a.lastUsed - b.lastUsed);
  }

  /**
   * The ids starting with `prefix`, handed over in chunks of up to `chunk` (keys only,
   * one short readonly transaction per chunk, so writes wait at most one chunk).
   */
  async scanIds(prefix: string, onChunk: (ids: readonly string[]) => void, chunk = 4096): Promise<void> {
    const upper = metaKey(`${prefix}\uffff`);
    let lower = metaKey(prefix);
    let open = false;
    for (;;) {
      const range = IDBKeyRange.bound(lower, upper, open, false);
      const keys = await this.store('readonly', (store) => promisifyRequest(store.getAllKeys(range, chunk)));
      const ids: string[] = [];
      for (const key of keys) if (typeof key === 'string') ids.push(key.slice(metaKey('').length));
      onChunk(ids);
      const last = keys.at(-1);
      if (keys.length < chunk || typeof last !== 'string') return;
      lower = last;
      open = true;
    }
  }

  /** Entries and bytes stored (one record: the running total). */
  async usage(): Promise<{ entries: number; bytes: number }> {
    const { entries, bytes } = (await this.store('readonly', readTotals)) ?? (await this.store('readwrite', totals));
    return { entries, bytes };
  }

  /** An entry's metadata, without reading its parts. */
  async meta(id: string): Promise<StoredEntry<X> | undefined> {
    return this.store('readonly', (store) => promisifyRequest(store.get(metaKey(id)) as IDBRequest<StoredEntry<X> | undefined>));
  }

  /**
   * An entry and its parts, or undefined. A part that is missing or not its recorded
   * size makes the whole entry count as corrupt: it is deleted and undefined returned
   * (with an `integrity-failure` event). Marks the entry used.
   */
  async get(id: string): Promise<{ entry: StoredEntry<X>; parts: StoredPart[] } | undefined> {
    const found = await this.store('readonly', async (store) => {
      const entry = await promisifyRequest(store.get(metaKey(id)) as IDBRequest<StoredEntry<X> | undefined>);
      if (entry === undefined) return undefined;
      const parts = await Promise.all(entry.partBytes.map((_, n) => promisifyRequest(store.get(partKey(id, n)) as IDBRequest<unknown>)));
      return { entry, parts };
    });
    if (found === undefined) return undefined;
    const blobs = await this.checkedParts(found.entry, found.parts);
    if (blobs === undefined) return undefined;
    void this.touch([found.entry]);
    return { entry: found.entry, parts: blobs };
  }

  /**
   * `parts` if each is there (a Blob or an ArrayBuffer) with the size its entry recorded;
   * otherwise the entry is dropped, an `integrity-failure` event names what was wrong, and undefined.
   */
  private async checkedParts(entry: StoredEntry<X>, parts: readonly unknown[]): Promise<StoredPart[] | undefined> {
    const blobs: StoredPart[] = [];
    for (let n = 0; n < entry.partBytes.length; n++) {
      const part = parts[n];
      const stored = part instanceof Blob || part instanceof ArrayBuffer ? part : undefined;
      const size = stored === undefined ? undefined : sizeOf(stored);
      if (stored === undefined || size !== entry.partBytes[n]) {
        await this.drop(entry.id, entry.partBytes.length);
        this.events({
          cache: this.cache,
          kind: 'integrity-failure',
          key: entry.id,
          bytes: entry.bytes,
          message: `part ${n} of "${entry.id}" is ${size === undefined ? 'missing' : `${size} bytes, expected ${entry.partBytes[n]}`}`,
        });
        return undefined;
      }
      blobs.push(stored);
    }
    return blobs;
  }

  /**
   * Several single-part entries in one transaction (small values: embeddings); missing or
   * corrupt ones come back undefined (corrupt ones are dropped, with an event). Marks hits used.
   */
  async getMany(ids: readonly string[]): Promise<({ entry: StoredEntry<X>; part: StoredPart } | undefined)[]> {
    const found = await this.store('readonly', (store) =>
      Promise.all(
        ids.map(async (id) => {
          const entry = await promisifyRequest(store.get(metaKey(id)) as IDBRequest<StoredEntry<X> | undefined>);
          if (entry === undefined) return undefined;
          const part = await promisifyRequest(store.get(partKey(id, 0)) as IDBRequest<unknown>);
          return { entry, part };
        }),
      ),
    );
    const out: ({ entry: StoredEntry<X>; part: StoredPart } | undefined)[] = [];
    const used: StoredEntry<X>[] = [];
    for (const item of found) {
      if (item === undefined) {
        out.push(undefined);
        continue;
      }
      const { entry } = item;
      // Only part 0 was read: an entry of several parts fails the check (its part 1 is "missing").
      const [part] = (await this.checkedParts(entry, [item.part])) ?? [];
      if (part === undefined) {
        out.push(undefined);
        continue;
      }
      used.push(entry);
      out.push({ entry, part });
    }
    if (used.length > 0) void this.touch(used);
    return out;
  }

  /**
   * Store several single-part entries in one transaction, with one eviction pass (small
   * values written in bulk, off the hot path). Returns false, with a warning, when the
   * browser has no room even after evicting.
   */
  async putMany(items: readonly { id: string; model: string; part: Part; extra: X }[]): Promise<boolean> {
    if (items.length === 0) return true;
    const now = Date.now();
    const entries = items.map(({ id, model, part, extra }): { entry: StoredEntry<X>; blobs: StoredPart[] } => {
      const bytes = sizeOf(part);
      return { entry: { id, model, bytes, partBytes: [bytes], createdAt: now, lastUsed: now, extra }, blobs: [toStored(part)] };
    });
    const bytes = entries.reduce((sum, e) => sum + e.entry.bytes, 0);
    const ids = new Set(items.map((i) => i.id));
    await this.evictFor(bytes, ids);
    for (;;) {
      try {
        await this.store('readwrite', (store) => writeEntries(store, entries));
        this.events({ cache: this.cache, kind: 'store', key: `${items.length} entries`, bytes });
        return true;
      } catch (error) {
        if (!isQuotaError(error)) throw error;
        if (!(await this.evictOldest(ids))) {
          this.events({ cache: this.cache, kind: 'warning', bytes, message: `no room for ${items.length} entries (${bytes} bytes): ${String(error)}` });
          return false;
        }
      }
    }
  }

  /** Mark entries used now: their metadata and their place in the LRU order. */
  private async touch(entries: readonly StoredEntry<X>[]): Promise<void> {
    const now = Date.now();
    for (const entry of entries) entry.lastUsed = now;
    const ids = entries.map((e) => e.id);
    try {
      await this.store('readwrite', (store) => touchEntries(store, ids, now));
    } catch {
      // Recency is advisory: a failed touch only makes the entry look older.
    }
  }

  /**
   * Store an entry (replacing any with the same id), evicting LRU entries to fit the
   * budget and retrying on quota errors. Returns false (with a `warning`) when there is
   * no room even after evicting everything else.
   */
  async put(id: string, model: string, parts: readonly Part[], extra: X): Promise<boolean> {
    const partBytes = parts.map(sizeOf);
    const bytes = partBytes.reduce((a, b) => a + b, 0);
    const now = Date.now();
    const entry: StoredEntry<X> = { id, model, bytes, partBytes, createdAt: now, lastUsed: now, extra };
    if (bytes > this.budgetBytes) {
      this.events({
        cache: this.cache,
        kind: 'warning',
        key: id,
        bytes,
        message: `"${id}" (${bytes} bytes) is larger than the ${this.cache} budget (${this.budgetBytes} bytes); not cached`,
      });
      return false;
    }
    // An entry with this id is replaced in the write's transaction; eviction counts it as gone.
    await this.evictFor(bytes, new Set([id]));
    const blobs = parts.map(toStored);
    let freed = false;
    let settleRetries = 0;
    for (;;) {
      try {
        await this.store('readwrite', (store) => writeEntries(store, [{ entry, blobs }]));
        this.events({ cache: this.cache, kind: 'store', key: id, bytes });
        return true;
      } catch (error) {
        if (!isQuotaError(error)) throw error;
        // Quirk (Chromium): the Blobs of a write that failed on quota stay counted against
        // the origin until their keys are deleted, so clear them before retrying.
        await this.drop(id, parts.length).catch(() => undefined);
        // The browser's quota is tighter than our budget: evict the oldest and retry.
        const evicted = await this.evictOldest(new Set([id]));
        if (evicted) freed = true;
        else if (freed && settleRetries < quotaSettleDelaysMs.length) {
          // Quirk (Chromium): space freed by a delete is counted back a moment after the
          // delete commits, so a retry right after the last eviction can still fail.
          await new Promise((resolve) => setTimeout(resolve, quotaSettleDelaysMs[settleRetries]));
          settleRetries += 1;
        } else {
          this.events({
            cache: this.cache,
            kind: 'warning',
            key: id,
            bytes,
            message: `no room for "${id}" (${bytes} bytes) even after evicting every other entry: ${String(error)}`,
          });
          return false;
        }
      }
    }
  }

  /**
   * Evict LRU entries (never those in `keep`, whose bytes do not count) until `incoming`
   * more bytes fit the budget, in one transaction that reads only the entries evicted.
   */
  private async evictFor(incoming: number, keep: ReadonlySet<string>): Promise<void> {
    await this.evict(keep, (bytes) => bytes + incoming <= this.budgetBytes);
  }

  private async evictOldest(keep: ReadonlySet<string>): Promise<boolean> {
    return (await this.evict(keep, (_, evicted) => evicted > 0)) > 0;
  }

  private async evict(keep: ReadonlySet<string>, enough: (bytes: number, evicted: number) => boolean): Promise<number> {
    const evicted = await this.store('readwrite', (store) => evictLru(store, keep, enough));
    for (const meta of evicted) this.events({ cache: this.cache, kind: 'evict', key: meta.id, bytes: meta.bytes });
    return evicted.length;
  }

  /** Delete an entry (and parts up to `parts`, even without its metadata); returns its metadata if it was there. */
  private drop(id: string, parts: number): Promise<StoredEntry<unknown> | undefined> {
    return this.store('readwrite', (store) => dropEntry(store, id, parts));
  }

  /**
   * Drop an entry the caller found bad (e.g. its hash no longer matches), reporting an
   * `integrity-failure` with `message` instead of a `delete`.
   */
  async invalidate(id: string, message: string): Promise<void> {
    const meta = await this.drop(id, 0);
    if (meta === undefined) return;
    this.events({ cache: this.cache, kind: 'integrity-failure', key: id, bytes: meta.bytes, message });
  }

  /** Delete one entry. */
  async delete(id: string): Promise<boolean> {
    const meta = await this.drop(id, 0);
    if (meta === undefined) return false;
    this.events({ cache: this.cache, kind: 'delete', key: id, bytes: meta.bytes });
    return true;
  }

  /** Delete every entry of `model`; returns how many. */
  async deleteModel(model: string): Promise<number> {
    const metas = (await this.list()).filter((m) => m.model === model);
    for (const meta of metas) await this.delete(meta.id);
    return metas.length;
  }

  /** Delete everything (the running total starts again from zero). */
  async clear(): Promise<void> {
    const bytes = await this.store('readwrite', clearAll);
    this.events({ cache: this.cache, kind: 'delete', key: '*', bytes });
  }
}
