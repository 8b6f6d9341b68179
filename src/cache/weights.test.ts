import 'fake-indexeddb/auto';
import { createStore, set } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { IntegrityError, messageOf, ModelLoadError } from '../errors';
import type { CacheEvent } from './events';
import { ProgressTracker } from './load-progress';
import type { LoadProgress } from '../protocol';
import { chunksOf, inProcessLocks, readBody, sha256Hex, WeightsStore, type FetchFileOptions, type WeightsStoreOptions } from './weights';

const url = 'https://models.example/m.onnx';
/** `size` bytes that start like an ONNX ModelProto (`ir_version` 8), so they pass the format sniff. */
const fileBytes = (size: number, seed = 1): Uint8Array<ArrayBuffer> => Uint8Array.from({ length: size }, (_, i) => (i < 2 ? 0x08 : (i * 31 + seed) & 0xff));
const html = new TextEncoder().encode('<!doctype html>\n<html lang="en"><head><title>My app</title></head><body><div id="app"></div></body></html>\n');

interface ServedFile {
  bytes: Uint8Array<ArrayBuffer>;
  etag?: string;
  /** @default none */
  contentType?: string;
  /** Leave out Content-Length. */
  unsized?: boolean;
}

/** A mock server: serves `files`, counts requests, honours If-None-Match, streams in 7-byte pieces. */
function server(files: Record<string, ServedFile>) {
  const requests: { url: string; ifNoneMatch: string | null }[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const ifNoneMatch = new Headers(init?.headers).get('If-None-Match');
    requests.push({ url: href, ifNoneMatch });
    const file = files[href];
    if (file === undefined) return new Response('not found', { status: 404, statusText: 'Not Found' });
    const headers: Record<string, string> = file.unsized === true ? {} : { 'Content-Length': String(file.bytes.byteLength) };
    if (file.etag !== undefined) headers.ETag = file.etag;
    if (file.contentType !== undefined) headers['Content-Type'] = file.contentType;
    if (ifNoneMatch !== null && ifNoneMatch === file.etag) return new Response(null, { status: 304, headers });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < file.bytes.byteLength; i += 7) controller.enqueue(file.bytes.slice(i, i + 7));
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers });
  };
  return { requests, fetchImpl };
}

let n = 0;
function weights(fetchImpl: typeof fetch, options: Partial<WeightsStoreOptions> = {}) {
  const events: CacheEvent[] = [];
  const databaseName = `weights-test-${(n += 1)}`;
  const store = new WeightsStore({ budgetBytes: 1_000_000, events: (e) => events.push(e), databaseName, fetch: fetchImpl, chunkBytes: 64, ...options });
  return { store, events, databaseName, kinds: () => events.map((e) => (e.kind === 'hit' ? `hit:${e.tier}` : e.kind)) };
}

