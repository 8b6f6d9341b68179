/**
 * What the caches report. Caches live on the main thread (embeddings, results) and in
 * workers (weights, KV prefixes); every one reports through a {@link CacheEventSink},
 * which the runtime forwards into its metrics (workers' events cross via comlink).
 */

/** The caches inpage keeps. */
export type CacheName = 'weights' | 'embeddings' | 'results' | 'kv-prefix';

/** Every cache name, in display order. */
export const cacheNames: readonly CacheName[] = ['weights', 'embeddings', 'results', 'kv-prefix'];

/**
 * One thing that happened in a cache.
 * - `hit` / `miss`: a lookup (`tier` says which level answered a hit);
 * - `store`: an entry written (`bytes` its size);
 * - `evict`: an entry dropped for room (`bytes` freed);
 * - `delete`: an entry removed by a clear or delete call;
 * - `integrity-failure`: a stored entry failed its hash or size check and was dropped;
 * - `warning`: something degraded without failing (no room, storage unavailable).
 */
export interface CacheEvent {
  readonly cache: CacheName;
  readonly kind: 'hit' | 'miss' | 'store' | 'evict' | 'delete' | 'integrity-failure' | 'warning';
  readonly bytes?: number;
  /** Which level answered a hit. */
  readonly tier?: 'memory' | 'indexeddb' | 'revalidated';
  /** The entry's key (a URL, a model id …). */
  readonly key?: string;
  readonly message?: string;
}

/** Receives cache events. Must not throw. */
export type CacheEventSink = (event: CacheEvent) => void;

/** A sink that drops everything. */
export const ignoreCacheEvents: CacheEventSink = () => undefined;
