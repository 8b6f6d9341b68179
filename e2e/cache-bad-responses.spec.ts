/**
 * The weights cache never stores a bad response (issue 11). A single-page app's server
 * answers a missing model with its index.html (HTTP 200, text/html); stored as the model,
 * that page broke every later load in the same browser profile. Here `page.route` plays
 * that server for an ONNX model (Silero VAD) and a TF.js model.json (MoveNet pose): the load
 * rejects with a typed MODEL_LOAD_FAILED that names the URL and what came back, IndexedDB
 * holds nothing for the URL, and once the real file is served again the same page loads
 * the model. An HTML entry an older version stored is dropped on read and fetched again.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/page';

const spaPage = '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>My app</title></head><body><div id="root"></div></body></html>\n';
const spaHint =
  "a single-page-app fallback answered for a missing file; serve the model files (inpage/vite plugin or `npx inpage assets`) or set `appType: 'mpa'` in Vite.";

/** Answer every request for `path` (from the page and its workers) as an SPA would a missing file. */
async function serveSpaFallback(page: Page, path: string): Promise<() => Promise<void>> {
  const pattern = `**${path}`;
  await page.route(pattern, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: spaPage }));
  return () => page.unroute(pattern);
}

/**
 * Keys of the weights database that mention `url`: metadata `m:<url>`, parts `d:<url>:<n>`,
 * and its place in the LRU order, `l:<lastUsed>:<url>`, shown as `l:<url>`.
 */
function storedKeys(page: Page, url: string): Promise<string[]> {
  return page.evaluate(async (url) => {
    // Opening a database that does not exist would create it without its store: look first.
    if (!(await indexedDB.databases()).some((d) => d.name === 'inpage-weights')) return [];
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('inpage-weights');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(new Error(String(open.error)));
    });
    try {
      if (!db.objectStoreNames.contains('entries')) return [];
      const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
        const request = db.transaction('entries').objectStore('entries').getAllKeys();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(new Error(String(request.error)));
      });
      return keys
        .map(String)
        .filter((key) => key.includes(url))
        .map((key) => key.replace(/^l:\d+:/, 'l:'));
    } finally {
      db.close();
    }
  }, url);
}

/** Load Silero VAD by URL in a fresh runtime (`weights: false`: the engine's own fetch) and score one frame; or how it failed. */
function loadVad(page: Page, weightsCache = true) {
  return page.evaluate(async (weightsCache) => {
    const { createRuntime, tensor } = window.inpage;
    const runtime = createRuntime(weightsCache ? {} : { cache: { weights: false } });
    let probability: number | undefined;
    const error = await window.harness.caught(
      (async () => {
        const model = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm' });
        const out = await model.run({
          input: tensor('float32', [1, 576], new Float32Array(576)),
          state: tensor('float32', [2, 1, 128], new Float32Array(256)),
          sr: tensor('int64', [], BigInt64Array.of(16000n)),
        });
        const data = out.output?.data;
        probability = data instanceof Float32Array ? data[0] : undefined;
      })(),
    );
    await runtime.dispose();
    return { error, probability };
  }, weightsCache);
}

test('an ONNX model answered with a 200 text/html page is refused, nothing is stored, and the real file loads afterwards', async ({ harness }) => {
  const url = new URL('/models/silero_vad_v5.onnx', harness.url()).href;
  const unroute = await serveSpaFallback(harness, '/models/silero_vad_v5.onnx');
  const refused = await loadVad(harness);
  const refusedUncached = await loadVad(harness, false); // the engine's own fetch, with the weights store off
  expect(await storedKeys(harness, url)).toEqual([]);
  for (const { error } of [refused, refusedUncached]) {
    expect(error).toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      name: 'ModelLoadError',
      isOwnClass: true,
      isInpageError: true,
      model: 'silero_vad_v5',
      got: 'text/html',
      expected: 'an ONNX model',
    });
    expect(error?.message).toBe(`Model "silero_vad_v5": ${url} answered 200 with text/html, not an ONNX model — ${spaHint}`);
  }

  await unroute();
  const loaded = await loadVad(harness);
  expect(loaded.error).toBeNull();
  expect(loaded.probability).toBeGreaterThanOrEqual(0);
  expect(await storedKeys(harness, url)).toEqual([`d:${url}:0`, `l:${url}`, `m:${url}`]);
});

