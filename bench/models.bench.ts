/**
 * Your own model through the scheduler: `runtime.load` with a model config, measured side
 * by side in one run (wasm; add webgpu with BENCH_BACKENDS=wasm,webgpu) for Silero VAD v5
 * and the PP-OCR direction classifier (an image model with a free batch dimension,
 * `x` [batch, 3, 48, 192]), each at 1, 8 and 32 concurrent closed-loop callers:
 * - batched: the config with `maxBatchSize: 32` (the modality's other defaults);
 * - maxBatchSize 1: the same config with `batching: { maxBatchSize: 1 }`;
 * - raw engine (ideal): one pre-stacked `[N, …]` request at a time to a plain `runtime.load`
 *   model (no batching config), N = the concurrency: what the batcher could reach.
 * The three modes take turns (a warm-up, then BENCH_ROUNDS rounds of BENCH_SECONDS each,
 * each round starting with the next mode), so drift and other load on the machine hit them
 * alike. All three run in one worker, a session each, so the ratios compare the scheduler,
 * not two workers. `of ideal` = req/s ÷ the raw engine's req/s at the same batch size; the
 * batch sizes and the timing columns (from `runDetailed`'s per-batch timings) say where a
 * gap goes.
 * BENCH_BATCHING='{"maxQueueDelayMs":0}' tries a policy variant on the batched models.
 * On SwiftShader WebGPU one call takes 0.4–16 s (a VAD frame … 32 OCR crops): there
 * BENCH_SECONDS=1 BENCH_ROUNDS=1 already takes ~8 minutes, and gives a few batches a point.
 *
 *   npx playwright test -c bench/playwright.config.ts models   (writes bench/results/models.{json,md})
 */
import { chromium, test } from '@playwright/test';
import { machineFacts, writeReport, type Row } from './support';

