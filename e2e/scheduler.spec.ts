/**
 * The scheduler on real models: frames of many VAD streams are stacked into one engine
 * call and the results equal unbatched results element-wise; priorities, superseding and
 * bounded queues act on real requests; metrics see it all.
 */
import { backends, expect, test } from './fixtures/page';

for (const backend of backends) {
  test(`batched VAD frames of 8 streams equal unbatched results on ${backend}`, async ({ harness }) => {
    test.setTimeout(300_000);
    const result = await harness.evaluate(async (backend) => {
      const { samples } = await window.harness.loadWav('/samples/speech-16k.wav');
      const streams = 8;
      // 1.5 s of the clip per stream (0.75 s on SwiftShader WebGPU: ~0.1 s a frame there, and
      // the unbatched run goes frame by frame), each starting elsewhere, so the streams differ.
      const length = backend === 'webgpu' ? 12000 : 24000;
      const clips = Array.from({ length: streams }, (_, s) => samples.slice(s * 8000, s * 8000 + length));
      const run = async (maxBatchSize: number) => {
        const runtime = window.inpage.createRuntime();
        const vad = await runtime.vad({ backend, batching: { maxBatchSize, maxQueueDelayMs: 5 } });
        const probabilities = await Promise.all(
          clips.map(async (clip) => {
            const seen: number[] = [];
            const stream = vad.stream({ onProbability: (p) => seen.push(p), call: { timeoutMs: 0 } });
            for (let offset = 0; offset < clip.length; offset += 512) await stream.push(clip.subarray(offset, offset + 512));
            await stream.end();
            return seen;
          }),
        );
        const model = runtime.metrics.snapshot().models.find((m) => m.name === vad.name);
        await runtime.dispose();
        return { probabilities, batchSizeCounts: model?.batchSizeCounts ?? {}, completed: model?.completed ?? 0 };
      };
      return { batched: await run(32), unbatched: await run(1) };
    }, backend);

    const sizes = (counts: Record<string, number>) => Object.keys(counts).map(Number);
    // Batching happened: several frames per engine call…
    expect(Math.max(...sizes(result.batched.batchSizeCounts))).toBeGreaterThan(1);
    expect(sizes(result.unbatched.batchSizeCounts)).toEqual([1]);
    expect(result.batched.completed).toBe(result.unbatched.completed);
    // …and every stream got the same probabilities as when each frame ran alone.
    result.batched.probabilities.forEach((stream, s) => {
      const reference = result.unbatched.probabilities[s] ?? [];
      expect(stream).toHaveLength(reference.length);
      stream.forEach((p, i) => expect(Math.abs(p - (reference[i] ?? Number.NaN)), `stream ${s} frame ${i}`).toBeLessThan(1e-4));
    });
  });
}

test('priorities, superseding and queue bounds act on real requests; metrics see them', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { caught } = window.harness;
    const runtime = window.inpage.createRuntime({ metrics: { userTiming: true } });
    const pose = await runtime.pose({ backend: 'wasm', name: 'movenet', batching: { maxQueueSize: 4, maxInFlightPerReplica: 1 } });
    const photo = await (await fetch('/samples/astronaut.jpg')).blob();
    await pose.detect(photo); // warm up
    const order: string[] = [];
    const track = (label: string, p: Promise<unknown>) => p.then(() => order.push(label));
    // The batcher looks at new requests a few microtasks after they arrive (requests made in
    // one task batch together): a zero timeout lets it act before the next step.
    const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
    // One batch in flight at a time here: the first runs at once (idle model), the rest queue —
    // except the realtime request, which goes out at once through the express slot (more
    // urgent than everything in flight) and runs next in the worker.
    const first = track('first', pose.detect(photo));
    await settle();
    const background = track('background', pose.detect(photo, { priority: 'background' }));
    const interactive = track('interactive', pose.detect(photo, { priority: 'interactive' }));
    const realtime = track('realtime', pose.detect(photo, { priority: 'realtime' }));
    await settle();
    const stale = caught(pose.detect(photo, { supersedeKey: 'camera' }));
    const fresh = track('fresh-frame', pose.detect(photo, { supersedeKey: 'camera' }));
    const controller = new AbortController();
    const aborted = caught(pose.detect(photo, { signal: controller.signal }));
    controller.abort();
    // Three wait now (background, interactive, the fresh camera frame; maxQueueSize 4): the
    // first extra request fits, the second is refused.
    const overflow = await Promise.all([caught(pose.detect(photo)), caught(pose.detect(photo))]);
    await Promise.all([first, background, interactive, realtime, fresh]);
    const snapshot = runtime.metrics.snapshot();
    const prometheus = runtime.metrics.prometheus();
    const measures = performance.getEntriesByType('measure').filter((m) => m.name.startsWith('inpage:movenet:')).length;
    await runtime.dispose();
    return { order, stale: await stale, overflow, aborted: await aborted, model: snapshot.models.find((m) => m.name === 'movenet'), prometheus, measures };
  });
  // The one in flight and the realtime one (express slot; in the worker it may even reach the
  // session first, while the other image is still being decoded) lead; then interactive >
  // (the camera frame, interactive) > background.
  expect(result.order.slice(0, 2).sort(), result.order.join()).toEqual(['first', 'realtime']);
  expect(result.order.indexOf('realtime'), result.order.join()).toBeLessThan(result.order.indexOf('interactive'));
  expect(result.order.indexOf('interactive'), result.order.join()).toBeLessThan(result.order.indexOf('background'));
  expect(result.stale, JSON.stringify(result)).toMatchObject({ code: 'SUPERSEDED', name: 'SupersededError', isOwnClass: true });
  expect(result.overflow[0]).toBeNull();
  expect(result.overflow[1]).toMatchObject({ code: 'QUEUE_FULL', name: 'QueueFullError' });
  expect(result.aborted).toMatchObject({ code: 'ABORTED' });
  // Warm-up, first, realtime, interactive, fresh frame, background, the overflow that fit.
  expect(result.model?.completed).toBe(7);
  expect(result.model?.errors).toEqual({ SUPERSEDED: 1, ABORTED: 1, QUEUE_FULL: 1 });
  expect(result.model?.stages.inference.total.count).toBe(7);
  expect(result.model?.stages.endToEnd.total.p99).toBeGreaterThan(0);
  expect(result.prometheus).toContain('inpage_requests_completed_total{model="movenet",modality="image",backend="wasm"} 7');
  expect(result.measures).toBe(7 * 5);
});

