/**
 * Counters of every cache (weights, embeddings, results, KV prefixes), fed by
 * {@link CacheEvent}s from the main thread and from workers.
 */
import { cacheNames, type CacheEvent, type CacheName } from '../cache/events';
import type { CacheMetrics } from './types';

interface Counters {
  hits: number;
  hitsByTier: Record<string, number>;
  misses: number;
  stores: number;
  bytesWritten: number;
  evictions: number;
  bytesEvicted: number;
  deletes: number;
  integrityFailures: number;
  warnings: number;
  lastWarning: string | undefined;
}

const empty = (): Counters => ({
  hits: 0,
  hitsByTier: {},
  misses: 0,
  stores: 0,
  bytesWritten: 0,
  evictions: 0,
  bytesEvicted: 0,
  deletes: 0,
  integrityFailures: 0,
  warnings: 0,
  lastWarning: undefined,
});

/** Per-cache counters since start. */
export class CacheCounters {
  private readonly counters = new Map<CacheName, Counters>(cacheNames.map((name) => [name, empty()]));

  record(event: CacheEvent): void {
    const c = this.counters.get(event.cache);
    if (c === undefined) return;
    const bytes = event.bytes ?? 0;
    switch (event.kind) {
      case 'hit':
        c.hits += 1;
        c.hitsByTier[event.tier ?? 'memory'] = (c.hitsByTier[event.tier ?? 'memory'] ?? 0) + 1;
        break;
      case 'miss':
        c.misses += 1;
        break;
      case 'store':
        c.stores += 1;
        c.bytesWritten += bytes;
        break;
      case 'evict':
        c.evictions += 1;
        c.bytesEvicted += bytes;
        break;
      case 'delete':
        c.deletes += 1;
        break;
      case 'integrity-failure':
        c.integrityFailures += 1;
        break;
      case 'warning':
        c.warnings += 1;
        c.lastWarning = event.message;
        break;
    }
  }

  snapshot(): CacheMetrics[] {
    return [...this.counters.entries()].map(([name, c]) => ({
      name,
      hits: c.hits,
      hitsByTier: { ...c.hitsByTier },
      misses: c.misses,
      hitRate: c.hits + c.misses === 0 ? 0 : c.hits / (c.hits + c.misses),
      stores: c.stores,
      bytesWritten: c.bytesWritten,
      evictions: c.evictions,
      bytesEvicted: c.bytesEvicted,
      deletes: c.deletes,
      integrityFailures: c.integrityFailures,
      warnings: c.warnings,
      ...(c.lastWarning === undefined ? {} : { lastWarning: c.lastWarning }),
    }));
  }
}