test('a TF.js model.json answered with a 200 text/html page is refused, nothing is stored, and the pose task loads afterwards', async ({ harness }) => {
  const url = new URL('/models/movenet-lightning/movenet-lightning.json', harness.url()).href;
  const unroute = await serveSpaFallback(harness, '/models/movenet-lightning/movenet-lightning.json');
  const detect = () =>
    harness.evaluate(async () => {
      const runtime = window.inpage.createRuntime();
      let nose: { x: number; y: number } | undefined;
      const error = await window.harness.caught(
        (async () => {
          const pose = await runtime.pose({ backend: 'wasm' });
          const { keypoints } = await pose.detect('/samples/astronaut.jpg');
          nose = keypoints[0];
        })(),
      );
      await runtime.dispose();
      return { error, nose };
    });
  const refused = await detect();
  expect(refused.error).toMatchObject({
    code: 'MODEL_LOAD_FAILED',
    name: 'ModelLoadError',
    isOwnClass: true,
    got: 'text/html',
    expected: 'a TF.js graph model.json',
  });
  expect(refused.error?.message).toMatch(
    new RegExp(`^Model "pose-\\d+/movenet": ${url.replace(/[.]/g, '\\.')} answered 200 with text/html, not a TF\\.js graph model\\.json — `),
  );
  expect(refused.error?.message).toContain(spaHint);
  expect(await storedKeys(harness, '/models/movenet-lightning/')).toEqual([]);

  await unroute();
  const loaded = await detect();
  expect(loaded.error).toBeNull();
  // The astronaut's nose is near (222, 121) in the 512×512 photo.
  expect(Math.abs((loaded.nose?.x ?? 0) - 222)).toBeLessThan(20);
  expect(Math.abs((loaded.nose?.y ?? 0) - 121)).toBeLessThan(20);
  expect(await storedKeys(harness, url)).toEqual([`d:${url}:0`, `l:${url}`, `m:${url}`]);
});

test('an HTML page an older version stored as model.json is dropped on read (an integrity failure) and the real file fetched', async ({ harness }) => {
  const url = new URL('/models/movenet-lightning/movenet-lightning.json', harness.url()).href;
  // What an older inpage stored from an SPA fallback: the page, with its own (matching) SHA-256.
  await harness.evaluate(
    async ({ url, html }) => {
      const bytes = new TextEncoder().encode(html);
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      const sha256 = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('inpage-weights');
        open.onupgradeneeded = () => open.result.createObjectStore('entries'); // as idb-keyval creates it
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(new Error(String(open.error)));
      });
      const tx = db.transaction('entries', 'readwrite');
      const now = Date.now();
      tx.objectStore('entries').put(new Blob([bytes]), `d:${url}:0`);
      tx.objectStore('entries').put(
        { id: url, model: 'movenet-lightning', bytes: bytes.byteLength, partBytes: [bytes.byteLength], createdAt: now, lastUsed: now, extra: { url, sha256 } },
        `m:${url}`,
      );
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(new Error(String(tx.error)));
      });
      db.close();
    },
    { url, html: spaPage },
  );
  const result = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const pose = await runtime.pose({ backend: 'wasm' });
    const { keypoints } = await pose.detect('/samples/astronaut.jpg');
    await new Promise((resolve) => setTimeout(resolve, 200)); // cache events cross from the worker
    const weights = runtime.metrics.snapshot().caches.find((c) => c.name === 'weights');
    await runtime.dispose();
    return { keypoints: keypoints.length, weights };
  });
  expect(result.keypoints).toBe(17);
  expect(result.weights).toMatchObject({ integrityFailures: 1, hits: 0 });
  expect(result.weights?.stores).toBeGreaterThanOrEqual(2); // model.json and its shard, stored anew
  expect(await storedKeys(harness, url)).toEqual([`d:${url}:0`, `l:${url}`, `m:${url}`]);
});

test("a task's auxiliary file (the USE-lite vocabulary) answered with text/html is refused with the same kind of message", async ({ harness }) => {
  const url = new URL('/models/use-lite/vocab.json', harness.url()).href;
  const unroute = await serveSpaFallback(harness, '/models/use-lite/vocab.json');
  const embed = () =>
    harness.evaluate(async () => {
      const runtime = window.inpage.createRuntime({ cache: { embeddings: false } });
      let dimensions: number | undefined;
      const error = await window.harness.caught(
        (async () => {
          const encoder = await runtime.embeddings({ backend: 'wasm' });
          dimensions = (await encoder.embed('Hello world.'))[0]?.length;
        })(),
      );
      await runtime.dispose();
      return { error, dimensions };
    });
  const refused = await embed();
  expect(refused.error).toMatchObject({ code: 'MODEL_LOAD_FAILED', isOwnClass: true, input: 'vocabUrl', got: 'text/html', expected: 'JSON' });
  expect(refused.error?.message).toMatch(
    new RegExp(`^Model "embed-\\d+": the USE-lite vocabulary at ${url.replace(/[.]/g, '\\.')} answered 200 with text/html, not JSON — `),
  );
  await unroute();
  expect(await embed()).toEqual({ error: null, dimensions: 512 });
});