test('32 concurrent embed() calls are stacked into one model call and equal one-by-one results', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const encoder = await runtime.embeddings({ backend: 'wasm', name: 'use', cache: false });
    const texts = Array.from(
      { length: 32 },
      (_, i) => `Request ${i}: ${['the weather is nice', 'book a flight', 'how old are you', 'the cat sleeps'][i % 4]}.`,
    );
    const concurrent = await Promise.all(texts.map((t) => encoder.embed(t).then(([v]) => [...(v ?? [])])));
    const afterConcurrent = runtime.metrics.snapshot().models.find((m) => m.name === 'use');
    const sequential: number[][] = [];
    for (const t of texts) sequential.push([...((await encoder.embed(t))[0] ?? [])]);
    await runtime.dispose();
    return { concurrent, sequential, batches: afterConcurrent?.batchSizeCounts ?? {} };
  });
  // Made in one task: one engine call for all 32 (their token rows joined).
  expect(result.batches).toEqual({ 32: 1 });
  result.concurrent.forEach((vector, i) => {
    const reference = result.sequential[i] ?? [];
    expect(vector).toHaveLength(512);
    const maxDiff = Math.max(...vector.map((v, j) => Math.abs(v - (reference[j] ?? Number.NaN))));
    expect(maxDiff, `text ${i}`).toBeLessThan(1e-4);
  });
});

test('generation reports time to first token, inter-token latency and token counts to the metrics', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const generator = await runtime.textGeneration({ backend: 'wasm', name: 'decoder' });
    const stats = await generator.generate('The page runs models in', { maxNewTokens: 6 }).stats;
    const model = runtime.metrics.snapshot().models.find((m) => m.name === 'decoder');
    const prometheus = runtime.metrics.prometheus();
    await runtime.dispose();
    return { stats: { promptTokens: stats.promptTokens, generatedTokens: stats.generatedTokens, ttft: stats.timeToFirstTokenMs }, model, prometheus };
  });
  const generation = result.model?.generation;
  expect(result.model?.completed).toBe(1);
  expect(generation?.timeToFirstTokenMs.total.count).toBe(1);
  expect(Math.abs((generation?.timeToFirstTokenMs.total.p50 ?? 0) - result.stats.ttft) / result.stats.ttft).toBeLessThanOrEqual(0.01);
  expect(generation?.interTokenMs.total.count).toBe(result.stats.generatedTokens - 1);
  expect(generation?.promptTokens.total.max).toBe(result.stats.promptTokens);
  expect(generation?.outputTokens.total.max).toBe(6);
  expect(generation?.tokensPerSecond.total.p50).toBeGreaterThan(0);
  expect(result.prometheus).toContain('inpage_time_to_first_token_ms_count{model="decoder",modality="text",backend="wasm"} 1');
});