describe('WeightsStore', () => {
  it('downloads once, stores in chunks with size, hash and ETag, then serves from IndexedDB', async () => {
    const bytes = fileBytes(200);
    const { requests, fetchImpl } = server({ [url]: { bytes, etag: '"v1"' } });
    const { store, kinds } = weights(fetchImpl);
    const first = await store.fetchFile(url, { model: 'm' });
    expect(new Uint8Array(first)).toEqual(bytes);
    const [meta] = await store.store.list();
    expect(meta).toMatchObject({
      id: url,
      model: 'm',
      bytes: 200,
      partBytes: [64, 64, 64, 8],
      extra: { url, etag: '"v1"', sha256: await sha256Hex(bytes.buffer) },
    });
    const second = await store.fetchFile(url, { model: 'm' });
    expect(new Uint8Array(second)).toEqual(bytes);
    expect(requests).toHaveLength(1);
    expect(kinds()).toEqual(['miss', 'store', 'hit:indexeddb']);
  });

  it('rejects a download whose SHA-256 is not the expected one, storing nothing', async () => {
    const { fetchImpl } = server({ [url]: { bytes: fileBytes(100) } });
    const { store } = weights(fetchImpl);
    const wrong = 'ab'.repeat(32);
    const error = await store.fetchFile(url, { model: 'm', sha256: wrong }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error).toMatchObject({ code: 'INTEGRITY_ERROR', name: 'IntegrityError', model: 'm', expected: wrong, got: await sha256Hex(fileBytes(100).buffer) });
    expect(await store.store.usage()).toEqual({ entries: 0, bytes: 0 });
    // The right hash loads (case-insensitive).
    const right = (await sha256Hex(fileBytes(100).buffer)).toUpperCase();
    expect(new Uint8Array(await store.fetchFile(url, { model: 'm', sha256: right }))).toEqual(fileBytes(100));
  });

  it('detects a stored part whose bytes changed (same size), drops it and downloads again', async () => {
    const bytes = fileBytes(150);
    const { requests, fetchImpl } = server({ [url]: { bytes } });
    const { store, databaseName, kinds, events } = weights(fetchImpl);
    await store.fetchFile(url, { model: 'm' });
    await set(`d:${url}:1`, new Blob([new Uint8Array(64).fill(0xee)]), createStore(databaseName, 'entries'));
    const again = await store.fetchFile(url, { model: 'm' });
    expect(new Uint8Array(again)).toEqual(bytes);
    expect(requests).toHaveLength(2);
    expect(kinds()).toEqual(['miss', 'store', 'integrity-failure', 'miss', 'store']);
    expect(events[2]?.message).toContain('SHA-256');
  });

  it('detects a truncated part without hashing (verifyOnRead off still checks sizes)', async () => {
    const { requests, fetchImpl } = server({ [url]: { bytes: fileBytes(150) } });
    const { store, databaseName, kinds } = weights(fetchImpl, { verifyOnRead: false });
    await store.fetchFile(url, { model: 'm' });
    await set(`d:${url}:2`, new Blob([new Uint8Array(3)]), createStore(databaseName, 'entries'));
    expect(new Uint8Array(await store.fetchFile(url, { model: 'm' }))).toEqual(fileBytes(150));
    expect(requests).toHaveLength(2);
    expect(kinds()).toEqual(['miss', 'store', 'integrity-failure', 'miss', 'store']);
  });

  it('with verifyOnRead off, a same-size corruption is not hashed (the cost the option saves)', async () => {
    const { fetchImpl } = server({ [url]: { bytes: fileBytes(10) } });
    const { store, databaseName } = weights(fetchImpl, { verifyOnRead: false });
    await store.fetchFile(url, { model: 'm' });
    const corrupt = fileBytes(10, 7); // same size, same ONNX header (the sniff passes), other bytes
    await set(`d:${url}:0`, new Blob([corrupt]), createStore(databaseName, 'entries'));
    expect(new Uint8Array(await store.fetchFile(url, { model: 'm' }))).toEqual(corrupt);
  });

  it('revalidates with If-None-Match: 304 uses the stored copy, 200 replaces it', async () => {
    const files = { [url]: { bytes: fileBytes(80), etag: '"v1"' } };
    const { requests, fetchImpl } = server(files);
    const { store, kinds } = weights(fetchImpl, { revalidate: true });
    await store.fetchFile(url, { model: 'm' });
    expect(new Uint8Array(await store.fetchFile(url, { model: 'm' }))).toEqual(fileBytes(80));
    expect(requests[1]).toEqual({ url, ifNoneMatch: '"v1"' });
    files[url] = { bytes: fileBytes(90, 5), etag: '"v2"' };
    expect(new Uint8Array(await store.fetchFile(url, { model: 'm' }))).toEqual(fileBytes(90, 5));
    expect((await store.store.meta(url))?.extra.etag).toBe('"v2"');
    expect(kinds()).toEqual(['miss', 'store', 'hit:revalidated', 'store']);
    expect(requests).toHaveLength(3);
  });

  it('a failed revalidation falls back to the stored copy with a warning', async () => {
    const { fetchImpl } = server({ [url]: { bytes: fileBytes(20), etag: '"v1"' } });
    let offline = false;
    const flaky: typeof fetch = (input, init) => (offline ? Promise.reject(new TypeError('Failed to fetch')) : fetchImpl(input, init));
    const { store, kinds } = weights(flaky, { revalidate: true });
    await store.fetchFile(url, { model: 'm' });
    offline = true;
    expect(new Uint8Array(await store.fetchFile(url, { model: 'm' }))).toEqual(fileBytes(20));
    expect(kinds()).toEqual(['miss', 'store', 'warning', 'hit:indexeddb']);
  });

  it('a file larger than the budget loads uncached with a warning, never an error', async () => {
    const { requests, fetchImpl } = server({ [url]: { bytes: fileBytes(300) } });
    const { store, kinds } = weights(fetchImpl, { budgetBytes: 100 });
    expect(new Uint8Array(await store.fetchFile(url, { model: 'm' }))).toEqual(fileBytes(300));
    expect(new Uint8Array(await store.fetchFile(url, { model: 'm' }))).toEqual(fileBytes(300));
    expect(requests).toHaveLength(2);
    expect(kinds()).toEqual(['miss', 'warning', 'miss', 'warning']);
  });

  it('evicts the least recently used file to fit the budget', async () => {
    const other = 'https://models.example/other.onnx';
    const { fetchImpl } = server({ [url]: { bytes: fileBytes(60) }, [other]: { bytes: fileBytes(60, 2) } });
    const { store, events } = weights(fetchImpl, { budgetBytes: 100 });
    await store.fetchFile(url, { model: 'a' });
    await store.fetchFile(other, { model: 'b' });
    expect((await store.store.list()).map((m) => m.model)).toEqual(['b']);
    expect(events.find((e) => e.kind === 'evict')?.key).toBe(url);
  });

  it('two concurrent loads of one URL download it once (the second waits for the lock, then hits)', async () => {
    const { requests, fetchImpl } = server({ [url]: { bytes: fileBytes(500) } });
    const databaseName = `weights-test-${(n += 1)}`;
    // Same database, two store instances (two tabs), sharing one lock manager.
    const shared = { fetch: fetchImpl, databaseName, chunkBytes: 64, locks: inProcessLocks() };
    const a = new WeightsStore(shared);
    const b = new WeightsStore(shared);
    const [x, y] = await Promise.all([a.fetchFile(url, { model: 'm' }), b.fetchFile(url, { model: 'm' })]);
    expect(new Uint8Array(x)).toEqual(fileBytes(500));
    expect(new Uint8Array(y)).toEqual(fileBytes(500));
    expect(requests).toHaveLength(1);
  });

  it('reports HTTP failures as MODEL_LOAD_FAILED', async () => {
    const { fetchImpl } = server({});
    const { store } = weights(fetchImpl);
    const error = await store.fetchFile(url, { model: 'm', modelId: 'my-model' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error).toMatchObject({ model: 'my-model', got: 'HTTP 404' });
  });

  it('with caching off, downloads every time and stores nothing', async () => {
    const { requests, fetchImpl } = server({ [url]: { bytes: fileBytes(30) } });
    const { store } = weights(fetchImpl, { enabled: false });
    await store.fetchFile(url, { model: 'm' });
    await store.fetchFile(url, { model: 'm' });
    expect(requests).toHaveLength(2);
    expect(await store.store.usage()).toEqual({ entries: 0, bytes: 0 });
  });
});

describe('WeightsStore response checks (nothing bad is stored or returned)', () => {
  const jsonUrl = 'https://models.example/pose/model.json';
  const modelJson = new TextEncoder().encode(JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['w.bin'], weights: [] }] }));

  /** Load `url` expecting a `ModelLoadError`; returns it with the store's usage and event kinds afterwards. */
  async function rejected(files: Record<string, ServedFile>, options: Partial<FetchFileOptions> = {}, at = url) {
    const { requests, fetchImpl } = server(files);
    const { store, kinds } = weights(fetchImpl);
    const error = await store.fetchFile(at, { model: 'pose', ...options }).catch((e: unknown) => e);
    return { error, usage: await store.store.usage(), kinds: kinds(), requests };
  }

  it('rejects a 200 text/html answer (a single-page-app fallback) with the URL and a hint, storing nothing', async () => {
    const { error, usage, kinds } = await rejected(
      { [jsonUrl]: { bytes: html, contentType: 'text/html; charset=utf-8' } },
      { kind: 'tfjs-model-json' },
      jsonUrl,
    );
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error).toMatchObject({ code: 'MODEL_LOAD_FAILED', model: 'pose', got: 'text/html', expected: 'a TF.js graph model.json' });
    expect(messageOf(error)).toBe(
      `Model "pose": ${jsonUrl} answered 200 with text/html, not a TF.js graph model.json — a single-page-app fallback answered for a missing file; serve the model files (inpage/vite plugin or \`npx inpage assets\`) or set \`appType: 'mpa'\` in Vite.`,
    );
    expect(usage).toEqual({ entries: 0, bytes: 0 });
    expect(kinds).toEqual(['miss']);
  });

  it('rejects an HTML page served under another type (sniffed), storing nothing', async () => {
    const { error, usage } = await rejected({ [url]: { bytes: html, contentType: 'application/octet-stream' } });
    expect(error).toMatchObject({ code: 'MODEL_LOAD_FAILED', got: 'an HTML page', expected: 'an ONNX model' });
    expect(messageOf(error)).toContain(`Model "pose": ${url} answered with an HTML page ("<!doctype html>.…"), not an ONNX model — a single-page-app fallback`);
    expect(messageOf(error)).toContain("set `appType: 'mpa'` in Vite");
    expect(usage).toEqual({ entries: 0, bytes: 0 });
  });

  it('rejects an .onnx URL whose bytes are no ONNX ModelProto header', async () => {
    const body = new TextEncoder().encode('{"error":"not here"}');
    const { error, usage } = await rejected({ [url]: { bytes: body, contentType: 'application/json' } });
    expect(error).toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      got: 'starts with 7b 22 65 72 72 6f 72 22',
      expected: 'an ONNX model (protobuf ModelProto, first byte 0x08)',
    });
    expect(messageOf(error)).toContain(`${url} is not an ONNX model (JSON): its first bytes are 7b 22 65 72`);
    expect(usage).toEqual({ entries: 0, bytes: 0 });
  });

  it('rejects a model.json that is not JSON, or JSON without modelTopology/weightsManifest', async () => {
    const notJson = await rejected({ [jsonUrl]: { bytes: new TextEncoder().encode('version https://git-lfs') } }, { kind: 'tfjs-model-json' }, jsonUrl);
    expect(notJson.error).toMatchObject({ code: 'MODEL_LOAD_FAILED', got: 'starts with "version https://git-lfs"', expected: 'a TF.js graph model.json' });
    expect(messageOf(notJson.error)).toMatch(/model\.json is not JSON \(.*\); give the TF\.js graph's model\.json\./);
    expect(notJson.usage).toEqual({ entries: 0, bytes: 0 });
    const wrongJson = await rejected({ [jsonUrl]: { bytes: new TextEncoder().encode('{"format":"layers-model"}') } }, { kind: 'tfjs-model-json' }, jsonUrl);
    expect(wrongJson.error).toMatchObject({ got: 'JSON with keys format', expected: 'model.json with modelTopology and weightsManifest' });
    expect(wrongJson.usage).toEqual({ entries: 0, bytes: 0 });
  });

  it('rejects a size other than the expected one: from Content-Length before reading, else after', async () => {
    const announced = await rejected({ [url]: { bytes: fileBytes(120) } }, { bytes: 100 });
    expect(announced.error).toMatchObject({ code: 'INTEGRITY_ERROR', got: '120 bytes', expected: '100 bytes' });
    expect(messageOf(announced.error)).toContain(`${url} has 120 bytes, but 100 were expected`);
    expect(announced.usage).toEqual({ entries: 0, bytes: 0 });
    const streamed = await rejected({ [url]: { bytes: fileBytes(90), unsized: true } }, { bytes: 100 });
    expect(streamed.error).toMatchObject({ code: 'INTEGRITY_ERROR', got: '90 bytes', expected: '100 bytes' });
    expect(streamed.usage).toEqual({ entries: 0, bytes: 0 });
    // The right size loads and is stored.
    const { fetchImpl } = server({ [url]: { bytes: fileBytes(100) } });
    const { store } = weights(fetchImpl);
    expect(new Uint8Array(await store.fetchFile(url, { model: 'm', bytes: 100 }))).toEqual(fileBytes(100));
    expect(await store.store.usage()).toEqual({ entries: 1, bytes: 100 });
  });

  it('names the URL and the status for HTTP errors', async () => {
    const { error, usage } = await rejected({});
    expect(error).toMatchObject({ code: 'MODEL_LOAD_FAILED', got: 'HTTP 404', expected: 'HTTP 200' });
    expect(messageOf(error)).toBe(
      `Model "pose": ${url} could not be loaded: HTTP 404 Not Found. Serve the file at that URL or pass the right URL (the built-in tasks' files come from the inpage/vite plugin or \`npx inpage assets\`).`,
    );
    expect(usage).toEqual({ entries: 0, bytes: 0 });
  });

  it('checks downloads with caching off too', async () => {
    const { fetchImpl } = server({ [url]: { bytes: html, contentType: 'text/html' } });
    const { store } = weights(fetchImpl, { enabled: false });
    await expect(store.fetchFile(url, { model: 'm' })).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', got: 'text/html' });
  });

  it('drops a stored entry that fails the sniff (an HTML page an older version stored) and fetches the file again', async () => {
    const files: Record<string, ServedFile> = { [jsonUrl]: { bytes: modelJson, contentType: 'application/json' } };
    const { requests, fetchImpl } = server(files);
    const { store, kinds, events } = weights(fetchImpl);
    // What an older version stored: the SPA's index.html, with its own (matching) hash.
    await store.store.put(jsonUrl, 'pose', chunksOf(html.buffer, 64), { url: jsonUrl, sha256: await sha256Hex(html.buffer) });
    const bytes = await store.fetchFile(jsonUrl, { model: 'pose', kind: 'tfjs-model-json' });
    expect(new Uint8Array(bytes)).toEqual(modelJson);
    expect(requests).toHaveLength(1);
    expect(kinds()).toEqual(['store', 'integrity-failure', 'miss', 'store']); // the planted entry, then the load
    expect(events[1]?.message).toContain('fails the tfjs-model-json format check (an HTML page)');
    expect(await store.store.meta(jsonUrl)).toMatchObject({ bytes: modelJson.byteLength, extra: { sha256: await sha256Hex(modelJson.buffer) } });
  });

  it('reports and drops a bad stored entry also when the caller expects another hash (a built-in task file)', async () => {
    const files: Record<string, ServedFile> = { [jsonUrl]: { bytes: modelJson, contentType: 'application/json' } };
    const { fetchImpl } = server(files);
    const { store, kinds } = weights(fetchImpl);
    await store.store.put(jsonUrl, 'pose', chunksOf(html.buffer, 64), { url: jsonUrl, sha256: await sha256Hex(html.buffer) });
    const expected = await sha256Hex(modelJson.buffer);
    const bytes = await store.fetchFile(jsonUrl, { model: 'pose', kind: 'tfjs-model-json', sha256: expected, bytes: modelJson.byteLength });
    expect(new Uint8Array(bytes)).toEqual(modelJson);
    expect(kinds()).toEqual(['store', 'integrity-failure', 'miss', 'store']);
  });

  it('drops a bad stored entry even with verifyOnRead off, and never returns it when the server still answers HTML', async () => {
    const { fetchImpl } = server({ [url]: { bytes: html, contentType: 'text/html' } });
    const { store, kinds } = weights(fetchImpl, { verifyOnRead: false });
    await store.store.put(url, 'm', chunksOf(html.buffer, 64), { url, sha256: await sha256Hex(html.buffer) });
    await expect(store.fetchFile(url, { model: 'm' })).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', got: 'text/html' });
    expect(kinds()).toEqual(['store', 'integrity-failure', 'miss']); // the planted entry, then the load
    expect(await store.store.usage()).toEqual({ entries: 0, bytes: 0 });
  });

  it('does not use a stored copy of another size than the expected one', async () => {
    const files: Record<string, ServedFile> = { [url]: { bytes: fileBytes(80) } };
    const { requests, fetchImpl } = server(files);
    const { store } = weights(fetchImpl);
    await store.fetchFile(url, { model: 'm' });
    files[url] = { bytes: fileBytes(96, 3) };
    expect(new Uint8Array(await store.fetchFile(url, { model: 'm', bytes: 96 }))).toEqual(fileBytes(96, 3));
    expect(requests).toHaveLength(2);
  });

  it('a revalidation answered with text/html keeps the stored copy, with a warning', async () => {
    const files: Record<string, ServedFile> = { [url]: { bytes: fileBytes(40), etag: '"v1"' } };
    const { fetchImpl } = server(files);
    const { store, kinds, events } = weights(fetchImpl, { revalidate: true });
    await store.fetchFile(url, { model: 'm' });
    files[url] = { bytes: html, etag: '"spa"', contentType: 'text/html' };
    expect(new Uint8Array(await store.fetchFile(url, { model: 'm' }))).toEqual(fileBytes(40));
    expect(kinds()).toEqual(['miss', 'store', 'warning', 'hit:indexeddb']);
    expect(events[2]?.message).toContain('text/html');
    expect((await store.store.meta(url))?.extra.etag).toBe('"v1"');
  });
});

