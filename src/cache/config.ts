/**
 * The runtime's `cache` option and its defaults. Every cache can be turned off with
 * `false`; objects override single fields.
 */
import { InvalidOptionsError } from '../errors';
import type { WorkerCacheConfig } from '../protocol';

const MiB = 1024 * 1024;

/** Options for {@link createRuntime}'s `cache`. */
export interface CacheOptions {
  /**
   * Model files in IndexedDB, checked against their SHA-256. `false` fetches every time.
   * @default { budgetBytes: 2 GiB, verifyOnRead: true, revalidate: false }
   */
  readonly weights?: boolean | Partial<WorkerCacheConfig['weights']>;
  /**
   * Sentence embeddings by model and exact text: an in-memory LRU in front of IndexedDB.
   * @default { memoryEntries: 10000, persist: true, budgetBytes: 64 MiB }
   */
  readonly embeddings?: boolean | Partial<EmbeddingCacheConfig>;
  /**
   * Key/value blocks of prompt prefixes (vLLM-style prefix caching) for text generation.
   * @default { blockTokens: 16, memoryBytes: 256 MiB, persist: true, budgetBytes: 512 MiB }
   */
  readonly kvPrefix?: boolean | Partial<WorkerCacheConfig['kvPrefix']>;
}

/** The embedding cache's settings. */
export interface EmbeddingCacheConfig {
  readonly enabled: boolean;
  /** Vectors kept in memory (LRU). */
  readonly memoryEntries: number;
  /** Also keep vectors in IndexedDB. */
  readonly persist: boolean;
  /** IndexedDB LRU budget, bytes. */
  readonly budgetBytes: number;
}

/** Every cache's settings, resolved. */
export interface CacheConfig extends WorkerCacheConfig {
  readonly embeddings: EmbeddingCacheConfig;
}

export const defaultCacheConfig: CacheConfig = {
  weights: { enabled: true, budgetBytes: 2048 * MiB, verifyOnRead: true, revalidate: false },
  embeddings: { enabled: true, memoryEntries: 10_000, persist: true, budgetBytes: 64 * MiB },
  kvPrefix: { enabled: true, blockTokens: 16, memoryBytes: 256 * MiB, persist: true, budgetBytes: 512 * MiB },
};

function merge<T extends { readonly enabled: boolean }>(name: string, defaults: T, option: boolean | Partial<T> | undefined): T {
  if (option === undefined || option === true) return defaults;
  if (option === false) return { ...defaults, enabled: false };
  if (typeof option !== 'object' || option === null)
    throw new InvalidOptionsError(`Expected \`cache.${name}\` to be a boolean or an options object, got ${JSON.stringify(option) ?? typeof option}.`, {
      input: `cache.${name}`,
      expected: 'boolean | options object',
      got: JSON.stringify(option) ?? typeof option,
    });
  for (const key of Object.keys(option))
    if (!(key in defaults))
      throw new InvalidOptionsError(`Unknown option \`cache.${name}.${key}\`: it takes ${Object.keys(defaults).join(', ')}.`, {
        input: `cache.${name}.${key}`,
        expected: Object.keys(defaults).join(' | '),
        got: key,
      });
  const merged = { ...defaults, ...option };
  for (const [key, value] of Object.entries(merged)) {
    const expected = typeof (defaults as Record<string, unknown>)[key];
    if (typeof value !== expected || (typeof value === 'number' && !(value >= 0 && Number.isFinite(value))))
      throw new InvalidOptionsError(
        `Expected \`cache.${name}.${key}\` to be ${expected === 'number' ? 'a finite number ≥ 0' : `a ${expected}`}, got ${String(value)}.`,
        {
          input: `cache.${name}.${key}`,
          expected: expected === 'number' ? 'finite number ≥ 0' : expected,
          got: String(value),
        },
      );
  }
  return merged;
}

/** Resolve the runtime's `cache` option; bad values throw `INVALID_OPTIONS`. */
export function resolveCacheConfig(options: CacheOptions = {}): CacheConfig {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new InvalidOptionsError(
      `Expected \`cache\` to be an object such as { weights: false } (each cache on, off or configured), got ${typeof options === 'string' ? JSON.stringify(options) : String(options)}.`,
      { input: 'cache', expected: '{ weights?, embeddings?, kvPrefix? }', got: String(options) },
    );
  for (const key of Object.keys(options))
    if (key !== 'weights' && key !== 'embeddings' && key !== 'kvPrefix')
      throw new InvalidOptionsError(`Unknown cache \`cache.${key}\`: the caches are weights, embeddings and kvPrefix.`, {
        input: `cache.${key}`,
        expected: 'weights | embeddings | kvPrefix',
        got: key,
      });
  const kvPrefix = merge('kvPrefix', defaultCacheConfig.kvPrefix, options.kvPrefix);
  if (!Number.isInteger(kvPrefix.blockTokens) || kvPrefix.blockTokens < 1)
    throw new InvalidOptionsError(`Expected \`cache.kvPrefix.blockTokens\` to be an integer ≥ 1, got ${kvPrefix.blockTokens}.`, {
      input: 'cache.kvPrefix.blockTokens',
      expected: 'integer ≥ 1',
      got: String(kvPrefix.blockTokens),
    });
  return {
    weights: merge('weights', defaultCacheConfig.weights, options.weights),
    embeddings: merge('embeddings', defaultCacheConfig.embeddings, options.embeddings),
    kvPrefix,
  };
}
