/**
 * Cache benchmarks, measured side by side in one run (wasm).
 * - model load: the sentence encoder (USE-lite, TF.js graph, 8 files, 28 MB) and the OCR
 *   recogniser (ONNX, 10.8 MB) loaded from the network (local server, weights cache off,
 *   HTTP cache bypassed), from a warm IndexedDB (with and without SHA-256 verification on
 *   read), and from bytes already in memory (the floor). Goal: warm ≤ 1.3× the floor.
 *
 *   PW_PORT=4191 npx playwright test -c bench/playwright.config.ts cache   (writes bench/results/cache.{json,md})
 */
import { test, type Page } from '@playwright/test';
import { machineFacts, median, writeReport, type Row } from './support';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

/** The models of the model-load section. */
const models = [
  { name: 'USE-lite (TF.js, 8 files)', format: 'tfjs-graph', url: '/models/use-lite/fp32/model.json' },
  { name: 'PP-OCRv4 rec (ONNX)', format: 'onnx', url: '/models/ocr/ch_PP-OCRv4_rec_infer.onnx' },
] as const;

/** Load times (ms) per model and mode, measured in the page; rounds interleave the modes. */
export async function measureModelLoad(page: Page, roundCount = rounds): Promise<Row[]> {
  const rows: Row[] = [];
  for (const model of models) {
    const times = await page.evaluate(
      async ({ model, roundCount }) => {
        const { createRuntime } = window.inpage;
        type Descriptor = Parameters<ReturnType<typeof createRuntime>['load']>[0];
        // The floor: every byte already in this page's memory.
        let memorySource: Descriptor['source'];
        if (model.format === 'onnx') memorySource = await (await fetch(model.url)).arrayBuffer();
        else {
          const modelJson = (await (await fetch(model.url)).json()) as { weightsManifest: { paths: string[]; weights: unknown[] }[]; modelTopology: unknown }; // a TF.js model.json
          const shards = await Promise.all(
            modelJson.weightsManifest.flatMap((g) => g.paths).map(async (p) => (await fetch(new URL(p, new URL(model.url, location.href)))).arrayBuffer()),
          );
          const weights = new Uint8Array(shards.reduce((s, b) => s + b.byteLength, 0));
          let offset = 0;
          for (const shard of shards) {
            weights.set(new Uint8Array(shard), offset);
            offset += shard.byteLength;
          }
          memorySource = { modelJson, weights: weights.buffer };
        }
        const modes = {
          network: { runtime: createRuntime({ cache: { weights: false } }), source: (round: number) => `${model.url}?bench=${round}` },
          'indexeddb (verify)': { runtime: createRuntime({ cache: { weights: { verifyOnRead: true } } }), source: () => model.url },
          'indexeddb (no verify)': { runtime: createRuntime({ cache: { weights: { verifyOnRead: false } } }), source: () => model.url },
          memory: { runtime: createRuntime({ cache: { weights: false } }), source: () => memorySource },
        } as const;
        const times: Record<string, number[]> = {};
        const load = async (mode: keyof typeof modes, round: number) => {
          const { runtime, source } = modes[mode];
          const started = performance.now();
          const loaded = await runtime.load({ format: model.format, source: source(round), backend: 'wasm' });
          const ms = performance.now() - started;
          await loaded.dispose();
          return ms;
        };
        // Warm every worker's engine once (and fill IndexedDB for the cached modes).
        for (const mode of Object.keys(modes) as (keyof typeof modes)[]) await load(mode, -1);
        for (let round = 0; round < roundCount; round += 1)
          for (const mode of Object.keys(modes) as (keyof typeof modes)[]) (times[mode] ??= []).push(await load(mode, round));
        await Promise.all(Object.values(modes).map(({ runtime }) => runtime.cache.clear('weights').then(() => runtime.dispose())));
        return times;
      },
      { model, roundCount },
    );
    const floor = median(times.memory ?? []);
    for (const [mode, samples] of Object.entries(times))
      rows.push({ model: model.name, mode, 'median ms': median(samples), 'min ms': Math.min(...samples), '× memory': median(samples) / floor });
    const verify = median(times['indexeddb (verify)'] ?? []) - median(times['indexeddb (no verify)'] ?? []);
    rows.push({ model: model.name, mode: 'SHA-256 verify on read (difference)', 'median ms': verify, 'min ms': '', '× memory': '' });
  }
  return rows;
}

test('model load', async ({ page }) => {
  await page.goto('/e2e/harness.html');
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  const rows = await measureModelLoad(page);
  const machine = await machineFacts(page);
  writeReport({
    name: 'cache',
    title: 'Model load: network vs warm IndexedDB vs in memory (wasm)',
    environment: {
      browser: `Chromium ${page.context().browser()?.version() ?? '?'}`,
      backend: 'wasm',
      webgpu: machine.webgpu,
      cores: machine.cores,
      rounds,
      command: 'npx playwright test -c bench/playwright.config.ts cache.bench',
    },
    rows,
    notes: [
      'Each load is `runtime.load()` to a ready session (engine already warm), disposed after; modes interleave per round.',
      'network: weights cache off, a fresh query string per round so the HTTP cache is bypassed (local server).',
      'memory: the model bytes (ONNX ArrayBuffer / TF.js artifacts) already in the page: the floor. Goal: warm IndexedDB ≤ 1.3× it.',
    ],
  });
});
