/**
 * The weights cache on the real models, in headless Chromium (WASM backends): a second
 * load is served from IndexedDB, a corrupted entry is caught and re-fetched, an expected
 * hash that does not match rejects with INTEGRITY_ERROR, two tabs download a model once,
 * real quota pressure (CDP) evicts LRU entries or loads uncached with a warning, and
 * `runtime.cache` lists, measures, deletes and clears.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from '@playwright/test';
import type { LoadProgress } from '../src/index';
import { expect, test } from './fixtures/page';

interface ManifestFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}
const manifest = JSON.parse(readFileSync(new URL('../src/model-manifest.json', import.meta.url), 'utf8')) as {
  tasks: Record<string, { files: ManifestFile[] }>;
}; // the committed model manifest
const manifestFiles = Object.values(manifest.tasks).flatMap((task) => task.files);
function file(path: string): ManifestFile {
  const found = manifestFiles.find((f) => f.path === path);
  if (found === undefined) throw new Error(`${path} is not in src/model-manifest.json`);
  return found;
}
const vad = file('silero_vad_v5.onnx');
const rec = file('ocr/ch_PP-OCRv4_rec_infer.onnx');
const useFiles = manifestFiles.filter((f) => f.path.startsWith('use-lite/fp32/'));

/** Count network requests (pages and their workers) whose URL contains `part`. */
function countRequests(target: Page | BrowserContext, part: string): { readonly count: number } {
  const counter = { count: 0 };
  target.on('request', (request) => {
    if (request.url().includes(part)) counter.count += 1;
  });
  return counter;
}

async function openHarness(page: Page): Promise<void> {
  page.on('pageerror', (error) => console.error('[pageerror]', error.message));
  await page.goto('/e2e/harness.html');
  await expect(page.locator('#status')).toHaveText('ready');
}

/** Load Silero VAD from its URL in a fresh runtime and run one fixed frame; returns the speech probability. */
async function vadOnce(page: Page, options: { sha256?: string } = {}): Promise<number> {
  return page.evaluate(async ({ sha256 }) => {
    const { createRuntime, tensor } = window.inpage;
    const runtime = createRuntime();
    const model = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm', ...(sha256 === undefined ? {} : { sha256 }) });
    const frame = Float32Array.from({ length: 576 }, (_, i) => 0.3 * Math.sin(i / 3) + 0.1 * Math.sin(i / 17));
    const out = await model.run({
      input: tensor('float32', [1, 576], frame),
      state: tensor('float32', [2, 1, 128], new Float32Array(256)),
      sr: tensor('int64', [], BigInt64Array.of(16000n)),
    });
    await runtime.dispose();
    return out.output?.data[0] as number; // Silero's output is float32
  }, options);
}

test('a second load of the sentence encoder is served from IndexedDB, with the same embeddings', async ({ harness }) => {
  const requests = countRequests(harness, '/models/use-lite/fp32/');
  const embedTwice = () =>
    harness.evaluate(async () => {
      const { createRuntime } = window.inpage;
      const runtime = createRuntime({ cache: { embeddings: false } });
      const encoder = await runtime.embeddings({ backend: 'wasm' });
      const vectors = await encoder.embed(['How old are you?', 'The weather is lovely today.']);
      await new Promise((resolve) => setTimeout(resolve, 200)); // cache events cross from the worker
      const weights = runtime.metrics.snapshot().caches.find((c) => c.name === 'weights');
      await runtime.dispose();
      return { vectors: vectors.map((v) => [...v]), weights };
    });
  const first = await embedTwice();
  const downloaded = requests.count;
  expect(downloaded).toBe(useFiles.length); // model.json + 7 shards
  expect(first.weights).toMatchObject({ misses: useFiles.length, stores: useFiles.length, hits: 0 });
  const second = await embedTwice();
  expect(requests.count).toBe(downloaded);
  expect(second.weights).toMatchObject({ hits: useFiles.length, misses: 0, hitsByTier: { indexeddb: useFiles.length } });
  expect(second.vectors).toEqual(first.vectors);
});

