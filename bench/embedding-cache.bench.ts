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
    const q = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(p * values.length) - 1)] ?? Number.NaN;
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
