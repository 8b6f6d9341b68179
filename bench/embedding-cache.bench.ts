/**
 * Embedding cache: latency of a hit (memory tier; IndexedDB tier in a fresh runtime) vs
 * computing the same single text with the model, side by side in one run (wasm).
 * Goal: hit median under 1 ms.
 *
 *   npx playwright test -c bench/playwright.config.ts embedding-cache   (writes bench/results/embedding-cache.{json,md})
 */
import { chromium, test } from '@playwright/test';
import { machineFacts, writeReport, type Row } from './support';

test('embedding cache: hit vs compute', async ({ page }) => {
  await page.goto('/e2e/harness.html');
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  const measured = await page.evaluate(async () => {
    const { createRuntime } = window.inpage;
    const q = window.inpageLoad.quantile;
    const texts = Array.from({ length: 50 }, (_, i) => `Cached sentence number ${i} about ${['weather', 'travel', 'cooking', 'music'][i % 4]}.`);
    const time = async (fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    const runtime = createRuntime();
    const cached = await runtime.embeddings({ backend: 'wasm', name: 'cached' });
    const uncached = await runtime.embeddings({ backend: 'wasm', name: 'uncached', cache: false });
    await cached.embed(texts.slice(0, 8));
    await uncached.embed(texts.slice(0, 8));
    const compute: number[] = [];
    const firstSeen: number[] = [];
    const memoryHit: number[] = [];
    for (const text of texts) {
      compute.push(await time(() => uncached.embed(text)));
      firstSeen.push(await time(() => cached.embed(text))); // a miss: computes, then caches
      memoryHit.push(await time(() => cached.embed(text)));
    }
    await cached.cache?.settled();
    await runtime.dispose();
    // A fresh runtime: the memory tier is empty, IndexedDB answers (then memory again).
    const fresh = createRuntime();
    const reopened = await fresh.embeddings({ backend: 'wasm', name: 'reopened' });
    const indexedDbHit: number[] = [];
    for (const text of texts) indexedDbHit.push(await time(() => reopened.embed(text)));
    const tiers = fresh.metrics.snapshot().caches.find((c) => c.name === 'embeddings')?.hitsByTier ?? {};
    await fresh.dispose();
    const row = (v: number[]) => ({ p50: q(v, 0.5), p95: q(v, 0.95) });
    return { compute: row(compute), miss: row(firstSeen), memory: row(memoryHit), indexedDb: row(indexedDbHit), tiers };
  });
  const rows: Row[] = [
    { path: 'compute (cache off)', 'median ms': measured.compute.p50, 'p95 ms': measured.compute.p95, 'speedup ×': 1 },
    { path: 'miss (compute + cache)', 'median ms': measured.miss.p50, 'p95 ms': measured.miss.p95, 'speedup ×': measured.compute.p50 / measured.miss.p50 },
    { path: 'hit, memory', 'median ms': measured.memory.p50, 'p95 ms': measured.memory.p95, 'speedup ×': measured.compute.p50 / measured.memory.p50 },
    {
      path: 'hit, IndexedDB (fresh runtime)',
      'median ms': measured.indexedDb.p50,
      'p95 ms': measured.indexedDb.p95,
      'speedup ×': measured.compute.p50 / measured.indexedDb.p50,
    },
  ];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const version = browser.version();
  await browser.close();
  const machine = await machineFacts(page);
  writeReport({
    name: 'embedding-cache',
    title: 'Embedding cache: hit vs compute (USE-lite fp32, one text per call, wasm)',
    environment: {
      browser: `Chromium ${version}`,
      backend: 'wasm',
      webgpu: machine.webgpu,
      cores: machine.cores,
      hitsByTier: JSON.stringify(measured.tiers),
      command: 'npx playwright test -c bench/playwright.config.ts embedding-cache',
    },
    rows,
  });
});

/**
 * How the store should hold a 2 KiB vector: as a Blob (a file of its own in Chromium) or
 * inline as an ArrayBuffer (what the BlobStore does below 64 KiB since issue 15's soak).
 * The same writes (BENCH_IDB_VECTORS, 3,000, in transactions of 20, each followed by a read
 * of a key that is not there, like a new text's lookup) and 500 reads back, alternating
 * forms, two rounds each, in one page.
 */
test('embedding store: vectors as Blobs vs inline', async ({ page }) => {
  await page.goto('/e2e/harness.html');
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  const count = Number(process.env.BENCH_IDB_VECTORS ?? 3000);
  const rounds = await page.evaluate(async (count) => {
    const done = (tx: IDBTransaction) =>
      new Promise<void>((resolve, reject) => ((tx.oncomplete = () => resolve()), (tx.onerror = () => reject(tx.error ?? new Error('transaction failed')))));
    const open = (name: string) =>
      new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name, 1);
        request.onupgradeneeded = () => request.result.createObjectStore('s');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error('open failed'));
      });
    const out: { form: 'Blob' | 'inline'; writeMs: number; missReadMs: number; readBackMs: number }[] = [];
    for (const form of ['Blob', 'inline', 'Blob', 'inline'] as const) {
      const name = `bench-idb-${form}-${out.length}`;
      const db = await open(name);
      let missReadMs = 0;
      const start = performance.now();
      for (let n = 0; n < count;) {
        const tx = db.transaction('s', 'readwrite');
        for (let i = 0; i < 20 && n < count; i++, n++) {
          const vector = new Float32Array(512).fill(n);
          tx.objectStore('s').put(form === 'Blob' ? new Blob([vector]) : vector.buffer, `d:${n}`);
          tx.objectStore('s').put({ id: n, bytes: vector.byteLength }, `m:${n}`);
        }
        await done(tx);
        const readStart = performance.now();
        const read = db.transaction('s', 'readonly');
        read.objectStore('s').get(`m:absent-${n}`);
        await done(read);
        missReadMs += performance.now() - readStart;
      }
      const writeMs = performance.now() - start;
      const readStart = performance.now();
      const read = db.transaction('s', 'readonly');
      const readDone = done(read); // listened for before the requests settle: it completes right after them
      const values: Promise<unknown>[] = [];
      for (let i = 0; i < 500; i++) {
        const request = read.objectStore('s').get(`d:${(i * 7) % count}`);
        values.push(
          new Promise((resolve) => (request.onsuccess = () => resolve(request.result instanceof Blob ? request.result.arrayBuffer() : request.result))),
        );
      }
      await Promise.all(values);
      await readDone;
      const readBackMs = performance.now() - readStart;
      db.close();
      await new Promise((resolve) => (indexedDB.deleteDatabase(name).onsuccess = resolve));
      out.push({ form, writeMs, missReadMs, readBackMs });
    }
    return out;
  }, count);
  const mean = (form: 'Blob' | 'inline', key: 'writeMs' | 'missReadMs' | 'readBackMs') => {
    const values = rounds.filter((r) => r.form === form).map((r) => r[key]);
    return values.reduce((a, b) => a + b, 0) / values.length;
  };
  const rows: Row[] = (['Blob', 'inline'] as const).map((form) => ({
    form,
    [`write ${count} vectors ms`]: mean(form, 'writeMs'),
    'misses read between writes ms': mean(form, 'missReadMs'),
    'read back 500 ms': mean(form, 'readBackMs'),
    'write × inline': mean(form, 'writeMs') / mean('inline', 'writeMs'),
    'read back × inline': mean(form, 'readBackMs') / mean('inline', 'readBackMs'),
  }));
  const machine = await machineFacts(page);
  writeReport({
    name: 'embedding-store',
    title: `Embedding store: ${count} vectors of 2 KiB as Blobs vs inline ArrayBuffers (IndexedDB, mean of 2 rounds each)`,
    environment: {
      browser: `Chromium ${page.context().browser()?.version() ?? 'unknown'}`,
      webgpu: machine.webgpu,
      cores: machine.cores,
      command: 'npx playwright test -c bench/playwright.config.ts embedding-cache -g "Blobs vs inline"',
    },
    rows,
  });
});
