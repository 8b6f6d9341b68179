/**
 * The weights store: model files in IndexedDB, keyed by absolute URL, each with its size,
 * ETag and SHA-256, in `Blob` parts of at most 16 MiB (Chromium keeps large Blobs as
 * files). Usable in workers (where the engines load models) and on the main thread.
 *
 * - Downloads stream, reporting bytes loaded / total.
 * - Every download passes the checks of `response-check.ts` first (HTTP status, no
 *   `text/html`, a format sniff for the file's kind, the expected size when given): a
 *   single-page app's `index.html` answering for a missing model is never stored.
 * - An expected SHA-256 is checked on download: a mismatch throws `IntegrityError` and
 *   nothing is stored or returned.
 * - On read, sizes are always checked (by the {@link BlobStore}) and, with `verifyOnRead`,
 *   the SHA-256: a corrupt or truncated entry is reported (`integrity-failure`), dropped
 *   and downloaded again; bad bytes are never returned. The format sniff runs on read too,
 *   so an entry an older version stored without it (an HTML page) is dropped the same way.
 * - One Web Lock per URL (`inpage-weights:<url>`) spans check → download → store, so two
 *   tabs loading the same model download it once: the second waits, then reads the entry.
 * - `revalidate` asks the server with `If-None-Match` first; `304` uses the stored copy.
 * - No room (budget or browser quota) is a `warning`, never an error: the bytes are
 *   returned uncached.
 */
import { sha256Hex } from './hash';
import { IntegrityError, messageOf } from '../errors';
import type { WorkerCacheConfig } from '../protocol';
import { BlobStore } from './blob-store';
import { ignoreCacheEvents, type CacheEventSink } from './events';
import {
  bytesProblem,
  checkBytes,
  checkResponse,
  discardBody,
  fileKindOf,
  networkError,
  readError,
  responseProblem,
  type FileCheck,
  type ModelFileKind,
} from './response-check';

/** What a weights entry records besides its parts. */
export interface WeightsExtra {
  readonly url: string;
  /** SHA-256 of the whole file, lowercase hex. */
  readonly sha256: string;
  /** The server's ETag, for revalidation. */
  readonly etag?: string;
}

/** Parts of a stored file are at most this large. */
export const defaultChunkBytes = 16 * 1024 * 1024;

/** The slice of `navigator.locks` the store uses (absent in Node tests: an in-process lock is used). */
export interface LockRequester {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** Options of a {@link WeightsStore}. */
export interface WeightsStoreOptions extends Partial<WorkerCacheConfig['weights']> {
  readonly events?: CacheEventSink;
  /** @default 'inpage-weights' */
  readonly databaseName?: string;
  /** Largest part, bytes. @default 16 MiB */
  readonly chunkBytes?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default navigator.locks when it exists */
  readonly locks?: LockRequester;
}

/** Options of one file fetch. */
export interface FetchFileOptions {
  /** The model the entry is filed under (listings, per-model delete). */
  readonly model: string;
  /** The model's id in errors. @default `model` */
  readonly modelId?: string;
  /** Expected SHA-256 (hex); a download that differs throws `IntegrityError`. */
  readonly sha256?: string;
  /**
   * Expected size in bytes: a download of another size throws `ModelLoadError` (nothing
   * stored), and a stored copy of another size is not used.
   */
  readonly bytes?: number;
  /** What the file is, for the format check. @default from the URL (`fileKindOf`: `.onnx`, `.json`, `.txt`, else binary) */
  readonly kind?: ModelFileKind;
  /** Progress of this file. */
  readonly onProgress?: (loaded: number, total: number | undefined, from: 'network' | 'cache', done: boolean) => void;
}

export { sha256Hex };

/** Split `bytes` into views of at most `chunk` bytes (no copy). */
export function chunksOf(bytes: ArrayBuffer, chunk: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.byteLength || parts.length === 0; offset += chunk)
    parts.push(new Uint8Array(bytes, offset, Math.min(chunk, bytes.byteLength - offset)));
  return parts;
}

/** A per-name mutex for when Web Locks do not exist (one process only). */
export function inProcessLocks(): LockRequester {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const previous = tails.get(name) ?? Promise.resolve();
      const run = previous.then(callback, callback);
      const tail = run.catch(() => undefined);
      tails.set(name, tail);
      try {
        return await run;
      } finally {
        if (tails.get(name) === tail) tails.delete(name);
      }
    },
  };
}

function defaultLocks(): LockRequester {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (locks === undefined) return inProcessLocks();
  // `await` flattens the lock's promise of the callback's promise.
  return { request: async (name, callback) => await locks.request(name, callback) };
}

