/**
 * Sentence embeddings by model and exact text: an in-memory LRU in front of IndexedDB.
 * Hits are answered on the main thread, without a worker round trip; misses are
 * computed by the model and written back (IndexedDB writes are batched, off the hot path).
 *
 * Keys: `<namespace>|<SHA-256 of the text>` in IndexedDB, where the namespace names the
 * model file (and so its variant); the in-memory map keys on the exact text.
 *
 * A text that was never stored does not wait for IndexedDB: which hashes the store holds
 * is known in memory once a start-up scan of its keys is done (./stored-ids.ts), so only
 * texts that may be there are read.
 */
import { BlobStore, partBytes } from './blob-store';
import { sha256Hex } from './hash';
import type { EmbeddingCacheConfig } from './config';
import type { CacheEvent, CacheEventSink } from './events';
import { StoredIds } from './stored-ids';

const flushDelayMs = 50;
/** At most this many miss hashes wait for their flush (texts that missed and were never saved, e.g. a failed batch, are dropped with the rest). */
const maxMissHashes = 4096;

/** A cached embedding: the vector and the text's token count. */
export interface CachedEmbedding {
  readonly vector: Float32Array;
  readonly tokens: number;
}

/** What IndexedDB keeps beside a vector: its size, token count and the SHA-256 of its bytes. */
export interface StoredEmbedding {
  readonly dims: number;
  readonly tokens: number;
  /** Checked on every read: a vector overwritten in place (same size, other bytes) is dropped and recomputed. */
  readonly sha256?: string;
}

/** One embedding model's slice of the cache. */
export class EmbeddingCache {
  private readonly memory = new Map<string, CachedEmbedding>();
  private readonly store: BlobStore<StoredEmbedding> | undefined;
  /** Which of this namespace's hashes IndexedDB holds (undefined without a store). */
  private readonly stored: StoredIds | undefined;
  private pending: { text: string; value: CachedEmbedding }[] = [];
  /** IndexedDB ids start with this: `<namespace>|`. */
  private readonly idPrefix: string;
  /** SHA-256 of texts that missed, kept until their vectors are stored (a flush hashes no text twice); bounded. */
  private readonly missHashes = new Map<string, string>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> = Promise.resolve();

  /**
   * @param namespace identifies the model and variant (its URL)
   * @param model the model id entries are listed under
   */
  constructor(
    private readonly namespace: string,
    private readonly model: string,
    private readonly config: EmbeddingCacheConfig,
    private readonly events: CacheEventSink,
    store?: BlobStore<StoredEmbedding>,
  ) {
    const persist = config.persist && typeof indexedDB !== 'undefined';
    // The store's evictions, deletes and integrity drops update `stored`: events pass through here first.
    const storeEvents: CacheEventSink = (event) => {
      this.forget(event);
      events(event);
    };
    this.store = persist ? (store ?? new BlobStore({ cache: 'embeddings', budgetBytes: config.budgetBytes, events: storeEvents })) : undefined;
    const prefix = `${namespace}|`;
    this.idPrefix = prefix;
    const scanned = this.store;
    this.stored =
      scanned === undefined ? undefined : new StoredIds((onChunk) => scanned.scanIds(prefix, (ids) => onChunk(ids.map((id) => id.slice(prefix.length)))));
  }

  /** The hash part of an id of this namespace, else undefined. */
  private hashOf(id: string): string | undefined {
    return id.startsWith(this.idPrefix) ? id.slice(this.idPrefix.length) : undefined;
  }

  /** A store event that removed entries: they are no longer "maybe stored". */
  private forget(event: CacheEvent): void {
    if (this.stored === undefined || event.key === undefined) return;
    if (event.kind === 'delete' && event.key === '*') this.stored.clear();
    else if (event.kind === 'evict' || event.kind === 'delete' || event.kind === 'integrity-failure') {
      const hash = this.hashOf(event.key);
      if (hash !== undefined) this.stored.remove(hash);
    }
  }

  /** Settles once the start-up scan of stored keys is over (tests, benches). */
  async indexed(): Promise<void> {
    await this.stored?.scanned;
  }

  private memoryKey(text: string): string {
    return `${this.namespace}\u0000${text}`;
  }

  private remember(text: string, value: CachedEmbedding): void {
    const key = this.memoryKey(text);
    this.memory.delete(key);
    this.memory.set(key, value);
    while (this.memory.size > this.config.memoryEntries) {
      const oldest = this.memory.keys().next();
      if (oldest.done === true) break;
      this.memory.delete(oldest.value);
    }
  }

