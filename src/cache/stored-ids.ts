/**
 * Which keys a persistent store holds, known in memory, so that a lookup of something
 * never stored skips IndexedDB.
 *
 * Why: a miss in the embedding cache's memory tier used to read IndexedDB before the
 * text could go to the model. For new texts (most of a real workload's misses) that read
 * always misses, and it waits behind the cache's own writes (readwrite transactions on the
 * same store run first): with the IndexedDB tier on, the new-text p99 of an
 * embeddings-only soak rose 119 → 175 ms and back, against a flat 96–113 ms with it off
 * (bench/soak.bench.ts, `SOAK_EMBED_PERSIST`).
 *
 * How: on start, the store's keys of one namespace are read in chunks (one short readonly
 * transaction each, keys only, no values), and kept as 28-bit prefixes of their SHA-256
 * hashes; writes add, deletes/evictions/integrity drops remove, a clear empties. Until
 * the scan is done, and if it fails, every lookup asks IndexedDB, as before.
 *
 * Answers are "maybe" or "surely not (as far as this page knows)", never a wrong hit:
 * - a prefix shared by two keys (about one pair in 10^4 at 32k entries) can answer
 *   "maybe" for a key not stored (one IndexedDB read that misses), or, after one of them
 *   is evicted, "no" for the other (it is computed again and stored again);
 * - an entry another tab stored after the scan reads as "no" here until this page stores
 *   it too: it is computed again.
 * Either way the output is what an uncached run gives, which is what the cache promises.
 */

/** Hex digits of a hash kept per key: 7 (28 bits) stay small integers in V8's Set. */
const prefixDigits = 7;

function prefixOf(hash: string): number | undefined {
  const value = Number.parseInt(hash.slice(0, prefixDigits), 16);
  return Number.isInteger(value) && hash.length >= prefixDigits ? value : undefined;
}

/** Reads every stored key of a namespace, chunk by chunk; the hash part of each key is handed over. */
export type StoredKeyScan = (onChunk: (hashes: readonly string[]) => void) => Promise<void>;

/** In-memory "might this hash be stored?" for one namespace of a store. */
export class StoredIds {
  private readonly prefixes = new Set<number>();
  private state: 'scanning' | 'ready' | 'failed' = 'scanning';
  /** Settles when the start-up scan is over (ready or failed). */
  readonly scanned: Promise<void>;

  constructor(scan: StoredKeyScan) {
    this.scanned = scan((hashes) => {
      for (const hash of hashes) this.add(hash);
    }).then(
      () => {
        if (this.state === 'scanning') this.state = 'ready';
      },
      () => {
        this.state = 'failed';
      },
    );
  }

  /** True once lookups may skip IndexedDB for hashes answered "no". */
  get ready(): boolean {
    return this.state === 'ready';
  }

  /** False only when `hash` is surely not stored (as this page knows); true while scanning. */
  mightHold(hash: string): boolean {
    if (this.state !== 'ready') return true;
    const prefix = prefixOf(hash);
    return prefix === undefined || this.prefixes.has(prefix);
  }

  add(hash: string): void {
    const prefix = prefixOf(hash);
    if (prefix !== undefined) this.prefixes.add(prefix);
  }

  remove(hash: string): void {
    const prefix = prefixOf(hash);
    if (prefix !== undefined) this.prefixes.delete(prefix);
  }

  /** The store was emptied. */
  clear(): void {
    this.prefixes.clear();
  }

  /** Prefixes held (memory: a few bytes each). */
  get size(): number {
    return this.prefixes.size;
  }
}
