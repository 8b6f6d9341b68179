/**
 * Scheduler benchmarks, measured side by side in one run (wasm; webgpu too unless
 * BENCH_BACKENDS says otherwise):
 * - batching: throughput and p95 at concurrency 1, 8, 32 with the batcher vs with
 *   `maxBatchSize: 1`, and against the raw engine called directly at the same batch size;
 * - overhead: a lone VAD frame through the runtime vs a direct session call on the same model
 *   in the same worker (interleaved, paired per frame);
 * - isolation: interactive p99 while a background flood saturates the model, with and
 *   without priorities.
 *
 *   npx playwright test -c bench/playwright.config.ts batching   (writes bench/results/batching.{json,md})
 */
import { chromium, test } from '@playwright/test';
import { machineFacts, writeReport, type Row } from './support';

const backends = (process.env.BENCH_BACKENDS ?? 'wasm,webgpu').split(',').filter((b): b is 'wasm' | 'webgpu' => b === 'wasm' || b === 'webgpu');
const seconds = Number(process.env.BENCH_SECONDS ?? 3);

test('batching, overhead and isolation', async ({ page }) => {
  await page.goto('/e2e/harness.html');
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  const rows: Row[] = [];
  for (const backend of backends) {
    const measured = await page.evaluate(
      async ({ backend, seconds }) => {
        const { createRuntime, tensor } = window.inpage;
        const { runLoad, closedPlan, quantile: q } = window.inpageLoad;
        const { samples } = await window.harness.loadWav('/samples/speech-16k.wav');
        const frameAt = (i: number) => samples.slice((i * 512) % (samples.length - 512), ((i * 512) % (samples.length - 512)) + 512);
        /** Closed loop (inpage/testing's driver): `concurrency` clients each send their next request when the last answers, for `seconds`. */
        const closedLoop = async (concurrency: number, send: (client: number, i: number) => Promise<unknown>) => {
          const call = (_: unknown, { client, i }: { client: number; i: number }) => send(client, i);
          const outcome = await runLoad(call, closedPlan(call, { clients: concurrency, durationMs: seconds * 1000 }));
          if (outcome.failed > 0) throw new Error(`closed loop of ${concurrency}: ${outcome.failed} failed: ${outcome.errorMessages.join('; ')}`);
          const latencies = outcome.samples;
          const elapsed = outcome.elapsedMs / 1000;
          return { throughput: latencies.length / elapsed, p95: q(latencies, 0.95), p50: q(latencies, 0.5), count: latencies.length, latencies, elapsed };
        };
        // SwiftShader WebGPU runs a VAD frame in ~110 ms: a tenth of the samples keeps the run in minutes.
        const sampleScale = backend === 'webgpu' ? 0.1 : 1;
        const results: { model: string; concurrency: number; mode: string; throughput: number; p95: number; p50: number; engineOnly?: number }[] = [];

        /** Pool closed-loop rounds: requests over total seconds. */
        const pool = (rounds: Awaited<ReturnType<typeof closedLoop>>[]) => {
          const latencies = rounds.flatMap((r) => r.latencies);
          return { throughput: latencies.length / rounds.reduce((t, r) => t + r.elapsed, 0), p95: q(latencies, 0.95), p50: q(latencies, 0.5) };
        };
        const modes = ['batched', 'maxBatchSize 1'] as const;
        const rounds = 2; // A/B interleaved: batched, single, batched, single — drift hits both alike

        // ── VAD: concurrent streams, and the raw engine at the same batch size ─────
        // The raw engine (the ideal the batcher approaches) runs in the batched VAD's own worker,
        // a session beside the task's: an ORT WebGPU call costs ~30% more once a second session
        // exists (bench/webgpu-call), so an ideal measured alone in a fresh worker flatters it.
        {
          const runtimes = modes.map(() => createRuntime());
          const vads = await Promise.all(runtimes.map((runtime, m) => runtime.vad({ backend, batching: modes[m] === 'batched' ? {} : { maxBatchSize: 1 } })));
          const raw = await runtimes[0]?.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend, worker: 'audio-onnx', id: 'vad-raw' });
          if (raw === undefined) throw new Error('no runtime for the raw engine');
          for (const concurrency of [1, 8, 32]) {
            const streams = vads.map((vad) => Array.from({ length: concurrency }, () => vad.stream({ call: { timeoutMs: 0 } })));
            // The same work the streams do, stacked by hand: their frames (64 samples of context,
            // then 512) and each stream's recurrent state carried from call to call (the engine's
            // time depends on the state's values, so zeros would flatter it).
            let next = 0;
            let state = new Float32Array(concurrency * 256);
            const rawCall = async () => {
              const input = new Float32Array(concurrency * 576);
              for (let c = 0; c < concurrency; c += 1) input.set(frameAt(next + c), c * 576 + 64);
              next += concurrency;
              const out = await raw.run({
                input: tensor('float32', [concurrency, 576], input),
                state: tensor('float32', [2, concurrency, 128], state),
                sr: tensor('int64', [], BigInt64Array.of(16000n)),
              });
              if (out.stateN?.dtype === 'float32') state = new Float32Array(out.stateN.data);
            };
            const measured: Awaited<ReturnType<typeof closedLoop>>[][] = modes.map(() => []);
            const rawMeasured: Awaited<ReturnType<typeof closedLoop>>[] = [];
            for (const [m] of modes.entries()) await closedLoop(concurrency, (c, i) => streams[m]?.[c]?.push(frameAt(i)) ?? Promise.resolve()); // warm up
            await rawCall();
            for (let round = 0; round < rounds; round += 1) {
              for (const [m] of modes.entries())
                measured[m]?.push(await closedLoop(concurrency, (c, i) => streams[m]?.[c]?.push(frameAt(i)) ?? Promise.resolve()));
              rawMeasured.push(await closedLoop(1, rawCall));
            }
            modes.forEach((mode, m) => results.push({ model: 'vad', concurrency, mode, ...pool(measured[m] ?? []) }));
            const r = pool(rawMeasured);
            results.push({ model: 'vad', concurrency, mode: 'raw engine (ideal)', throughput: r.throughput * concurrency, p95: r.p95, p50: r.p50 });
          }
          await Promise.all(runtimes.map((r) => r.dispose()));
        }

        // ── Sentence embeddings: concurrent single-text calls ─────────────────
        const sentences = Array.from({ length: 64 }, (_, i) => `Sentence ${i} about ${['weather', 'travel', 'cooking', 'music'][i % 4]} and the page.`);
        {
          const runtimes = modes.map(() => createRuntime());
          const encoders = await Promise.all(
            runtimes.map((runtime, m) => runtime.embeddings({ backend, cache: false, batching: modes[m] === 'batched' ? {} : { maxBatchSize: 1 } })),
          );
          for (const encoder of encoders) await encoder.embed(sentences.slice(0, 8));
          for (const concurrency of [1, 8, 32]) {
            const measured: Awaited<ReturnType<typeof closedLoop>>[][] = modes.map(() => []);
            for (let round = 0; round < rounds; round += 1)
              for (const [m] of modes.entries())
                measured[m]?.push(
                  await closedLoop(concurrency, (c, i) => encoders[m]?.embed(sentences[(c * 7 + i) % sentences.length] ?? 'x') ?? Promise.resolve()),
                );
            modes.forEach((mode, m) => results.push({ model: 'embeddings', concurrency, mode, ...pool(measured[m] ?? []) }));
          }
          await Promise.all(runtimes.map((r) => r.dispose()));
        }
        {
          const runtime = createRuntime();
          const encoder = await runtime.embeddings({ backend, cache: false, batching: { maxBatchSize: 64 } });
          for (const concurrency of [1, 8, 32]) {
            // The caller batches by hand: one call with N texts at a time (tokenising, the
            // worker round trip and the engine call included, as for the batched callers).
            // The callers' texts, in their order (caller c's i-th text), so the batches have the
            // same token counts: TF.js on WebGPU pays for each new input shape.
            const batchAt = (i: number) => Array.from({ length: concurrency }, (_, c) => sentences[(c * 7 + i) % sentences.length] ?? 'x');
            await encoder.embedDetailed(batchAt(0));
            const inference: number[] = [];
            const r = await closedLoop(1, async (_, i) => inference.push((await encoder.embedDetailed(batchAt(i))).timings.inferenceMs));
            results.push({
              model: 'embeddings',
              concurrency,
              mode: 'raw engine (ideal)',
              throughput: r.throughput * concurrency,
              p95: r.p95,
              p50: r.p50,
              engineOnly: (concurrency * 1000) / q(inference, 0.5),
            });
          }
          await runtime.dispose();
        }

        // ── Pose: fixed batch 1, same queue ────────────────────────────────────
        const photo = await (await fetch('/samples/astronaut.jpg')).blob();
        for (const mode of ['batched', 'maxBatchSize 1'] as const) {
          const runtime = createRuntime();
          const pose = await runtime.pose({ backend, batching: mode === 'batched' ? {} : { maxBatchSize: 1 } });
          await pose.detect(photo);
          for (const concurrency of [1, 8]) {
            const r = await closedLoop(concurrency, () => pose.detect(photo));
            results.push({ model: 'pose', concurrency, mode, ...r });
          }
          await runtime.dispose();
        }

        // ── Overhead: a lone frame, runtime round trip vs the session call in the worker ──
        const overhead = await (async () => {
          // The same frames two ways, interleaved: through the runtime (VAD stream, default
          // scheduling) and as a direct session call on the same model in the same worker
          // (`runtime.load` with the VAD task's worker key, no scheduler). Both cross the
          // same worker boundary; the difference is what the scheduler and task add.
          const runtime = createRuntime();
          const vad = await runtime.vad({ backend });
          const direct = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend, worker: 'audio-onnx', id: 'direct' });
          const stream = vad.stream({ call: { timeoutMs: 0 } });
          let state = new Float32Array(256);
          const directCall = async (i: number) => {
            const input = new Float32Array(576);
            input.set(frameAt(i), 64);
            const out = await direct.run({
              input: tensor('float32', [1, 576], input),
              state: tensor('float32', [2, 1, 128], state),
              sr: tensor('int64', [], BigInt64Array.of(16000n)),
            });
            const next = out.stateN?.data;
            if (next instanceof Float32Array) state = new Float32Array(next);
          };
          for (let i = 0; i < 500 * sampleScale; i += 1) {
            await stream.push(frameAt(i)); // warm up: JIT, kernels, CPU clocks
            await directCall(i);
          }
          const viaRuntime: number[] = [];
          const viaSession: number[] = [];
          for (let i = 0; i < 1000 * sampleScale; i += 1) {
            let t = performance.now();
            await stream.push(frameAt(i));
            viaRuntime.push(performance.now() - t);
            t = performance.now();
            await directCall(i);
            viaSession.push(performance.now() - t);
          }
          const inference = runtime.metrics.snapshot().models.find((m) => m.name === vad.name)?.stages.inference.window.p50 ?? Number.NaN;
          await runtime.dispose();
          return {
            roundTripMedian: q(viaRuntime, 0.5),
            directMedian: q(viaSession, 0.5),
            addedMedian: q(
              viaRuntime.map((v, i) => v - (viaSession[i] ?? Number.NaN)),
              0.5,
            ),
            workerInferenceMedian: inference,
          };
        })();

        // ── Isolation: interactive p99 under a background flood ────────────────
        const isolation = async (priorities: boolean, reserved = false) => {
          const runtime = createRuntime();
          const vad = await runtime.vad({
            backend,
            batching: { maxBatchSize: 8 },
            ...(reserved ? { replicas: { count: 2, reserve: { interactive: 1 } } } : {}),
          });
          const interactive = vad.stream({ call: { priority: 'interactive', timeoutMs: 0 } });
          const sample = async (into: number[], count: number) => {
            for (let i = 0; i < count; i += 1) {
              const t = performance.now();
              await interactive.push(frameAt(i));
              into.push(performance.now() - t);
            }
          };
          await sample([], 300 * sampleScale); // warm up (JIT, first-run kernels)
          // Idle and flooded blocks alternate (4 × 250 samples each), so drift hits both alike.
          const idle: number[] = [];
          const loaded: number[] = [];
          for (let block = 0; block < 4; block += 1) {
            await sample(idle, 250 * sampleScale);
            let flooding = true;
            const flood = Array.from({ length: 64 }, async () => {
              const s = vad.stream({ call: { priority: priorities ? 'background' : 'interactive', timeoutMs: 0 } });
              for (let i = 0; flooding; i += 1) await s.push(frameAt(i));
            });
            await new Promise((resolve) => setTimeout(resolve, 100)); // let the flood saturate the model
            await sample(loaded, 250 * sampleScale);
            flooding = false;
            await Promise.all(flood);
          }
          await runtime.dispose();
          return { idleP99: q(idle, 0.99), loadedP99: q(loaded, 0.99) };
        };
        return {
          results,
          overhead,
          withPriorities: await isolation(true),
          withoutPriorities: await isolation(false),
          reservedReplica: await isolation(true, true),
        };
      },
      { backend, seconds },
    );
    const byKey = new Map(measured.results.map((r) => [`${r.model}/${r.concurrency}/${r.mode}`, r]));
    for (const r of measured.results.filter((x) => x.mode === 'batched')) {
      const single = byKey.get(`${r.model}/${r.concurrency}/maxBatchSize 1`);
      const ideal = byKey.get(`${r.model}/${r.concurrency}/raw engine (ideal)`);
      rows.push({
        backend,
        model: r.model,
        concurrency: r.concurrency,
        'batched req/s': r.throughput,
        'maxBatchSize 1 req/s': single?.throughput ?? Number.NaN,
        'throughput ×': r.throughput / (single?.throughput ?? Number.NaN),
        'batched p95 ms': r.p95,
        'maxBatchSize 1 p95 ms': single?.p95 ?? Number.NaN,
        'p95 ×': r.p95 / (single?.p95 ?? Number.NaN),
        'raw engine req/s (ideal)': ideal?.throughput ?? '',
        'of ideal': ideal === undefined ? '' : r.throughput / ideal.throughput,
        'engine alone req/s': ideal?.engineOnly ?? '',
      });
    }
    rows.push({
      backend,
      model: 'vad (lone frame)',
      concurrency: 1,
      'runtime round trip median ms': measured.overhead.roundTripMedian,
      'direct session call, same worker, median ms': measured.overhead.directMedian,
      'added ms': measured.overhead.addedMedian,
      'session run inside the worker median ms': measured.overhead.workerInferenceMedian,
    });
    rows.push({
      backend,
      model: 'vad (isolation)',
      concurrency: 64,
      'interactive idle p99 ms': measured.withPriorities.idleP99,
      'under flood p99 ms (priorities)': measured.withPriorities.loadedP99,
      '× idle (priorities)': measured.withPriorities.loadedP99 / measured.withPriorities.idleP99,
      'under flood p99 ms (no priorities)': measured.withoutPriorities.loadedP99,
      '× idle (no priorities)': measured.withoutPriorities.loadedP99 / measured.withoutPriorities.idleP99,
      'reserved replica: idle p99 ms': measured.reservedReplica.idleP99,
      'reserved replica: under flood p99 ms': measured.reservedReplica.loadedP99,
      '× idle (reserved replica)': measured.reservedReplica.loadedP99 / measured.reservedReplica.idleP99,
    });
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const version = browser.version();
  await browser.close();
  const machine = await machineFacts(page);
  writeReport({
    name: backends.length === 1 ? `batching-${backends[0] ?? ''}` : 'batching',
    title: 'Scheduler: batching, overhead, isolation',
    environment: {
      browser: `Chromium ${version}`,
      backends: backends.join(', '),
      webgpu: machine.webgpu,
      cores: machine.cores,
      secondsPerPoint: seconds,
      command: 'npx playwright test -c bench/playwright.config.ts batching',
    },
    rows,
    notes: [
      '`raw engine (ideal)`: the same work batched by hand, one call of N at a time (VAD: N frames stacked into one `model.run`, each stream\u2019s state carried, in the batched VAD\u2019s worker, interleaved with its rounds; embeddings: `embedDetailed` ' +
        'of N texts, tokenising included), timed over the round trip like the batched callers. `engine alone`: embeddings only, N ÷ the engine time the worker ' +
        'reports for that call (no tokenising, no round trip): a bound no caller sees.',
      'Isolation: VAD (`maxBatchSize: 8`), one interactive stream timed frame by frame, idle and under a flood of 64 streams in alternating blocks. ' +
        '`priorities`: the flood is background; `no priorities`: the flood is interactive too; `reserved replica`: priorities, and ' +
        '`replicas: { count: 2, reserve: { interactive: 1 } }` keeps one of two workers for interactive and realtime batches.',
    ],
  });
});
