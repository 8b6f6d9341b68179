/**
 * A semantic result cache for text generation (GPTCache-style, opt-in): a new prompt
 * whose embedding lies within a cosine threshold of a cached prompt's — generated with
 * the same settings — is answered with the cached completion, without running the
 * decoder. Entries live in memory (LRU, `capacity`) and in IndexedDB (the `results`
 * store), so they survive reloads.
 */
import { InvalidOptionsError } from '../errors';
import { BlobStore, partBytes } from './blob-store';
import { sha256Hex } from './hash';
import type { CacheEventSink } from './events';

/** Embeds one text into a unit-norm vector (e.g. `(t) => encoder.embed(t).then(([v]) => v)`). */
export type PromptEmbedder = (text: string) => Promise<Float32Array>;

/** Options of the semantic cache. */
export interface SemanticCacheOptions {
  /** Embeds prompts; use a loaded `runtime.embeddings()` task. */
  readonly embed: PromptEmbedder;
  /** Minimum cosine similarity for a hit. @default 0.9 */
  readonly threshold?: number;
  /** Completions kept (least recently used dropped first). @default 256 */
  readonly capacity?: number;
  /** Keep entries in IndexedDB too. @default true */
  readonly persist?: boolean;
}

/** What is cached of a completion. */
export interface CachedCompletion {
  readonly text: string;
  readonly tokenIds: readonly number[];
  /** The text of each token, in order (replayed as pieces). */
  readonly pieces: readonly string[];
  readonly promptTokens: number;
  readonly finishReason: 'length' | 'eos' | 'context';
}

/** A hit: the completion and which cached prompt it answered. */
export interface SemanticHit {
  readonly completion: CachedCompletion;
  readonly prompt: string;
  readonly similarity: number;
}

/** Hit/miss counters and settings. */
export interface SemanticCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  readonly threshold: number;
  readonly capacity: number;
}

interface Entry {
  readonly prompt: string;
  readonly settings: string;
  readonly vector: Float32Array;
  readonly completion: CachedCompletion;
}

interface StoredEntry {
  readonly prompt: string;
  readonly settings: string;
  readonly vector: number[];
  readonly completion: CachedCompletion;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

function normalized(v: Float32Array): Float32Array {
  const norm = Math.hypot(...v);
  return norm === 0 ? v : v.map((x) => x / norm);
}

/** One generator's semantic cache. */
export class SemanticCache {
  readonly threshold: number;
  readonly capacity: number;
  private entries: Entry[] = [];
  private hits = 0;
  private misses = 0;
  /** `sha256`: of the stored JSON, checked on every read (absent on entries from before checksums). */
  private readonly store: BlobStore<{ settings: string; sha256?: string }> | undefined;
  private loaded: Promise<void> | undefined;
  /** Saves in progress: a lookup waits for them, so a completion is found right after it ends. */
  private saving: Promise<void> = Promise.resolve();

  /**
   * @param namespace identifies the model (its URL): entries of other models never match
   * @param model the model id entries are listed under
   */
  constructor(
    private readonly namespace: string,
    private readonly model: string,
    private readonly options: SemanticCacheOptions,
    private readonly events: CacheEventSink,
  ) {
    this.threshold = options.threshold ?? 0.9;
    this.capacity = options.capacity ?? 256;
    if (typeof options.embed !== 'function')
      throw new InvalidOptionsError('`semanticCache.embed` must be a function from text to an embedding.', {
        input: 'semanticCache.embed',
        expected: 'a function (text) => Float32Array | Promise<Float32Array>',
        got: options.embed === undefined ? 'nothing' : typeof options.embed,
      });
    if (!(this.threshold > 0 && this.threshold <= 1))
      throw new InvalidOptionsError(`Expected \`semanticCache.threshold\` in (0, 1], got ${this.threshold}.`, {
        input: 'semanticCache.threshold',
        expected: 'a cosine in (0, 1]',
        got: String(this.threshold),
      });
    if (!Number.isInteger(this.capacity) || this.capacity < 1)
      throw new InvalidOptionsError(`Expected \`semanticCache.capacity\` to be an integer ≥ 1, got ${this.capacity}.`, {
        input: 'semanticCache.capacity',
        expected: 'integer ≥ 1',
        got: String(this.capacity),
      });
    this.store =
      (options.persist ?? true) && typeof indexedDB !== 'undefined' ? new BlobStore({ cache: 'results', budgetBytes: 64 * 1024 * 1024, events }) : undefined;
  }