describe('streaming and progress', () => {
  it('reads a streamed body into one buffer, reporting monotone progress up to Content-Length', async () => {
    const { fetchImpl } = server({ [url]: { bytes: fileBytes(50) } });
    const seen: [number, number | undefined][] = [];
    const bytes = await readBody(await fetchImpl(url), (loaded, total) => seen.push([loaded, total]));
    expect(new Uint8Array(bytes)).toEqual(fileBytes(50));
    expect(seen[0]).toEqual([0, 50]);
    expect(seen.at(-1)).toEqual([50, 50]);
    expect(seen.every(([loaded], i) => i === 0 || loaded >= (seen[i - 1]?.[0] ?? 0))).toBe(true);
  });

  it('copes with a body longer than announced and with no Content-Length', async () => {
    const long = new Response(fileBytes(20), { headers: { 'Content-Length': '5' } });
    expect(new Uint8Array(await readBody(long, () => undefined))).toEqual(fileBytes(20));
    const unknown = new Response(new Blob([fileBytes(9)]).stream());
    const totals: (number | undefined)[] = [];
    expect(new Uint8Array(await readBody(unknown, (_, total) => totals.push(total)))).toEqual(fileBytes(9));
    expect(totals.every((t) => t === undefined)).toBe(true);
  });

  it('aggregates files into overall progress that never decreases and ends at the total', () => {
    const updates: LoadProgress[] = [];
    const tracker = new ProgressTracker((p) => updates.push(p), 0);
    const a = tracker.file('a');
    const b = tracker.file('b');
    a(0, 100, 'network', false);
    b(0, 50, 'network', false);
    a(60, 100, 'network', false);
    b(50, 50, 'network', true);
    a(100, 100, 'network', true);
    expect(updates.map((u) => u.overallLoaded)).toEqual([0, 0, 60, 110, 150]);
    expect(updates.at(-1)).toMatchObject({ overallTotal: 150, files: 2, filesDone: 2 });
  });

  it('splits into chunks without copying', () => {
    const buffer = new ArrayBuffer(10);
    expect(chunksOf(buffer, 4).map((c) => c.byteLength)).toEqual([4, 4, 2]);
    expect(chunksOf(new ArrayBuffer(0), 4).map((c) => c.byteLength)).toEqual([0]);
  });
});
