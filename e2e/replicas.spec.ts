/**
 * Replicas kept for urgent work: `replicas: { count: 2, reserve: { interactive: 1 } }` on a
 * user's model (Silero VAD through `runtime.load`): a background flood never runs on the
 * reserved replica, interactive requests do, and the answers equal a plain model's. A bad
 * reserve is refused before any worker starts. Counts engine calls per replica (User
 * Timing entries carry each request's replica), never times.
 */
import { expect, test, vadShapes } from './fixtures/page';

test('a replica reserved for interactive work serves it and never the background flood', async ({ harness }) => {
  const result = await harness.evaluate(async (shapes) => {
    const { createRuntime, tensor } = window.inpage;
    const runtime = createRuntime({ metrics: { userTiming: true } });
    const descriptor = {
      format: 'onnx' as const,
      source: '/models/silero_vad_v5.onnx',
      backend: 'wasm' as const,
      modality: 'audio' as const,
      shapes,
      batchAxes: { input: 0, state: 1, sr: null, output: 0, stateN: 1 },
    };
    const model = await runtime.load({ ...descriptor, id: 'vad-reserved', replicas: { count: 2, reserve: { interactive: 1 } } });
    const plain = await runtime.load({ ...descriptor, id: 'vad-plain' });
    const frame = (seed: number) => new Float32Array(576).map((_, i) => Math.sin((i + seed) / 6) * 0.4);
    const inputs = (seed: number) => ({
      input: tensor('float32', [1, 576], frame(seed)),
      state: tensor('float32', [2, 1, 128], new Float32Array(256)),
      sr: tensor('int64', [], BigInt64Array.of(16000n)),
    });
    let flooding = true;
    let floodCalls = 0;
    const flood = Array.from({ length: 16 }, async (_, s) => {
      for (let i = 0; flooding; i += 1) {
        await model.run(inputs(s * 1000 + i), { priority: 'background' });
        floodCalls += 1;
      }
    });
    // Wait until the flood has run, so the interactive calls meet it.
    while (floodCalls < 32) await new Promise((resolve) => setTimeout(resolve, 5));
    const urgent: number[] = [];
    const solo: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      urgent.push((await model.run(inputs(7 + i), { priority: 'interactive' })).output?.data[0] as number);
      solo.push((await plain.run(inputs(7 + i))).output?.data[0] as number);
    }
    flooding = false;
    await Promise.all(flood);
    const replicaOf = (entry: PerformanceEntry) => {
      const detail = (entry as PerformanceMeasure).detail as { devtools?: { properties?: [string, string][] } } | undefined; // what emitUserTiming writes
      const properties = detail?.devtools?.properties;
      return Number(properties?.find(([key]) => key === 'replica')?.[1]);
    };
    const byReplica = performance.getEntriesByName('inpage:vad-reserved:endToEnd').map(replicaOf);
    const workersBefore = (JSON.parse(JSON.stringify(runtime)) as { workers: string[] }).workers.length;
    const bad = await runtime.load({ ...descriptor, id: 'bad', replicas: { count: 2, reserve: { interactive: 2 } } }).then(
      () => 'loaded',
      (error: unknown) => ({ name: (error as Error).name, input: (error as { input?: string }).input }),
    );
    const workersAfter = (JSON.parse(JSON.stringify(runtime)) as { workers: string[] }).workers.length;
    await runtime.dispose();
    return { urgent, solo, byReplica, floodCalls, bad, workers: [workersBefore, workersAfter], replicas: model.replicas };
  }, vadShapes);
  expect(result.replicas).toBe(2);
  // Replica 1 (reserved) ran exactly the 12 interactive requests; the flood stayed on replica 0.
  expect(result.byReplica.filter((r) => r === 1)).toHaveLength(12);
  expect(result.byReplica.filter((r) => r === 0).length).toBe(result.floodCalls);
  // The same answers as a plain model.
  result.urgent.forEach((p, i) => expect(p).toBeCloseTo(result.solo[i] ?? Number.NaN, 5));
  // A reserve that leaves nothing for background work is refused before any worker starts.
  expect(result.bad).toEqual({ name: 'InvalidOptionsError', input: 'replicas.reserve.interactive' });
  expect(result.workers[1]).toBe(result.workers[0]);
});