const backends = (process.env.BENCH_BACKENDS ?? 'wasm').split(',').filter((b): b is 'wasm' | 'webgpu' => b === 'wasm' || b === 'webgpu');
const seconds = Number(process.env.BENCH_SECONDS ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
/** Policy overrides for the batched models on top of `maxBatchSize: 32`, as JSON: to try a variant (`{"maxQueueDelayMs":0}`). */
const batchingOverrides = JSON.parse(process.env.BENCH_BATCHING?.trim() || '{}') as Record<string, number>;
const concurrencies = [1, 8, 32];

test('your own model through the scheduler: batched vs maxBatchSize 1 vs the raw engine', async ({ page }) => {
  await page.goto('/e2e/harness.html');
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  const machine = await machineFacts(page);
  const rows: Row[] = [];
  const policies: Record<string, string> = {};
  // Stacking writes every batch into a fresh buffer; what first touching fresh memory costs
  // here (a VM can make a page fault dear) sets part of `stack+split ms/call`.
  const firstTouchUsPerPage = await page.evaluate(() => {
    const times: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      const start = performance.now();
      const bytes = new Uint8Array(16 << 20);
      for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 1;
      times.push(((performance.now() - start) * 1000) / (bytes.length / 4096));
    }
    return times.sort((a, b) => a - b)[2] ?? Number.NaN;
  });
  for (const backend of backends) {
    const measured = await page.evaluate(
      async ({ backend, seconds, rounds, concurrencies, batchingOverrides }) => {
        const { createRuntime, tensor } = window.inpage;
        type Inputs = Parameters<Awaited<ReturnType<ReturnType<typeof createRuntime>['load']>>['run']>[0];
        type Timings = Awaited<ReturnType<Awaited<ReturnType<ReturnType<typeof createRuntime>['load']>>['runDetailed']>>['timings'];
        const { runLoad, closedPlan, quantile: q } = window.inpageLoad;

        // ── Inputs: real speech frames and real image crops, a fresh buffer per request (they are transferred) ──
        const { samples } = await window.harness.loadWav('/samples/speech-16k.wav');
        const frames = Array.from({ length: 64 }, (_, i) => samples.slice((i * 512) % (samples.length - 576), ((i * 512) % (samples.length - 576)) + 576));
        // Four 48×192 strips of a photo, normalised like PP-OCR's classifier input ((x/255 − 0.5) / 0.5, CHW).
        const { pixels } = await window.harness.imageToInt32Rgb('/samples/astronaut.jpg', 192);
        const crops = Array.from({ length: 4 }, (_, strip) => {
          const chw = new Float32Array(3 * 48 * 192);
          for (let y = 0; y < 48; y += 1)
            for (let x = 0; x < 192; x += 1)
              for (let c = 0; c < 3; c += 1) chw[c * 48 * 192 + y * 192 + x] = ((pixels[((strip * 48 + y) * 192 + x) * 3 + c] ?? 0) / 255 - 0.5) / 0.5;
          return chw;
        });
        const sr = () => tensor('int64', [], BigInt64Array.of(16000n));

        interface Subject {
          readonly model: string;
          readonly source: string;
          /** The scheduling config (batching aside) of the batched and maxBatchSize 1 models. */
          readonly config: Omit<Parameters<ReturnType<typeof createRuntime>['load']>[0], 'format' | 'source' | 'backend' | 'id' | 'batching'>;
          /** One caller's request `i`. */
          readonly request: (i: number) => Inputs;
          /** `n` requests pre-stacked into one. */
          readonly stacked: (n: number, i: number) => Inputs;
        }
        const subjects: Subject[] = [
          {
            model: 'silero-vad',
            source: '/models/silero_vad_v5.onnx',
            config: { modality: 'audio', batchAxes: { state: 1, stateN: 1 }, shapes: { input: ['batch', 576], state: [2, 'batch', 128] } },
            request: (i) => ({
              input: tensor('float32', [1, 576], (frames[i % frames.length] ?? new Float32Array(576)).slice()),
              state: tensor('float32', [2, 1, 128], new Float32Array(256)),
              sr: sr(),
            }),
            stacked: (n, i) => {
              const input = new Float32Array(n * 576);
              for (let k = 0; k < n; k += 1) input.set(frames[(i + k) % frames.length] ?? [], k * 576);
              return { input: tensor('float32', [n, 576], input), state: tensor('float32', [2, n, 128], new Float32Array(n * 256)), sr: sr() };
            },
          },
          {
            model: 'ocr-cls',
            source: '/models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx',
            config: { modality: 'image', shapes: { x: ['batch', 3, 48, 192] } },
            request: (i) => ({ x: tensor('float32', [1, 3, 48, 192], (crops[i % crops.length] ?? new Float32Array(3 * 48 * 192)).slice()) }),
            stacked: (n, i) => {
              const x = new Float32Array(n * 3 * 48 * 192);
              for (let k = 0; k < n; k += 1) x.set(crops[(i + k) % crops.length] ?? [], k * 3 * 48 * 192);
              return { x: tensor('float32', [n, 3, 48, 192], x) };
            },
          },
        ];

        interface Round {
          readonly latencies: number[];
          readonly elapsed: number;
          /** Each distinct batch's worker timings (the requests of one batch share one object). */
          readonly batches: Set<Timings>;
        }
        /** Closed loop (inpage/testing's driver): `callers` clients each send their next request when the last answers, for `duration` seconds. */
        const closedLoop = async (callers: number, duration: number, send: (client: number, i: number) => Promise<{ timings: Timings }>): Promise<Round> => {
          const batches = new Set<Timings>();
          const call = async (_: unknown, { client, i }: { client: number; i: number }) => {
            batches.add((await send(client, i)).timings);
          };
          const outcome = await runLoad(call, closedPlan(call, { clients: callers, durationMs: duration * 1000 }));
          if (outcome.failed > 0) throw new Error(`closed loop of ${callers}: ${outcome.failed} failed: ${outcome.errorMessages.join('; ')}`);
          return { latencies: outcome.samples, elapsed: outcome.elapsedMs / 1000, batches };
        };

        const modes = ['batched', 'maxBatchSize 1', 'raw engine (ideal)'] as const;
        const results: {
          model: string;
          concurrency: number;
          mode: (typeof modes)[number];
          throughput: number;
          p50: number;
          p95: number;
          meanBatch: number;
          batchSizes: string;
          engineMsPerCall: number;
          stackSplitMsPerCall: number;
          workerBusy: number;
          requests: number;
        }[] = [];
        const policies: Record<string, string> = {};

        // One runtime for everything: its three workers start (and load the engine) once.
        const runtime = createRuntime();
        const counts = (id: string): Record<string, number> => ({ ...runtime.metrics.snapshot().models.find((m) => m.name === id)?.batchSizeCounts });
        for (const subject of subjects) {
          const base = { format: 'onnx' as const, source: subject.source, backend };
          // All three modes in one worker (one ORT instance, one thread pool), each with a session of its
          // own: the modes take turns, so none waits behind another, and the ratios compare the scheduler,
          // not two workers (in separate workers the same batch's engine time differed by up to 10%).
          const raw = await runtime.load({ ...base, id: `${subject.model}-raw`, worker: 'bench' });

          for (const concurrency of concurrencies) {
            // Fresh batched models per concurrency: the batcher's adaptive batch sizer learns from
            // what it served, so a model carried over from a lower concurrency would start from
            // that load's batch sizes (see the notes); every point starts alike.
            const batched = await runtime.load({
              ...base,
              ...subject.config,
              id: `${subject.model}-batched-${concurrency}`,
              worker: 'bench',
              batching: { maxBatchSize: 32, ...batchingOverrides },
            });
            const single = await runtime.load({
              ...base,
              ...subject.config,
              id: `${subject.model}-single-${concurrency}`,
              worker: 'bench',
              batching: { maxBatchSize: 1 },
            });
            const { maxBatchSize, maxQueueDelayMs, maxInFlightPerReplica, pipelineLeadMs } = batched.batching;
            policies[subject.model] =
              `${batched.modality} defaults + maxBatchSize 32${Object.keys(batchingOverrides).length > 0 ? ` + ${JSON.stringify(batchingOverrides)}` : ''}: maxBatchSize ${maxBatchSize} (maxQueueDelayMs ${maxQueueDelayMs}, maxInFlightPerReplica ${maxInFlightPerReplica}, pipelineLeadMs ${pipelineLeadMs}); ` +
              `batch axes ${JSON.stringify(batched.batchAxes)}`;
            const call = {
              batched: (c: number, i: number) => batched.runDetailed(subject.request(c * 7 + i), { timeoutMs: 0 }),
              'maxBatchSize 1': (c: number, i: number) => single.runDetailed(subject.request(c * 7 + i), { timeoutMs: 0 }),
              'raw engine (ideal)': (_: number, i: number) => raw.runDetailed(subject.stacked(concurrency, i), { timeoutMs: 0 }),
            };
            const callers = (mode: (typeof modes)[number]) => (mode === 'raw engine (ideal)' ? 1 : concurrency);
            const ids = { batched: batched.id, 'maxBatchSize 1': single.id, 'raw engine (ideal)': raw.id };
            for (const mode of modes) await closedLoop(callers(mode), Math.min(0.5, seconds / 2), call[mode]); // warm up: JIT, kernels for this batch size
            const pooled = modes.map(() => ({ latencies: [] as number[], elapsed: 0, batches: [] as Timings[], sizes: new Map<number, number>() }));
            for (let round = 0; round < rounds; round += 1)
              for (let k = 0; k < modes.length; k += 1) {
                // Each round starts with the next mode: no mode always runs first, or right after another.
                const m = (round + k) % modes.length;
                const mode = modes[m] ?? 'batched';
                const before = counts(ids[mode]);
                const r = await closedLoop(callers(mode), seconds, call[mode]);
                const after = counts(ids[mode]);
                const into = pooled[m];
                if (into === undefined) continue;
                into.latencies.push(...r.latencies);
                into.elapsed += r.elapsed;
                into.batches.push(...r.batches);
                for (const [size, n] of Object.entries(after)) {
                  const added = n - (before[size] ?? 0);
                  if (added > 0) into.sizes.set(Number(size), (into.sizes.get(Number(size)) ?? 0) + added);
                }
              }
            modes.forEach((mode, m) => {
              const p = pooled[m];
              if (p === undefined) return;
              const isRaw = mode === 'raw engine (ideal)';
              // The raw engine's calls are one request of N units each (a plain model counts one unit per call).
              const calls = [...p.sizes.values()].reduce((a, b) => a + b, 0);
              const units = [...p.sizes.entries()].reduce((a, [size, n]) => a + size * n, 0);
              const sum = (pick: (t: Timings) => number) => p.batches.reduce((a, t) => a + pick(t), 0);
              results.push({
                model: subject.model,
                concurrency,
                mode,
                throughput: (p.latencies.length * (isRaw ? concurrency : 1)) / p.elapsed,
                p50: q(p.latencies, 0.5),
                p95: q(p.latencies, 0.95),
                meanBatch: isRaw ? concurrency : units / calls,
                batchSizes: isRaw
                  ? `${concurrency}×${calls}`
                  : [...p.sizes.entries()]
                      .sort((a, b) => b[1] - a[1])
                      .slice(0, 3)
                      .map(([size, n]) => `${size}×${n}`)
                      .join(', '),
                engineMsPerCall: sum((t) => t.inferenceMs) / p.batches.length,
                stackSplitMsPerCall: sum((t) => t.stackMs + t.splitMs) / p.batches.length,
                workerBusy: sum((t) => t.prepareMs + t.stackMs + t.inferenceMs + t.splitMs) / 1000 / p.elapsed,
                requests: p.latencies.length,
              });
            });
            await Promise.all([batched.dispose(), single.dispose()]);
          }
          await raw.dispose();
        }
        await runtime.dispose();
        return { results, policies };
      },
      { backend, seconds, rounds, concurrencies, batchingOverrides },
    );
    for (const [model, policy] of Object.entries(measured.policies)) policies[`${model} (${backend})`] = policy;
    const ideal = new Map(measured.results.filter((r) => r.mode === 'raw engine (ideal)').map((r) => [`${r.model}/${r.concurrency}`, r.throughput]));
    const single = new Map(measured.results.filter((r) => r.mode === 'maxBatchSize 1').map((r) => [`${r.model}/${r.concurrency}`, r.throughput]));
    for (const r of measured.results) {
      const key = `${r.model}/${r.concurrency}`;
      rows.push({
        backend,
        model: r.model,
        concurrency: r.concurrency,
        mode: r.mode,
        'req/s': r.throughput,
        'p50 ms': r.p50,
        'p95 ms': r.p95,
        'mean batch': r.meanBatch,
        'batch sizes (top 3, size×calls)': r.batchSizes,
        'engine ms/call': r.engineMsPerCall,
        'stack+split ms/call': r.stackSplitMsPerCall,
        'worker busy': r.workerBusy,
        '× maxBatchSize 1': r.mode === 'batched' ? r.throughput / (single.get(key) ?? Number.NaN) : '',
        'of ideal': r.mode === 'raw engine (ideal)' ? '' : r.throughput / (ideal.get(key) ?? Number.NaN),
      });
    }
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const version = browser.version();
  await browser.close();
  writeReport({
    name: 'models',
    title: 'Your own model through the scheduler: batched vs maxBatchSize 1 vs the raw engine',
    environment: {
      browser: `Chromium ${version}`,
      backends: backends.join(', '),
      webgpu: machine.webgpu,
      cores: machine.cores,
      secondsPerPoint: seconds * rounds,
      rounds,
      'first touch of fresh memory, µs per 4 KiB page': Number(firstTouchUsPerPage.toFixed(1)),
      ...policies,
      command: 'npx playwright test -c bench/playwright.config.ts models',
    },
    rows,
    notes: [
      'Closed loop: each caller sends its next request when its last one answers. `req/s` counts requests (one unit each); the raw engine sends one pre-stacked ' +
        '`[N, …]` request at a time (N = concurrency) to a plain `runtime.load` model, and its `req/s` counts N per call, its latencies are per call.',
      '`mean batch` and `batch sizes` come from `runtime.metrics.snapshot()` (batchSizeCounts, the measured rounds only). `engine ms/call` (the worker), ' +
        '`stack+split ms/call` (the main thread stacks a batch into pooled buffers and splits its outputs) and `worker busy` (validate + engine time over wall ' +
        'time) come from `runDetailed` timings, once per batch. All three modes run in one worker, each with a session of its own.',
      '`of ideal` = req/s ÷ the raw engine\u2019s req/s at the same batch size (the issue asks ≥ 0.9 on wasm); `× maxBatchSize 1` = batched req/s ÷ maxBatchSize 1 req/s.',
      'At concurrency 1 the batched model and the raw engine take the same path (a lone request: no stacking, no delay), so their ratio there is a gauge of ' +
        'this run\u2019s noise, not of the batcher. Where `of ideal` falls short, `batch sizes` shows how batches formed (a closed loop\u2019s callers, all ' +
        'answered by one batch, ask again in the same task and go out as one batch again) and `stack+split ms/call` what the main thread spent per batch.',
    ],
  });
});
