/**
 * Stateful sessions and the model repository (issue 12, items 4, 5 and 7) on Silero VAD:
 * a repository model loads on first use, its sessions carry `state` → `stateN` from call to
 * call while sessions of several streams batch together, it unloads when idle and loads
 * again transparently mid-stream (outputs equal a hand-carried reference throughout);
 * `runtime.models` reports state, backend and memory; its metrics, errors by code included,
 * show in `snapshot()` and `prometheus()` under its name.
 */
import { expect, test } from './fixtures/page';

test('a repository model: lazy load, sessions that batch and survive an idle unload, status and metrics', async ({ harness }) => {
  test.setTimeout(240_000);
  const result = await harness.evaluate(async () => {
    const { createRuntime, tensor } = window.inpage;
    const { caught } = window.harness;
    const source = '/models/silero_vad_v5.onnx';
    const runtime = createRuntime({
      cache: { weights: false },
      models: {
        vad: {
          format: 'onnx',
          source,
          backend: 'wasm',
          modality: 'audio',
          shapes: { input: ['batch', 576], state: [2, 'batch', 128] },
          // One batch in flight: frames that arrive meanwhile share the next engine call.
          batching: { maxQueueDelayMs: 5, maxInFlightPerReplica: 1, defaultTimeoutMs: 0 },
          batchAxes: { state: 1, stateN: 1, sr: null },
          sequence: { state: [{ input: 'state', output: 'stateN' }] },
          idleUnloadMs: 300,
        },
      },
    });
    const statusOf = (id: string) => runtime.models.find((m) => m.id === id);
    const before = statusOf('vad');
    const vad = runtime.model('vad');
    const { samples } = await window.harness.loadWav('/samples/speech-16k.wav');
    const streams = 4;
    const frames = 16;
    const frameOf = (s: number, f: number) => samples.slice(4000 + s * 9000 + f * 512, 4000 + s * 9000 + f * 512 + 576);
    const sr = () => tensor('int64', [], BigInt64Array.of(16000n));
    const probability = (out: Record<string, { data: unknown }>) => {
      const data = out.output?.data;
      return data instanceof Float32Array ? (data[0] ?? Number.NaN) : Number.NaN;
    };

    // Reference: a plain model, its state carried by hand, one frame at a time.
    const plain = await runtime.load({ format: 'onnx', source, backend: 'wasm', id: 'reference' });
    const reference: number[][] = [];
    for (let s = 0; s < streams; s += 1) {
      let state: Float32Array = new Float32Array(256);
      const seen: number[] = [];
      for (let f = 0; f < frames; f += 1) {
        const out = await plain.run({ input: tensor('float32', [1, 576], frameOf(s, f)), state: tensor('float32', [2, 1, 128], state), sr: sr() });
        seen.push(probability(out));
        const next = out.stateN?.data;
        if (!(next instanceof Float32Array)) throw new Error('no stateN');
        state = next;
      }
      reference.push(seen);
    }
    const listed = runtime.models.map((m) => ({ id: m.id, state: m.state, registered: m.registered }));

    // Sessions on the repository model: half the frames, an idle unload, the other half.
    const sessions = Array.from({ length: streams }, () => vad.session());
    const got: number[][] = sessions.map(() => []);
    const feed = (from: number, to: number) =>
      Promise.all(
        sessions.map(async (session, s) => {
          for (let f = from; f < to; f += 1) got[s]?.push(probability(await session.run({ input: tensor('float32', [1, 576], frameOf(s, f)), sr: sr() })));
        }),
      );
    await feed(0, frames / 2);
    const loaded = statusOf('vad');
    // Wait for the idle unload (polled: no timing assumption beyond "it happens").
    const deadline = performance.now() + 30_000;
    while (statusOf('vad')?.state !== 'unloaded' && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const unloaded = statusOf('vad');
    await feed(frames / 2, frames);
    const reloaded = statusOf('vad');

    // A bad call: refused before the queue, counted under its code.
    const bad = await caught(
      vad.run({ input: tensor('float32', [1, 100], new Float32Array(100)), state: tensor('float32', [2, 1, 128], new Float32Array(256)), sr: sr() }),
    );
    const sessionBad = await caught(
      sessions[0]?.run({ input: tensor('float32', [1, 576], new Float32Array(576)), state: tensor('float32', [2, 1, 128], new Float32Array(256)), sr: sr() }) ??
        Promise.resolve(),
    );
    const snapshot = runtime.metrics.snapshot().models.find((m) => m.name === 'vad');
    const prometheus = runtime.metrics.prometheus();
    const fileBytes = (await (await fetch(source)).arrayBuffer()).byteLength;

    // The repository's own errors.
    const unknown = await caught(Promise.resolve().then(() => runtime.model('nope')));
    const duplicate = await caught(Promise.resolve().then(() => runtime.register('vad', { format: 'onnx', source })));
    const badConfig = await caught(Promise.resolve().then(() => createRuntime({ models: { broken: { format: 'onnx', source, replicas: 0 } } })));
    const idleOnLoad = await caught(runtime.load({ format: 'onnx', source, idleUnloadMs: 10 }));
    let maxDiff = 0;
    got.forEach((stream, s) => stream.forEach((p, f) => (maxDiff = Math.max(maxDiff, Math.abs(p - (reference[s]?.[f] ?? Number.NaN))))));
    await runtime.dispose();
    return {
      before,
      listed,
      loaded,
      unloaded,
      reloaded,
      counts: got.map((g) => g.length),
      maxDiff,
      bad,
      sessionBad,
      fileBytes,
      series: snapshot && {
        completed: snapshot.completed,
        errors: snapshot.errors,
        batchSizes: Object.keys(snapshot.batchSizeCounts).map(Number),
        e2eCount: snapshot.stages.endToEnd.total.count,
      },
      prometheusErrors: prometheus.split('\n').filter((line) => line.startsWith('inpage_request_errors_total') && line.includes('model="vad"')),
      prometheusStages: prometheus.split('\n').filter((line) => line.startsWith('inpage_stage_duration_ms') && line.includes('model="vad"')).length,
      unknown,
      duplicate,
      badConfig,
      idleOnLoad,
      afterDispose: runtime.models.map((m) => m.state),
    };
  });
  // Nothing loads until first use.
  expect(result.before).toMatchObject({ id: 'vad', state: 'unloaded', registered: true, backend: null, memoryBytes: 0, loads: 0, idleUnloadMs: 300 });
  expect(result.listed).toEqual([
    { id: 'vad', state: 'unloaded', registered: true },
    { id: 'reference', state: 'loaded', registered: false },
  ]);
  expect(result.loaded).toMatchObject({ state: 'loaded', backend: 'wasm', replicas: 1, memoryBytes: result.fileBytes, loads: 1 });
  expect(result.unloaded).toMatchObject({ state: 'unloaded', memoryBytes: 0, loads: 1 });
  expect(result.reloaded).toMatchObject({ state: 'loaded', loads: 2, memoryBytes: result.fileBytes });
  // Every session's probabilities equal the hand-carried reference, across the reload.
  expect(result.counts).toEqual([16, 16, 16, 16]);
  expect(result.maxDiff).toBeLessThan(1e-4);
  // Frames of different sessions shared engine calls.
  expect(Math.max(...(result.series?.batchSizes ?? []))).toBeGreaterThan(1);
  expect(result.series).toMatchObject({ completed: 64, e2eCount: 64, errors: { INVALID_INPUT: 1 } });
  expect(result.bad).toMatchObject({ code: 'INVALID_INPUT', input: 'input' });
  expect(result.sessionBad).toMatchObject({ code: 'INVALID_INPUT', input: 'state' });
  expect(result.prometheusErrors).toHaveLength(1);
  expect(result.prometheusErrors[0]).toMatch(/code="INVALID_INPUT"\} 1$/);
  expect(result.prometheusStages).toBeGreaterThan(10);
  expect(result.unknown).toMatchObject({ code: 'MODEL_NOT_FOUND', model: 'nope' });
  expect(result.duplicate).toMatchObject({ code: 'INVALID_OPTIONS', input: 'models.vad' });
  expect(result.badConfig).toMatchObject({ code: 'INVALID_OPTIONS', input: 'models.broken.replicas' });
  expect(result.idleOnLoad).toMatchObject({ code: 'INVALID_OPTIONS', input: 'idleUnloadMs' });
  expect(result.afterDispose).toEqual([]);
});