  /** Counters and settings, for dashboards. */
  stats(): SemanticCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.length, threshold: this.threshold, capacity: this.capacity };
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      if (this.store === undefined) return;
      try {
        const metas = (await this.store.list()).filter((m) => m.model === this.model && m.id.startsWith(`${this.namespace}|`)).slice(-this.capacity);
        for (const meta of metas) {
          const found = await this.store.get(meta.id);
          const part = found?.parts[0];
          if (found === undefined || part === undefined) continue;
          const text = new TextDecoder().decode(await partBytes(part));
          const expected = found.entry.extra.sha256;
          if (expected !== (await sha256Hex(text))) {
            // Damaged or unchecked: dropped (counted as an integrity failure), never answered from.
            await this.store.invalidate(meta.id, `the stored completion ${expected === undefined ? 'has no checksum' : 'does not match its checksum'}`);
            continue;
          }
          const stored = JSON.parse(text) as StoredEntry; // written by `insert` below in this format, and its checksum matches
          this.entries.push({ ...stored, vector: Float32Array.from(stored.vector) });
        }
      } catch (error) {
        this.events({ cache: 'results', kind: 'warning', message: `could not read the semantic cache from IndexedDB: ${String(error)}` });
      }
    })();
    return this.loaded;
  }

  /** The cached completion for a prompt close enough to `prompt` under the same `settings`, if any. */
  async lookup(prompt: string, settings: string): Promise<SemanticHit | undefined> {
    await this.load();
    await this.saving;
    const vector = normalized(await this.options.embed(prompt));
    let best: { entry: Entry; index: number; similarity: number } | undefined;
    this.entries.forEach((entry, index) => {
      if (entry.settings !== settings) return;
      const similarity = dot(vector, entry.vector);
      if (similarity >= this.threshold && (best === undefined || similarity > best.similarity)) best = { entry, index, similarity };
    });
    if (best === undefined) {
      this.misses += 1;
      this.events({ cache: 'results', kind: 'miss' });
      return undefined;
    }
    this.hits += 1;
    this.events({ cache: 'results', kind: 'hit', tier: 'memory' });
    this.entries.splice(best.index, 1);
    this.entries.push(best.entry); // most recently used last
    return { completion: best.entry.completion, prompt: best.entry.prompt, similarity: best.similarity };
  }

  /** Remember a finished completion (memory first, then IndexedDB). */
  save(prompt: string, settings: string, completion: CachedCompletion): Promise<void> {
    const saved = this.saving.then(() => this.insert(prompt, settings, completion));
    this.saving = saved.catch(() => undefined);
    return saved;
  }

  private async insert(prompt: string, settings: string, completion: CachedCompletion): Promise<void> {
    await this.load();
    const vector = normalized(await this.options.embed(prompt));
    this.entries = this.entries.filter((e) => !(e.prompt === prompt && e.settings === settings));
    this.entries.push({ prompt, settings, vector, completion });
    while (this.entries.length > this.capacity) this.entries.shift();
    if (this.store === undefined) return;
    const stored: StoredEntry = { prompt, settings, vector: [...vector], completion };
    const id = `${this.namespace}|${await sha256Hex(`${settings}\u0000${prompt}`)}`;
    try {
      const json = JSON.stringify(stored);
      await this.store.put(id, this.model, [new Blob([json])], { settings, sha256: await sha256Hex(json) });
    } catch (error) {
      this.events({ cache: 'results', kind: 'warning', message: `could not store a completion: ${String(error)}` });
    }
  }
}