test('a corrupted stored entry is detected, dropped and re-fetched; the model still answers correctly', async ({ harness }) => {
  const requests = countRequests(harness, '/models/silero_vad_v5.onnx');
  const reference = await vadOnce(harness);
  expect(requests.count).toBe(1);
  // Overwrite the stored part with as many random bytes (a size check alone cannot see it).
  await harness.evaluate(async (url) => {
    const request = <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(new Error(String(r.error)));
      });
    const db = await request(indexedDB.open('inpage-weights'));
    const meta = (await request(db.transaction('entries').objectStore('entries').get(`m:${url}`))) as { partBytes: number[] } | undefined;
    if (meta === undefined) throw new Error('the model was not stored');
    const junk = new Uint8Array(meta.partBytes[0] ?? 0);
    for (let i = 0; i < junk.length; i += 65536) crypto.getRandomValues(junk.subarray(i, i + 65536));
    const tx = db.transaction('entries', 'readwrite');
    tx.objectStore('entries').put(new Blob([junk]), `d:${url}:0`);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(new Error(String(tx.error)));
    });
    db.close();
  }, new URL('/models/silero_vad_v5.onnx', harness.url()).href);
  const events = await harness.evaluate(async () => {
    const { createRuntime } = window.inpage;
    const runtime = createRuntime();
    await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const weights = runtime.metrics.snapshot().caches.find((c) => c.name === 'weights');
    const entries = await runtime.cache.entries('weights');
    await runtime.dispose();
    return { weights, entries };
  });
  expect(events.weights).toMatchObject({ integrityFailures: 1, hits: 0, misses: 1, stores: 1 });
  expect(events.entries.map((e) => e.bytes)).toEqual([vad.bytes]);
  expect(requests.count).toBe(2);
  // And the re-fetched copy is good: a third load hits and gives the reference answer.
  expect(await vadOnce(harness)).toBe(reference);
  expect(requests.count).toBe(2);
});