type Lookup = { readonly kind: 'hit'; readonly bytes: ArrayBuffer } | { readonly kind: 'miss' } | { readonly kind: 'changed'; readonly response: Response };

/** Model files in IndexedDB, verified. See the file comment. */
export class WeightsStore {
  readonly enabled: boolean;
  readonly verifyOnRead: boolean;
  readonly revalidate: boolean;
  private readonly blobs: BlobStore<WeightsExtra>;
  private readonly events: CacheEventSink;
  private readonly chunkBytes: number;
  private readonly fetchImpl: typeof fetch;
  private readonly locks: LockRequester;

  constructor(options: WeightsStoreOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.verifyOnRead = options.verifyOnRead ?? true;
    this.revalidate = options.revalidate ?? false;
    this.events = options.events ?? ignoreCacheEvents;
    this.chunkBytes = options.chunkBytes ?? defaultChunkBytes;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.locks = options.locks ?? defaultLocks();
    this.blobs = new BlobStore<WeightsExtra>({
      cache: 'weights',
      budgetBytes: options.budgetBytes ?? 2048 * 1024 * 1024,
      events: this.events,
      ...(options.databaseName === undefined ? {} : { databaseName: options.databaseName }),
    });
  }

  /** The underlying store (listing, usage, deletes). */
  get store(): BlobStore<WeightsExtra> {
    return this.blobs;
  }

  /**
   * The bytes of the file at `url`: from IndexedDB when stored and intact, else downloaded
   * (and stored). Throws `ModelLoadError` when the download fails and `IntegrityError`
   * when it does not match `options.sha256`.
   */
  async fetchFile(url: string, options: FetchFileOptions): Promise<ArrayBuffer> {
    const expected = options.sha256?.toLowerCase();
    const check: FileCheck = {
      model: options.modelId ?? options.model,
      url,
      kind: options.kind ?? fileKindOf(url),
      ...(options.bytes === undefined ? {} : { expectedBytes: options.bytes }),
    };
    if (!this.enabled) return (await this.download(check, options, expected)).bytes;
    return this.locks.request(`inpage-weights:${url}`, async () => {
      const found = await this.lookup(check, expected);
      if (found.kind === 'hit') {
        options.onProgress?.(found.bytes.byteLength, found.bytes.byteLength, 'cache', true);
        return found.bytes;
      }
      if (found.kind === 'miss') this.events({ cache: 'weights', kind: 'miss', key: url });
      const { bytes, sha256, etag } = await this.download(check, options, expected, found.kind === 'changed' ? found.response : undefined);
      await this.save(url, options.model, bytes, { url, sha256, ...(etag === undefined ? {} : { etag }) });
      return bytes;
    });
  }

  /** A stored, intact copy of `check.url` that passes its format check (revalidated when asked), or why there is none. */
  private async lookup(check: FileCheck, expected: string | undefined): Promise<Lookup> {
    const { url } = check;
    let found: Awaited<ReturnType<BlobStore<WeightsExtra>['get']>>;
    try {
      found = await this.blobs.get(url);
    } catch (error) {
      this.events({ cache: 'weights', kind: 'warning', key: url, message: `IndexedDB could not be read, downloading instead: ${messageOf(error)}` });
      return { kind: 'miss' };
    }
    if (found === undefined) return { kind: 'miss' };
    const { entry, parts } = found;
    // The caller now names another file than the one stored: download (and verify) it. A
    // stored entry that is not even a file of the right kind (an HTML page an older version
    // kept) is reported and dropped on the way.
    if ((expected !== undefined && entry.extra.sha256 !== expected) || (check.expectedBytes !== undefined && entry.bytes !== check.expectedBytes)) {
      await this.dropIfMalformed(check, await new Blob(parts).arrayBuffer());
      return { kind: 'miss' };
    }
    let tier: 'indexeddb' | 'revalidated' = 'indexeddb';
    if (this.revalidate && entry.extra.etag !== undefined) {
      try {
        const response = await this.fetchImpl(url, { headers: { 'If-None-Match': entry.extra.etag }, cache: 'no-store' });
        const problem = response.ok ? responseProblem(response, check) : undefined;
        if (response.status === 304) tier = 'revalidated';
        else if (problem !== undefined) {
          discardBody(response);
          this.events({ cache: 'weights', kind: 'warning', key: url, message: `revalidation answered badly, using the stored copy: ${problem.message}` });
        } else if (response.ok) return { kind: 'changed', response };
      } catch (error) {
        this.events({ cache: 'weights', kind: 'warning', key: url, message: `could not revalidate, using the stored copy: ${messageOf(error)}` });
      }
    }
    const bytes = await new Blob(parts).arrayBuffer();
    if (this.verifyOnRead) {
      const got = await sha256Hex(bytes);
      if (got !== entry.extra.sha256) {
        await this.blobs.invalidate(url, `"${url}" has SHA-256 ${got} in IndexedDB, stored as ${entry.extra.sha256}; dropped, downloading again`);
        return { kind: 'miss' };
      }
    }
    // An entry stored before downloads were checked (or by another writer) may be an HTML
    // page or a truncated file with a matching hash: never return it.
    if (await this.dropIfMalformed(check, bytes)) return { kind: 'miss' };
    this.events({ cache: 'weights', kind: 'hit', tier, key: url, bytes: bytes.byteLength });
    return { kind: 'hit', bytes };
  }

