/**
 * The embedding cache on the real USE-lite model: repeated texts are answered on the
 * main thread (no engine call), from memory and, in a new runtime, from IndexedDB, with
 * the very vectors the model computed; mixed batches compute only the new texts; the
 * hits and misses reach the metrics; `cache: false` always computes.
 */
import { expect, test } from './fixtures/page';

const texts = ['How old are you?', 'What is your age?', 'The weather is lovely today.'];

test('embeddings are cached by exact text: memory hits, IndexedDB hits after a new runtime, equal vectors', async ({ harness }) => {
  const result = await harness.evaluate(async (texts) => {
    const { createRuntime } = window.inpage;
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;
    const first = createRuntime();
    const encoder = await first.embeddings({ backend: 'wasm' });
    const computed = await encoder.embedDetailed(texts);
    const again = await encoder.embedDetailed(texts);
    const mixed = await encoder.embedDetailed([texts[0] ?? '', 'A sentence never seen before.']);
    // Hit latency vs compute latency, one text at a time.
    const hitMs: number[] = [];
    for (let i = 0; i < 50; i += 1) {
      const t = performance.now();
      await encoder.embed(texts[i % texts.length] ?? '');
      hitMs.push(performance.now() - t);
    }
    const uncached = await first.embeddings({ backend: 'wasm', cache: false });
    const off = await uncached.embedDetailed(texts);
    await encoder.cache?.settled(); // the IndexedDB writes are off the hot path
    const firstCaches = first.metrics.snapshot().caches.find((c) => c.name === 'embeddings');
    await first.dispose();

    // A new runtime (as after a reload): its memory is empty, IndexedDB answers.
    const second = createRuntime();
    const encoder2 = await second.embeddings({ backend: 'wasm' });
    const fromDisk = await encoder2.embedDetailed(texts);
    const secondCaches = second.metrics.snapshot().caches.find((c) => c.name === 'embeddings');
    await second.dispose();
    const maxDiff = (a: Float32Array[], b: Float32Array[]) =>
      Math.max(...a.map((v, i) => Math.max(...v.map((x, j) => Math.abs(x - (b[i]?.[j] ?? Number.NaN))))));
    return {
      computedCalls: computed.timings.engineCalls,
      computedHits: computed.cacheHits,
      againCalls: again.timings.engineCalls,
      againHits: again.cacheHits,
      againDiff: maxDiff(again.embeddings, computed.embeddings),
      againTokens: again.tokenCounts,
      computedTokens: computed.tokenCounts,
      mixedCalls: mixed.timings.engineCalls,
      mixedHits: mixed.cacheHits,
      mixedDiff: maxDiff(mixed.embeddings.slice(0, 1), computed.embeddings.slice(0, 1)),
      hitMedianMs: median(hitMs),
      offCalls: off.timings.engineCalls,
      offHits: off.cacheHits,
      firstCaches,
      fromDiskCalls: fromDisk.timings.engineCalls,
      fromDiskHits: fromDisk.cacheHits,
      fromDiskDiff: maxDiff(fromDisk.embeddings, computed.embeddings),
      secondCaches,
    };
  }, texts);

  expect(result).toMatchObject({ computedCalls: 1, computedHits: 0, againCalls: 0, againHits: 3, mixedCalls: 1, mixedHits: 1, offCalls: 1 });
  expect(result.offHits).toBeUndefined();
  expect(result.againDiff).toBe(0);
  expect(result.mixedDiff).toBe(0);
  expect(result.againTokens).toEqual(result.computedTokens);
  expect(result.firstCaches).toMatchObject({ hits: 3 + 1 + 50, misses: 3 + 1, hitsByTier: { memory: 54 } });
  expect(result.firstCaches?.stores).toBeGreaterThanOrEqual(1);
  expect(result.fromDiskCalls).toBe(0);
  expect(result.fromDiskHits).toBe(3);
  expect(result.fromDiskDiff).toBe(0);
  expect(result.secondCaches).toMatchObject({ hits: 3, misses: 0, hitsByTier: { indexeddb: 3 } });
  test.info().annotations.push({ type: 'embedding cache hit median', description: `${result.hitMedianMs.toFixed(3)} ms (memory tier, embed() round trip)` });
});