test('an expected SHA-256 that does not match rejects with INTEGRITY_ERROR, stores nothing, and the worker loads other models', async ({ harness }) => {
  const result = await harness.evaluate(
    async ({ wrong, right }) => {
      const { createRuntime } = window.inpage;
      const runtime = createRuntime();
      const error = await window.harness.caught(runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm', sha256: wrong }));
      const afterError = await runtime.cache.entries('weights');
      const other = await runtime.load({ format: 'onnx', source: '/models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx', backend: 'wasm' });
      const good = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm', sha256: right });
      const stored = await runtime.cache.entries('weights');
      await runtime.dispose();
      return { error, afterError, loaded: [other.id, good.id], stored: stored.map((e) => e.model).sort() };
    },
    { wrong: '0'.repeat(64), right: vad.sha256 },
  );
  expect(result.error).toMatchObject({
    code: 'INTEGRITY_ERROR',
    name: 'IntegrityError',
    isOwnClass: true,
    isInpageError: true,
    expected: '0'.repeat(64),
    got: vad.sha256,
  });
  expect(result.afterError).toEqual([]);
  expect(result.loaded).toEqual(['ch_ppocr_mobile_v2.0_cls_infer', 'silero_vad_v5']);
  expect(result.stored).toEqual(['ch_ppocr_mobile_v2.0_cls_infer', 'silero_vad_v5']);
});

test('two tabs loading the same model at once download it once', async ({ context }) => {
  const requests = countRequests(context, '/models/ocr/ch_PP-OCRv4_rec_infer.onnx');
  const pages = [await context.newPage(), await context.newPage()];
  await Promise.all(pages.map(openHarness));
  const outcomes = await Promise.all(
    pages.map((page) =>
      page.evaluate(async () => {
        const { createRuntime } = window.inpage;
        const runtime = createRuntime();
        const model = await runtime.load({ format: 'onnx', source: '/models/ocr/ch_PP-OCRv4_rec_infer.onnx', backend: 'wasm' });
        await new Promise((resolve) => setTimeout(resolve, 200));
        const weights = runtime.metrics.snapshot().caches.find((c) => c.name === 'weights');
        const outputs = model.outputs.map((o) => o.name);
        await runtime.dispose();
        return { outputs, hits: weights?.hits ?? 0, stores: weights?.stores ?? 0 };
      }),
    ),
  );
  expect(requests.count).toBe(1);
  expect(outcomes.map((o) => o.hits).sort()).toEqual([0, 1]);
  expect(outcomes.map((o) => o.stores).sort()).toEqual([0, 1]);
  expect(outcomes[0]?.outputs).toEqual(outcomes[1]?.outputs);
});

// Real quota pressure (CDP Storage.overrideQuotaForOrigin). Chromium 156 quirks found on the
// way: an override binds only if set before the origin first touches storage (and
// navigator.storage.estimate() never reflects it); the Blobs of a write that failed on quota
// stay counted until their keys are deleted (BlobStore now deletes them before retrying);
// space freed by evicting is sometimes not counted back for seconds (about 1 run in 5 here,
// even after 3.75 s of retries). So the test asserts the contract for both outcomes: the least
// recently used model is evicted and the write retried, and the new model either is stored
// or, if the browser still has no room, loads uncached with a warning — never an error.
test('quota for one model but not two: the least recently used model is evicted and the write retried', async ({ harness, context }) => {
  const det = file('ocr/ch_PP-OCRv4_det_infer.onnx');
  const cdp = await context.newCDPSession(harness);
  const origin = new URL(harness.url()).origin;
  const loadAndList = (url: string) =>
    harness.evaluate(async (url) => {
      const { createRuntime } = window.inpage;
      const runtime = createRuntime();
      const model = await runtime.load({ format: 'onnx', source: url, backend: 'wasm' });
      await new Promise((resolve) => setTimeout(resolve, 300)); // cache events cross from the worker
      const weights = runtime.metrics.snapshot().caches.find((c) => c.name === 'weights');
      const entries = (await runtime.cache.entries('weights')).map((e) => e.model);
      await runtime.dispose();
      return { weights, entries, inputs: model.inputs.map((i) => i.name) };
    }, url);
  // Quirk (Chromium): an override binds only if set before the origin first touches storage.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 12 * 1024 * 1024 });
  // The detector (4.5 MiB) fits 12 MiB; the recogniser (10.3 MiB) does not fit beside it.
  const first = await loadAndList('/models/ocr/ch_PP-OCRv4_det_infer.onnx');
  const second = await loadAndList('/models/ocr/ch_PP-OCRv4_rec_infer.onnx');
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  expect(first.entries).toEqual(['ch_PP-OCRv4_det_infer']);
  expect(second.inputs).toEqual(['x']); // loaded either way
  expect(second.weights).toMatchObject({ misses: 1, evictions: 1, bytesEvicted: det.bytes }); // the LRU model made room
  const stored = second.weights?.stores === 1;
  test.info().annotations.push({ type: 'retry after eviction', description: stored ? 'stored' : `no room yet: ${second.weights?.lastWarning ?? ''}` });
  if (stored) {
    expect(second.entries).toEqual(['ch_PP-OCRv4_rec_infer']);
    expect(second.weights).toMatchObject({ warnings: 0 });
  } else {
    expect(second.entries).toEqual([]);
    expect(second.weights).toMatchObject({ stores: 0, warnings: 1 });
    expect(second.weights?.lastWarning).toContain('no room');
  }
});

test('an LRU byte budget across models: loading past it evicts the least recently used model', async ({ harness }) => {
  const small = file('ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx');
  const det = file('ocr/ch_PP-OCRv4_det_infer.onnx');
  const result = await harness.evaluate(
    async ({ budgetBytes }) => {
      const { createRuntime } = window.inpage;
      const runtime = createRuntime({ cache: { weights: { budgetBytes } } });
      const load = async (source: string, id: string) => {
        const model = await runtime.load({ format: 'onnx', source, backend: 'wasm', id });
        await model.dispose();
        return (await runtime.cache.entries('weights')).map((e) => e.model);
      };
      const afterCls = await load('/models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx', 'cls');
      await new Promise((resolve) => setTimeout(resolve, 20)); // distinct last-use times
      const afterRec = await load('/models/ocr/ch_PP-OCRv4_rec_infer.onnx', 'rec');
      await new Promise((resolve) => setTimeout(resolve, 20));
      const afterClsAgain = await load('/models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx', 'cls'); // a hit: cls is now the most recent
      await new Promise((resolve) => setTimeout(resolve, 20));
      const afterDet = await load('/models/ocr/ch_PP-OCRv4_det_infer.onnx', 'det'); // no room for det beside both: rec (least recent) goes
      await new Promise((resolve) => setTimeout(resolve, 300)); // cache events cross from the worker
      const weights = runtime.metrics.snapshot().caches.find((c) => c.name === 'weights');
      await runtime.dispose();
      return { afterCls, afterRec, afterClsAgain, afterDet, weights };
    },
    { budgetBytes: rec.bytes + small.bytes + Math.floor(det.bytes / 2) },
  );
  expect(result.afterCls).toEqual(['cls']);
  expect(result.afterRec.sort()).toEqual(['cls', 'rec']);
  expect(result.afterClsAgain.sort()).toEqual(['cls', 'rec']);
  expect(result.afterDet.sort()).toEqual(['cls', 'det']);
  expect(result.weights).toMatchObject({ hits: 1, misses: 3, stores: 3, evictions: 1, bytesEvicted: rec.bytes, warnings: 0 });
});

test('quota smaller than the model: it loads uncached with a warning, never an error', async ({ harness, context }) => {
  const cdp = await context.newCDPSession(harness);
  const origin = new URL(harness.url()).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1024 * 1024 });
  const probability = await vadOnce(harness);
  const result = await harness.evaluate(async () => {
    const { createRuntime } = window.inpage;
    const runtime = createRuntime();
    await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const weights = runtime.metrics.snapshot().caches.find((c) => c.name === 'weights');
    const usage = await runtime.cache.usage();
    await runtime.dispose();
    return { weights, usage };
  });
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  expect(probability).toBeGreaterThanOrEqual(0);
  expect(result.weights).toMatchObject({ warnings: 1, stores: 0, misses: 1 });
  expect(result.weights?.lastWarning).toContain('no room');
  expect(result.usage.stores.weights).toEqual({ entries: 0, bytes: 0 });
});