  /** Embeddings already known for `texts` (vectors copied: callers may mutate them), undefined for misses. */
  async lookup(texts: readonly string[]): Promise<(CachedEmbedding | undefined)[]> {
    const found: (CachedEmbedding | undefined)[] = texts.map((text) => {
      const key = this.memoryKey(text);
      const value = this.memory.get(key);
      if (value === undefined) return undefined;
      this.memory.delete(key); // refresh recency
      this.memory.set(key, value);
      this.events({ cache: 'embeddings', kind: 'hit', tier: 'memory' });
      return { vector: value.vector.slice(), tokens: value.tokens };
    });
    const missing = texts.flatMap((text, i) => (found[i] === undefined ? [i] : []));
    if (missing.length > 0 && this.store !== undefined) {
      try {
        const hashes = await Promise.all(missing.map(async (i) => ({ index: i, hash: await sha256Hex(texts[i] ?? '') })));
        // Kept for the flush that stores these texts' vectors once computed (most misses are).
        if (this.missHashes.size + hashes.length > maxMissHashes) this.missHashes.clear();
        for (const { index, hash } of hashes) this.missHashes.set(texts[index] ?? '', hash);
        // Texts surely never stored go straight to the model, without waiting for IndexedDB.
        const candidates = hashes.filter(({ hash }) => this.stored?.mightHold(hash) !== false);
        const stored = candidates.length === 0 ? [] : await this.store.getMany(candidates.map(({ hash }) => `${this.idPrefix}${hash}`));
        await Promise.all(
          stored.map(async (item, k) => {
            const index = candidates[k]?.index;
            if (item === undefined || index === undefined) return;
            const bytes = await partBytes(item.part);
            const sum = await sha256Hex(bytes);
            if (item.entry.extra.sha256 !== sum) {
              // Damaged (or written before checksums): dropped, counted, computed again.
              const why = item.entry.extra.sha256 === undefined ? 'has no checksum' : 'does not match its checksum';
              await this.store?.invalidate(item.entry.id, `the stored vector ${why}`);
              return;
            }
            const value = { vector: new Float32Array(bytes), tokens: item.entry.extra.tokens };
            found[index] = { vector: value.vector.slice(), tokens: value.tokens };
            this.remember(texts[index] ?? '', value);
            this.events({ cache: 'embeddings', kind: 'hit', tier: 'indexeddb' });
          }),
        );
      } catch (error) {
        this.events({ cache: 'embeddings', kind: 'warning', message: `IndexedDB lookup failed, computing instead: ${String(error)}` });
      }
    }
    for (const vector of found) if (vector === undefined) this.events({ cache: 'embeddings', kind: 'miss' });
    return found;
  }

  /** Remember freshly computed embeddings (memory now, IndexedDB shortly). */
  save(texts: readonly string[], values: readonly CachedEmbedding[]): void {
    texts.forEach((text, i) => {
      const value = values[i];
      if (value === undefined) return;
      const copy = { vector: value.vector.slice(), tokens: value.tokens };
      this.remember(text, copy);
      if (this.store !== undefined) this.pending.push({ text, value: copy });
    });
    if (this.store !== undefined && this.pending.length > 0 && this.flushTimer === undefined)
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.flushing = this.flushing.then(() => this.flush());
      }, flushDelayMs);
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (this.store === undefined || batch.length === 0) return;
    try {
      const hashes = await Promise.all(
        batch.map(({ text }) => {
          const known = this.missHashes.get(text);
          this.missHashes.delete(text);
          return known === undefined ? sha256Hex(text) : Promise.resolve(known);
        }),
      );
      const items = await Promise.all(
        batch.map(async ({ value }, i) => ({
          id: `${this.idPrefix}${hashes[i] ?? ''}`,
          model: this.model,
          part: value.vector,
          extra: { dims: value.vector.length, tokens: value.tokens, sha256: await sha256Hex(value.vector) },
        })),
      );
      // Known as stored before the write lands: a lookup in between reads IndexedDB, and misses at worst.
      for (const hash of hashes) this.stored?.add(hash);
      await this.store.putMany(items);
    } catch (error) {
      this.events({ cache: 'embeddings', kind: 'warning', message: `could not store embeddings: ${String(error)}` });
    }
  }

  /** Resolves once every vector saved so far has reached IndexedDB. */
  async settled(): Promise<void> {
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }
    await this.flushing;
  }

  /** Forget the in-memory vectors (IndexedDB keeps its copies). */
  clearMemory(): void {
    this.memory.clear();
  }
}
