/**
 * The KV prefix cache (vLLM-style prefix caching) of one loaded decoder, in its worker.
 *
 * A prompt's full token blocks are keyed by a hash chain (see `kv-prefix-hash.ts`).
 * After a prefill, {@link KvPrefixCache.remember} slices the new full blocks out of the
 * `present.*` outputs into an in-memory LRU (`memoryBytes`) and, with `persist`, queues
 * them for IndexedDB (a {@link BlobStore}, `budgetBytes`, one entry per block) — both
 * after the first token has been returned, never on the hot path. A new prompt's
 * {@link KvPrefixCache.lookup} walks its chain through memory, then IndexedDB (all
 * remaining blocks read at once), and returns the longest run of cached blocks as a KV
 * cache; the caller prefills only the tokens after it. The last prompt token is never
 * taken from the cache: the model must run it to give the next token's logits.
 *
 * Storage failures never fail a generation: they turn into misses and `warning` events.
 */
import { BlobStore, partBytes, type StoredPart } from '../../src/cache/blob-store';
import { sha256Hex } from '../../src/cache/hash';
import type { CacheEventSink } from '../../src/cache/events';
import { messageOf } from '../../src/errors';
import type { TensorMap, WorkerCacheConfig } from '../../src/protocol';
import { assembleCache, blockFloats, sliceBlocks, type KvBlockShape } from './kv-prefix-blocks';
import { blockKeys, namespaceRoot, type KnownKeys } from './kv-prefix-hash';
import { BlockLru } from './kv-prefix-lru';

/** What a stored block records besides its floats (checked on read). */
export interface KvBlockExtra {
  /** The block's own token ids (its key covers all earlier ones too). */
  readonly tokens: readonly number[];
  readonly floats: number;
  /** SHA-256 of the block's bytes, checked on every read from IndexedDB: a damaged block is dropped, counted and prefilled again. */
  readonly sha256?: string;
}

/** Settings of one decoder's prefix cache. */
export interface KvPrefixCacheOptions {
  /** Everything the keys/values depend on besides the tokens: model identity, dtype, backend, sizes (see {@link prefixNamespace}). */
  readonly namespace: string;
  /** The model the blocks belong to in IndexedDB listings and per-model deletes (its URL). */
  readonly model: string;
  readonly shape: KvBlockShape;
  readonly config: WorkerCacheConfig['kvPrefix'];
  readonly events: CacheEventSink;
  /** IndexedDB database. @default `inpage-kv-prefix` */
  readonly databaseName?: string;
}

/** The answer to a lookup: what to reuse, and what `remember` needs afterwards. */
export interface PrefixLookup {
  /** Prompt tokens covered by `cache` (a multiple of the block size). */
  readonly tokens: number;
  /** The reused KV cache (`present.*` names), when any block was found. */
  readonly cache?: TensorMap;
  /** The deepest tier a reused block came from. */
  readonly tier?: 'memory' | 'indexeddb';
  /** Keys of every full block of the prompt. */
  readonly keys: readonly string[];
  /** The prompt's token ids. */
  readonly prompt: readonly number[];
}

/**
 * A namespace string for {@link KvPrefixCacheOptions.namespace}: blocks are only ever
 * shared between runs that agree on all of it.
 *
 * @param fingerprint what identifies the model file's content (see {@link modelFingerprint})
 */
export function prefixNamespace(model: string, fingerprint: string, backend: string, shape: KvBlockShape): string {
  const { layers, kvHeads, headDim, blockTokens } = shape;
  return JSON.stringify({ v: 1, model, fingerprint, backend, dtype: 'float32', layers, kvHeads, headDim, blockTokens });
}

/**
 * The model file's identity as its server reports it (`ETag`, `Last-Modified`,
 * `Content-Length` of a `HEAD` request), so regenerated weights at the same URL do not
 * reuse stale keys/values. Empty when the server says nothing or cannot be reached.
 */
export async function modelFingerprint(url: string): Promise<string> {
  try {
    const response = await fetch(url, { method: 'HEAD' });
    if (!response.ok) return '';
    return ['etag', 'last-modified', 'content-length'].map((h) => response.headers.get(h) ?? '').join('|');
  } catch {
    return '';
  }
}

