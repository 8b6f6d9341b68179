/**
 * Per task, on wasm and webgpu in headless Chromium: model load time, first-call and
 * warm latency (median and p95 of WARM_RUNS calls), and for generation time to first
 * token and tokens/s for a 128-token prompt.
 *
 *   npx playwright test -c bench/playwright.config.ts tasks     (writes bench/results/tasks.{json,md})
 *
 * Absolute times on SwiftShader WebGPU are CPU-emulated; compare within one run.
 */
import { chromium, test } from '@playwright/test';
import { machineFacts, median, quantile, writeReport, type Row } from './support';

const warmRuns = Number(process.env.WARM_RUNS ?? 20);
// On SwiftShader WebGPU one OCR read takes ~45 s and a decoder step ~2 s: SLOW_RUNS caps
// the warm runs of OCR, embeddings and generation there (reported in the table).
const slowRuns = Number(process.env.SLOW_RUNS ?? warmRuns);
const backends = (process.env.BENCH_BACKENDS ?? 'wasm,webgpu').split(',').filter((b): b is 'wasm' | 'webgpu' => b === 'wasm' || b === 'webgpu');

test('task latency per backend', async ({ page }) => {
  await page.goto('/e2e/harness.html');
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  const rows: Row[] = [];
  for (const backend of backends) {
    const measured = await page.evaluate(
      async ({ backend, warmRuns, slowRuns }) => {
        const { createRuntime } = window.inpage;
        const results: { task: string; loadMs: number; firstMs: number; warm: number[]; extra?: Record<string, number> }[] = [];
        const time = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
          const start = performance.now();
          const value = await fn();
          return [performance.now() - start, value];
        };
        const measure = async (task: string, load: () => Promise<() => Promise<unknown>>, slow = false) => {
          const [loadMs, call] = await time(load);
          const [firstMs] = await time(call);
          const warm: number[] = [];
          const runs = slow && backend === 'webgpu' ? slowRuns : warmRuns;
          for (let i = 0; i < runs; i += 1) warm.push((await time(call))[0]);
          results.push({ task, loadMs, firstMs, warm });
        };
        const runtime = createRuntime();
        const photo = await (await fetch('/samples/astronaut.jpg')).blob();
        await measure('pose (MoveNet, 512×512 photo)', async () => {
          const pose = await runtime.pose({ backend });
          return () => pose.detect(photo);
        });
        await measure('vad (one 32 ms frame, streaming)', async () => {
          const vad = await runtime.vad({ backend });
          const stream = vad.stream();
          const frame = new Float32Array(512);
          return () => stream.push(frame);
        });
        const canvas = new OffscreenCanvas(640, 200);
        const context = canvas.getContext('2d');
        if (context === null) throw new Error('no 2d context');
        context.fillStyle = '#fff';
        context.fillRect(0, 0, 640, 200);
        context.fillStyle = '#000';
        context.font = '36px sans-serif';
        ['The quick brown fox', 'jumps over the lazy dog', 'Inference in the page'].forEach((line, i) => context.fillText(line, 20, 50 + i * 55));
        const text = await canvas.convertToBlob({ type: 'image/png' });
        await measure(
          'ocr (3 lines, 640×200)',
          async () => {
            const ocr = await runtime.ocr({ backend });
            return () => ocr.read(text);
          },
          true,
        );
        for (const variant of ['fp32', 'uint8'] as const) {
          await measure(
            `embed (${variant}, batch of 8 sentences)`,
            async () => {
              const embeddings = await runtime.embeddings({ backend, variant, cache: false });
              const sentences = Array.from({ length: 8 }, (_, i) => `Sentence number ${i} about running models inside the page.`);
              return () => embeddings.embed(sentences);
            },
            true,
          );
        }
        const generator = await runtime.textGeneration({ backend });
        const prompt = Array.from({ length: 128 }, (_, i) => ['the', 'page', 'runs', 'models'][i % 4]).join(' ');
        const ttft: number[] = [];
        const tokensPerSecond: number[] = [];
        const generationRuns = backend === 'webgpu' ? Math.min(slowRuns, 3) : Math.max(3, Math.round(warmRuns / 4));
        for (let i = 0; i < generationRuns; i += 1) {
          const run = generator.generate(prompt, { maxNewTokens: 32, temperature: 0 });
          for await (const piece of run) void piece;
          const stats = await run.stats;
          ttft.push(stats.timeToFirstTokenMs);
          tokensPerSecond.push(stats.tokensPerSecond);
        }
        const promptTokens = (await generator.generate(prompt, { maxNewTokens: 1 }).stats).promptTokens;
        await runtime.dispose();
        return { results, generation: { ttft, tokensPerSecond, promptTokens, runs: generationRuns } };
      },
      { backend, warmRuns, slowRuns },
    );
    for (const r of measured.results) {
      rows.push({
        backend,
        task: r.task,
        'load ms': r.loadMs,
        'first call ms': r.firstMs,
        'warm median ms': median(r.warm),
        'warm p95 ms': quantile(r.warm, 0.95),
        'warm runs': r.warm.length,
      });
    }
    const { generation } = measured;
    rows.push({
      backend,
      task: `generate (${generation.promptTokens}-token prompt, 32 new, greedy, ${generation.runs} runs)`,
      'time to first token ms (median)': median(generation.ttft),
      'tokens/s (median)': median(generation.tokensPerSecond),
    });
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const version = browser.version();
  await browser.close();
  const machine = await machineFacts(page);
  writeReport({
    name: 'tasks',
    title: 'Task latency (load, first call, warm)',
    environment: {
      browser: `Chromium ${version}`,
      backends: backends.join(', '),
      webgpu: machine.webgpu,
      cores: machine.cores,
      command: 'npx playwright test -c bench/playwright.config.ts tasks',
    },
    rows,
  });
});