  /**
   * Stream `check.url` (or an already started `response`), check the response and the
   * bytes (`response-check.ts`), hash them and check the hash against `expected`.
   */
  private async download(
    check: FileCheck,
    options: FetchFileOptions,
    expected: string | undefined,
    started?: Response,
  ): Promise<{ bytes: ArrayBuffer; sha256: string; etag: string | undefined }> {
    const { model, url } = check;
    let response: Response;
    try {
      response = started ?? (await this.fetchImpl(url));
    } catch (error) {
      throw networkError(error, check);
    }
    checkResponse(response, check);
    let bytes: ArrayBuffer;
    try {
      bytes = await readBody(response, (loaded, total) => options.onProgress?.(loaded, total, 'network', false));
    } catch (error) {
      throw readError(error, check);
    }
    options.onProgress?.(bytes.byteLength, bytes.byteLength, 'network', true);
    checkBytes(bytes, check);
    const sha256 = await sha256Hex(bytes);
    if (expected !== undefined && sha256 !== expected)
      throw new IntegrityError(
        `Model "${model}": ${url} has SHA-256 ${sha256}, but ${expected} was expected. Nothing was cached or loaded; check the file on the server or the \`sha256\` you passed.`,
        { model, expected, got: sha256, input: 'sha256' },
      );
    return { bytes, sha256, etag: response.headers.get('ETag') ?? undefined };
  }

  /** Drop a stored entry that fails the format check for its kind (an integrity failure); true when it did. */
  private async dropIfMalformed(check: FileCheck, bytes: ArrayBuffer): Promise<boolean> {
    const problem = bytesProblem(bytes, { ...check, expectedBytes: undefined });
    if (problem === undefined) return false;
    await this.blobs.invalidate(
      check.url,
      `"${check.url}" in IndexedDB fails the ${check.kind} format check (${problem.got ?? problem.message}); dropped, downloading again`,
    );
    return true;
  }

  /** Store a verified download; no room or no IndexedDB is a warning, never an error. */
  private async save(url: string, model: string, bytes: ArrayBuffer, extra: WeightsExtra): Promise<void> {
    try {
      await this.blobs.put(url, model, chunksOf(bytes, this.chunkBytes), extra);
    } catch (error) {
      this.events({ cache: 'weights', kind: 'warning', key: url, bytes: bytes.byteLength, message: `not cached: ${messageOf(error)}` });
    }
  }
}

/**
 * Read a response body as it streams, reporting bytes so far and the total (from
 * `Content-Length`, unless the body is content-encoded). Writes into one buffer when the
 * size is known up front.
 */
export async function readBody(response: Response, onProgress: (loaded: number, total: number | undefined) => void): Promise<ArrayBuffer> {
  const length = Number(response.headers.get('Content-Length') ?? Number.NaN);
  const encoding = response.headers.get('Content-Encoding');
  const total = Number.isInteger(length) && length >= 0 && (encoding === null || encoding === 'identity') ? length : undefined;
  if (response.body === null) {
    const bytes = await response.arrayBuffer();
    onProgress(bytes.byteLength, total);
    return bytes;
  }
  const reader = response.body.getReader();
  let buffer = total === undefined ? undefined : new Uint8Array(total);
  const pieces: Uint8Array[] = [];
  let loaded = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (buffer !== undefined && loaded + value.byteLength <= buffer.byteLength) buffer.set(value, loaded);
    else {
      // Longer than announced: fall back to collecting pieces.
      if (buffer !== undefined) pieces.push(buffer.subarray(0, loaded));
      buffer = undefined;
      pieces.push(value);
    }
    loaded += value.byteLength;
    onProgress(loaded, total);
  }
  if (buffer !== undefined) return loaded === buffer.byteLength ? buffer.buffer : buffer.slice(0, loaded).buffer;
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.byteLength;
  }
  return out.buffer;
}