/** One decoder's prefix cache: memory LRU in front of IndexedDB. */
export class KvPrefixCache {
  private readonly memory: BlockLru;
  private readonly store: BlobStore<KvBlockExtra> | undefined;
  private readonly floats: number;
  /** Memory inserts scheduled by `remember` (lookups wait for them). */
  private inserts: Promise<void> = Promise.resolve();
  /** The IndexedDB write queue. */
  private writes: Promise<void> = Promise.resolve();
  /** Keys known to be in IndexedDB (read from or written there by this cache). */
  private readonly persisted = new Set<string>();
  /**
   * The last KV cache {@link lookup} assembled, by the key of its last block. Prompts that
   * share a prefix (a system prompt, a document asked several questions) reuse the same
   * run of blocks, and joining them into per-layer tensors (a copy of every float, and
   * megabytes of fresh allocations) was most of a lookup's cost; a key stands for every
   * token before its block's end, so the tensors are valid for as long as they are kept.
   * Nobody writes into them: the engine copies its inputs. One entry (its bytes are not
   * counted in `memoryBytes`).
   */
  private assembled: { readonly key: string; readonly cache: TensorMap } | undefined;
  /** The last prompt's block keys: the next prompt hashes only the blocks it does not share with it. */
  private lastKeys: KnownKeys | undefined;
  private storageWarned = false;

  private constructor(
    private readonly options: KvPrefixCacheOptions,
    private readonly root: ArrayBuffer,
  ) {
    const { config, events } = options;
    this.floats = blockFloats(options.shape);
    this.memory = new BlockLru(config.memoryBytes, (key, bytes) => events({ cache: 'kv-prefix', kind: 'evict', tier: 'memory', key, bytes }));
    this.store =
      config.persist && typeof indexedDB !== 'undefined'
        ? new BlobStore<KvBlockExtra>({
            cache: 'kv-prefix',
            budgetBytes: config.budgetBytes,
            events,
            ...(options.databaseName === undefined ? {} : { databaseName: options.databaseName }),
          })
        : undefined;
    // Open the database now, so the first lookup does not pay for it.
    this.store?.meta('').catch(() => undefined);
  }

  /**
   * A cache, or undefined (with a `warning`) where SHA-256 is unavailable: `crypto.subtle`
   * exists only in secure contexts (https, localhost).
   */
  static async create(options: KvPrefixCacheOptions): Promise<KvPrefixCache | undefined> {
    try {
      return new KvPrefixCache(options, await namespaceRoot(options.namespace));
    } catch (error) {
      options.events({ cache: 'kv-prefix', kind: 'warning', message: `KV prefix cache off: no SHA-256 here (${messageOf(error)})` });
      return undefined;
    }
  }

  /** Tokens per block. */
  get blockTokens(): number {
    return this.options.shape.blockTokens;
  }

  /** Blocks and bytes in the memory tier. */
  get memoryUsage(): { blocks: number; bytes: number } {
    return { blocks: this.memory.size, bytes: this.memory.bytes };
  }

  /**
   * The longest cached prefix of `prompt` (whole blocks, never its last token), as a KV
   * cache. Reports one `hit` (with the deepest tier used) or `miss` per prompt that has
   * a reusable block; prompts shorter than a block plus one token report nothing.
   */
  async lookup(prompt: readonly number[]): Promise<PrefixLookup> {
    let keys: string[];
    try {
      keys = await blockKeys(this.root, prompt, this.blockTokens, this.lastKeys);
      this.lastKeys = { tokens: prompt, keys };
    } catch (error) {
      this.warn(`could not hash the prompt's blocks: ${messageOf(error)}`);
      return { tokens: 0, keys: [], prompt }; // generate without the cache
    }
    const usable = Math.floor((prompt.length - 1) / this.blockTokens);
    await this.inserts;
    const blocks: Float32Array[] = [];
    while (blocks.length < usable) {
      const block = this.memory.get(keys[blocks.length] ?? '');
      if (block === undefined) break;
      blocks.push(block);
    }
    const fromMemory = blocks.length;
    if (blocks.length < usable) blocks.push(...(await this.readStored(keys.slice(blocks.length, usable), prompt, blocks.length)));
    const tier = blocks.length === 0 ? undefined : blocks.length > fromMemory ? 'indexeddb' : 'memory';
    const tokens = blocks.length * this.blockTokens;
    if (usable > 0) {
      const key = keys[blocks.length - 1] ?? keys[0];
      if (tier === undefined) this.options.events({ cache: 'kv-prefix', kind: 'miss', ...(key === undefined ? {} : { key }) });
      else
        this.options.events({
          cache: 'kv-prefix',
          kind: 'hit',
          tier,
          bytes: blocks.length * this.floats * 4,
          ...(key === undefined ? {} : { key }),
          message: `${tokens} of ${prompt.length} prompt tokens`,
        });
    }
    return { tokens, keys, prompt, ...(tier === undefined ? {} : { tier, cache: this.assemble(keys[blocks.length - 1] ?? '', blocks) }) };
  }

