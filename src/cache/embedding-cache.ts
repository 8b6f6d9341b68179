/**
 * Sentence embeddings by model and exact text: an in-memory LRU in front of IndexedDB.
 * Hits are answered on the main thread, without a worker round trip; misses are
 * computed by the model and written back (IndexedDB writes are batched, off the hot path).
 *
 * Keys: `<namespace>|<SHA-256 of the text>` in IndexedDB, where the namespace names the
 * model file (and so its variant); the in-memory map keys on the exact text.
 */
import { BlobStore } from './blob-store';
import { sha256Hex } from './hash';
import type { EmbeddingCacheConfig } from './config';
import type { CacheEventSink } from './events';

const flushDelayMs = 50;

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
  private pending: { text: string; value: CachedEmbedding }[] = [];
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
    this.store =
      config.persist && typeof indexedDB !== 'undefined'
        ? (store ?? new BlobStore({ cache: 'embeddings', budgetBytes: config.budgetBytes, events }))
        : undefined;
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
        const ids = await Promise.all(missing.map(async (i) => `${this.namespace}|${await sha256Hex(texts[i] ?? '')}`));
        const stored = await this.store.getMany(ids);
        await Promise.all(
          stored.map(async (item, k) => {
            const index = missing[k];
            if (item === undefined || index === undefined) return;
            const bytes = await item.part.arrayBuffer();
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
      const items = await Promise.all(
        batch.map(async ({ text, value }) => ({
          id: `${this.namespace}|${await sha256Hex(text)}`,
          model: this.model,
          part: value.vector,
          extra: { dims: value.vector.length, tokens: value.tokens, sha256: await sha256Hex(value.vector) },
        })),
      );
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
