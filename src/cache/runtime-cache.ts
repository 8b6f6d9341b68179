/**
 * `runtime.cache`: inspect and clear what inpage keeps in IndexedDB (every store opened
 * as a {@link BlobStore} under its default database name `inpage-<cache>`), ask the
 * browser to keep it (`persist()`), and read the origin's storage estimate.
 */
import { BlobStore } from './blob-store';
import { cacheNames, type CacheEventSink, type CacheName } from './events';

/** One stored entry, as listed by {@link RuntimeCache.entries}. */
export interface CacheEntryInfo {
  readonly store: CacheName;
  /** The entry's key (a model file's URL, an embedding's key …). */
  readonly id: string;
  /** The model it belongs to. */
  readonly model: string;
  readonly bytes: number;
  /** `Date.now()` when stored. */
  readonly createdAt: number;
  /** `Date.now()` of the last read or write. */
  readonly lastUsed: number;
}

/** Bytes and entries of one store. */
export interface StoreUsage {
  readonly entries: number;
  readonly bytes: number;
}

/** What {@link RuntimeCache.usage} reports. */
export interface CacheUsage {
  /** Per store. */
  readonly stores: Readonly<Record<CacheName, StoreUsage>>;
  /** Sum over the stores. */
  readonly totalBytes: number;
  /** `navigator.storage.estimate()` for the whole origin (may lag behind, or not know the quota). */
  readonly estimate: { readonly usage?: number; readonly quota?: number } | undefined;
}

/**
 * The runtime's caches in IndexedDB.
 *
 * @example
 * const { stores, estimate } = await runtime.cache.usage();
 * console.log(stores.weights.bytes, estimate?.quota);
 * await runtime.cache.deleteModel('/models/ocr/ch_PP-OCRv4_rec_infer.onnx');
 */
export interface RuntimeCache {
  /** Bytes and entries per store, plus the browser's storage estimate. */
  usage(): Promise<CacheUsage>;
  /** Ask the browser not to evict this origin's storage under pressure (opt-in; may prompt). Resolves to whether it is persisted. */
  persist(): Promise<boolean>;
  /** Delete every entry of one store, or of all. Do it while nothing is loading. */
  clear(store?: CacheName): Promise<void>;
  /**
   * Delete every entry of a model, in every store; returns how many. `model` is the name
   * entries are filed under: a descriptor's `id` (or file name) for `runtime.load`, or a
   * model file's URL (relative URLs resolve against the page) for task models.
   */
  deleteModel(model: string): Promise<number>;
  /** Every entry of one store, or of all, least recently used first. */
  entries(store?: CacheName): Promise<CacheEntryInfo[]>;
}

/** Settings the listing needs: budgets only matter for writes, which this never does. */
export interface RuntimeCacheOptions {
  readonly events?: CacheEventSink;
  /** Resolve relative URLs (for `deleteModel`). */
  readonly resolveUrl?: (url: string) => string | undefined;
}

/** {@link RuntimeCache} over the default-named stores. */
export class IndexedDbRuntimeCache implements RuntimeCache {
  private readonly stores = new Map<CacheName, BlobStore<unknown>>();

  constructor(private readonly options: RuntimeCacheOptions = {}) {}

  private store(name: CacheName): BlobStore<unknown> {
    let store = this.stores.get(name);
    if (store === undefined) {
      store = new BlobStore<unknown>({ cache: name, budgetBytes: Number.POSITIVE_INFINITY, ...(this.options.events ? { events: this.options.events } : {}) });
      this.stores.set(name, store);
    }
    return store;
  }

  private names(store: CacheName | undefined): readonly CacheName[] {
    return store === undefined ? cacheNames : [store];
  }

  async usage(): Promise<CacheUsage> {
    const perStore = await Promise.all(cacheNames.map(async (name) => [name, await this.store(name).usage()] as const));
    const stores = Object.fromEntries(perStore) as Record<CacheName, StoreUsage>; // one entry per cache name, built just above
    let estimate: CacheUsage['estimate'];
    try {
      const { usage, quota } = (await navigator.storage?.estimate()) ?? {};
      estimate = { ...(usage === undefined ? {} : { usage }), ...(quota === undefined ? {} : { quota }) };
    } catch {
      estimate = undefined;
    }
    return { stores, totalBytes: perStore.reduce((sum, [, u]) => sum + u.bytes, 0), estimate };
  }

  async persist(): Promise<boolean> {
    try {
      return (await navigator.storage?.persist()) ?? false;
    } catch {
      return false;
    }
  }

  async clear(store?: CacheName): Promise<void> {
    await Promise.all(this.names(store).map((name) => this.store(name).clear()));
  }

  async deleteModel(model: string): Promise<number> {
    const url = this.options.resolveUrl?.(model);
    let count = 0;
    for (const name of cacheNames) {
      const store = this.store(name);
      for (const entry of await store.list()) {
        if (entry.model !== model && entry.model !== url) continue;
        if (await store.delete(entry.id)) count += 1;
      }
    }
    return count;
  }

  async entries(store?: CacheName): Promise<CacheEntryInfo[]> {
    const lists = await Promise.all(
      this.names(store).map(async (name) =>
        (await this.store(name).list()).map((entry): CacheEntryInfo => ({
          store: name,
          id: entry.id,
          model: entry.model,
          bytes: entry.bytes,
          createdAt: entry.createdAt,
          lastUsed: entry.lastUsed,
        })),
      ),
    );
    return lists.flat().sort((a, b) => a.lastUsed - b.lastUsed);
  }
}