  /** The KV cache of `blocks` (the run ending with block `key`): the one assembled last time, when it is the same run. */
  private assemble(key: string, blocks: readonly Float32Array[]): TensorMap {
    if (this.assembled?.key === key) return this.assembled.cache;
    const cache = assembleCache(blocks, this.options.shape);
    this.assembled = { key, cache };
    return cache;
  }

  /**
   * Blocks `keys` (block `first`… of `prompt`) read from IndexedDB in one transaction,
   * up to the first missing or mismatching one; promoted to the memory tier.
   */
  private async readStored(keys: readonly string[], prompt: readonly number[], first: number): Promise<Float32Array[]> {
    if (this.store === undefined || keys.length === 0) return [];
    const B = this.blockTokens;
    try {
      const found = await this.store.getMany(keys);
      // The chain's stored run: entries up to the first missing or mismatching one.
      const run: StoredPart[] = [];
      for (const [i, item] of found.entries()) {
        const expected = prompt.slice((first + i) * B, (first + i + 1) * B);
        const extra = item?.entry.extra;
        if (item === undefined || extra?.floats !== this.floats || extra.tokens.length !== B || extra.tokens.some((t, n) => t !== expected[n])) break;
        run.push(item.part);
      }
      const buffers = await Promise.all(run.map(partBytes)); // at once: each Blob read is a round trip to the browser
      const sums = await Promise.all(buffers.map((buffer) => sha256Hex(buffer))); // in parallel, off this thread
      const blocks: Float32Array[] = [];
      for (const [i, buffer] of buffers.entries()) {
        const key = keys[i];
        if (key === undefined || buffer.byteLength !== this.floats * 4) break;
        const expected = found[i]?.entry.extra.sha256;
        if (expected !== sums[i]) {
          await this.store.invalidate(key, `KV block ${first + i} ${expected === undefined ? 'has no checksum' : 'does not match its checksum'}`);
          break; // the chain stops here: this block and the ones after it are prefilled again
        }
        const block = new Float32Array(buffer);
        this.persisted.add(key);
        this.memory.set(key, block);
        blocks.push(block);
      }
      return blocks;
    } catch (error) {
      this.warn(`reading KV blocks from IndexedDB failed: ${messageOf(error)}`);
      return [];
    }
  }

  /**
   * Keep the prompt's full blocks that `lookup` did not supply, from `cache` (the
   * prefill's `present.*`, covering the whole prompt). Returns at once: slicing runs
   * in the next task, then one IndexedDB transaction writes the blocks it does not hold.
   */
  remember(lookup: PrefixLookup, cache: TensorMap): void {
    const from = lookup.tokens / this.blockTokens;
    const to = lookup.keys.length;
    if (to <= from) return;
    const inserted = new Promise<Float32Array[]>((resolve, reject) => {
      setTimeout(() => {
        try {
          const blocks = sliceBlocks(cache, lookup.prompt.length, from, to, this.options.shape);
          blocks.forEach((block, i) => this.memory.set(lookup.keys[from + i] ?? '', block));
          resolve(blocks);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }, 0);
    });
    this.inserts = Promise.all([this.inserts, inserted]).then(
      () => undefined,
      (error: unknown) => this.warn(`could not keep KV blocks: ${messageOf(error)}`),
    );
    const store = this.store;
    if (store === undefined) return;
    const B = this.blockTokens;
    const model = this.options.model;
    this.writes = this.writes
      .then(async () => {
        const blocks = await inserted.catch(() => []); // a failed slice was reported above
        const items = await Promise.all(
          blocks.flatMap((block, i) => {
            const id = lookup.keys[from + i];
            if (id === undefined || this.persisted.has(id)) return [];
            const tokens = lookup.prompt.slice((from + i) * B, (from + i + 1) * B);
            return [sha256Hex(block).then((sha256) => ({ id, model, part: block, extra: { tokens, floats: this.floats, sha256 } }))];
          }),
        );
        if (items.length > 0 && (await store.putMany(items))) for (const item of items) this.persisted.add(item.id);
      })
      .catch((error: unknown) => this.warn(`writing KV blocks to IndexedDB failed: ${messageOf(error)}`));
  }

  /** Wait until every scheduled memory insert and IndexedDB write is done. */
  async flush(): Promise<void> {
    await this.inserts;
    await this.writes;
  }

  /** Drop the memory tier (IndexedDB keeps its blocks). */
  clearMemory(): void {
    this.memory.clear();
    this.assembled = undefined;
  }

  private warn(message: string): void {
    if (this.storageWarned) return; // one warning per cache: a broken database would otherwise warn on every request
    this.storageWarned = true;
    this.options.events({ cache: 'kv-prefix', kind: 'warning', message });
  }
}
