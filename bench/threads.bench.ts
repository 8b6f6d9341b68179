/**
 * WASM threads for ONNX Runtime: the same models at 1, 2, 4 and 8 threads per worker
 * (up to the core count), side by side in one run, to set `ortNumThreads`'s default
 * (`workers/wasm-threads.ts`). Needs a cross-origin-isolated page (the bench server sends
 * COOP/COEP); each thread count gets a runtime of its own (its own worker and thread pool),
 * and the counts take turns round by round so drift hits them alike.
 * - Silero VAD: one frame (batch 1), and 32 frames (a batch of streams);
 * - PP-OCR direction classifier: 8 crops [8, 3, 48, 192];
 * - PP-OCR detector: one 640×640 page, the heaviest call here.
 *
 *   npx playwright test -c bench/playwright.config.ts threads   (writes bench/results/threads.{json,md})
 */
import { test } from '@playwright/test';
import { machineFacts, median, writeReport, type Row } from './support';

const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const callsPerRound = Number(process.env.WARM_RUNS ?? 10);

test('WASM threads per ONNX Runtime worker', async ({ page }) => {
  test.setTimeout(20 * 60_000);
  await page.goto('/e2e/harness.html');
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  const machine = await machineFacts(page);
  const counts = [1, 2, 4, 8].filter((n) => n === 1 || n <= machine.cores);
  const measured = await page.evaluate(
    async ({ counts, rounds, callsPerRound }) => {
      const { createRuntime, tensor } = window.inpage;
      const filled = (n: number) => new Float32Array(n).map((_, i) => Math.sin(i / 9) * 0.5);
      const cases = [
        {
          name: 'vad, batch 1',
          source: '/models/silero_vad_v5.onnx',
          inputs: () => ({
            input: tensor('float32', [1, 576], filled(576)),
            state: tensor('float32', [2, 1, 128], new Float32Array(256)),
            sr: tensor('int64', [], BigInt64Array.of(16000n)),
          }),
        },
        {
          name: 'vad, batch 32',
          source: '/models/silero_vad_v5.onnx',
          inputs: () => ({
            input: tensor('float32', [32, 576], filled(32 * 576)),
            state: tensor('float32', [2, 32, 128], new Float32Array(2 * 32 * 128)),
            sr: tensor('int64', [], BigInt64Array.of(16000n)),
          }),
        },
        {
          name: 'ocr-cls, batch 8',
          source: '/models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx',
          inputs: () => ({ x: tensor('float32', [8, 3, 48, 192], filled(8 * 3 * 48 * 192)) }),
        },
        {
          name: 'ocr-det, 640×640',
          source: '/models/ocr/ch_PP-OCRv4_det_infer.onnx',
          inputs: () => ({ x: tensor('float32', [1, 3, 640, 640], filled(3 * 640 * 640)) }),
        },
      ];
      type Loaded = { runtime: ReturnType<typeof createRuntime>; threads: number; models: Awaited<ReturnType<ReturnType<typeof createRuntime>['load']>>[] };
      const setups: Loaded[] = [];
      for (const threads of counts) {
        const runtime = createRuntime({ ortNumThreads: threads });
        const models = [];
        for (const c of cases) models.push(await runtime.load({ format: 'onnx', source: c.source, backend: 'wasm', id: `${c.name} ×${threads}` }));
        const environment = await runtime.environment();
        if (environment.ortNumThreads !== threads) throw new Error(`asked for ${threads} threads, the worker reports ${environment.ortNumThreads}`);
        for (const [i, c] of cases.entries()) for (let k = 0; k < 3; k += 1) await models[i]?.run(c.inputs());
        setups.push({ runtime, threads, models });
      }
      const samples = new Map<string, number[]>();
      for (let round = 0; round < rounds; round += 1) {
        for (let s = 0; s < setups.length; s += 1) {
          const setup = setups[(s + round) % setups.length];
          if (setup === undefined) continue;
          for (const [i, c] of cases.entries()) {
            const key = `${c.name}|${setup.threads}`;
            const list = samples.get(key) ?? [];
            for (let k = 0; k < callsPerRound; k += 1) {
              const inputs = c.inputs();
              const start = performance.now();
              await setup.models[i]?.run(inputs);
              list.push(performance.now() - start);
            }
            samples.set(key, list);
          }
        }
      }
      for (const setup of setups) await setup.runtime.dispose();
      return { cases: cases.map((c) => c.name), samples: Object.fromEntries(samples) };
    },
    { counts, rounds, callsPerRound },
  );
  const rows: Row[] = [];
  for (const name of measured.cases) {
    const one = median(measured.samples[`${name}|1`] ?? []);
    for (const threads of counts) {
      const ms = median(measured.samples[`${name}|${threads}`] ?? []);
      rows.push({ model: name, threads, 'median ms': ms, '× 1 thread': one / ms, calls: (measured.samples[`${name}|${threads}`] ?? []).length });
    }
  }
  writeReport({
    name: 'threads',
    title: 'WASM threads per ONNX Runtime worker',
    environment: {
      browser: `Chromium ${page.context().browser()?.version() ?? 'unknown'}`,
      webgpu: machine.webgpu,
      cores: machine.cores,
      rounds,
      callsPerRound,
      command: 'npx playwright test -c bench/playwright.config.ts threads',
    },
    rows,
    notes: [
      'One call at a time through `model.run` (a plain `runtime.load` model, no batching), so the time is the worker round trip plus the engine call. ' +
        '`× 1 thread` = the 1-thread median ÷ this median (above 1: threads help).',
      'The default (`workers/wasm-threads.ts`): 1 thread on 2 cores or fewer, else half the cores, at most 8.',
    ],
  });
});