test('runtime.cache reports usage, lists entries, deletes per model and clears', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime } = window.inpage;
    const runtime = createRuntime();
    await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm' });
    await runtime.load({ format: 'onnx', source: '/models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx', backend: 'wasm', id: 'orientation' });
    const usage = await runtime.cache.usage();
    const entries = await runtime.cache.entries();
    const deleted = await runtime.cache.deleteModel('silero_vad_v5');
    const afterDelete = await runtime.cache.entries('weights');
    const persisted = await runtime.cache.persist();
    await runtime.cache.clear('weights');
    const afterClear = await runtime.cache.usage();
    await runtime.dispose();
    return { usage, entries, deleted, afterDelete, persisted, afterClear };
  });
  expect(result.usage.stores.weights).toEqual({ entries: 2, bytes: vad.bytes + file('ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx').bytes });
  expect(Object.keys(result.usage.stores).sort()).toEqual(['embeddings', 'kv-prefix', 'results', 'weights']);
  expect(result.usage.estimate?.usage).toBeGreaterThan(0);
  expect(result.entries.map((e) => [e.store, e.model])).toEqual([
    ['weights', 'silero_vad_v5'],
    ['weights', 'orientation'],
  ]);
  for (const entry of result.entries) expect(entry.lastUsed).toBeGreaterThanOrEqual(entry.createdAt);
  expect(result.deleted).toBe(1);
  expect(result.afterDelete.map((e) => e.model)).toEqual(['orientation']);
  expect(typeof result.persisted).toBe('boolean');
  expect(result.afterClear.stores.weights).toEqual({ entries: 0, bytes: 0 });
});

test('load progress is monotone per file and overall, and reaches the total of every file', async ({ harness }) => {
  const updates = await harness.evaluate(async () => {
    const { createRuntime } = window.inpage;
    const runtime = createRuntime();
    const seen: LoadProgress[] = [];
    await runtime.load({ format: 'tfjs-graph', source: '/models/use-lite/fp32/model.json', backend: 'wasm', onProgress: (p) => seen.push(p) });
    // Progress crosses on its own channel: wait for the last file's last update.
    for (let i = 0; i < 50 && !(seen.at(-1)?.filesDone === 8); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    await runtime.dispose();
    return seen;
  });
  const total = useFiles.reduce((sum, f) => sum + f.bytes, 0);
  const overall = updates.map((u) => u.overallLoaded);
  expect(overall.every((v, i) => i === 0 || v >= (overall[i - 1] ?? 0))).toBe(true);
  for (const url of new Set(updates.map((u) => u.url))) {
    const loaded = updates.filter((u) => u.url === url).map((u) => u.loaded);
    expect(loaded.every((v, i) => i === 0 || v >= (loaded[i - 1] ?? 0))).toBe(true);
  }
  expect(updates.at(-1)).toMatchObject({ overallLoaded: total, overallTotal: total, files: useFiles.length, filesDone: useFiles.length });
  expect(
    updates
      .filter((u) => u.done)
      .map((u) => u.loaded)
      .sort((a, b) => a - b),
  ).toEqual(useFiles.map((f) => f.bytes).sort((a, b) => a - b));
});
