/**
 * Damaged cache entries on the two main-thread tiers, as a faulty disk would leave them:
 * every stored value overwritten in place with the same number of other bytes. Each is
 * caught by its checksum on read, dropped, counted in `integrityFailures` and computed
 * again: the answer equals an uncached run. (Weights: `cache-weights.spec.ts`; KV-prefix
 * blocks: `kv-prefix.spec.ts`.)
 */
import { damageStoredParts } from './fixtures/idb-damage';
import { expect, test } from './fixtures/page';

const texts = ['How old are you?', 'What is your age?', 'The weather is lovely today.'];

test('embedding vectors damaged in IndexedDB are dropped, counted and computed again: the same vectors as the model gives', async ({ harness }) => {
  const computed = await harness.evaluate(async (texts) => {
    const runtime = window.inpage.createRuntime();
    const encoder = await runtime.embeddings({ backend: 'wasm' });
    const vectors = (await encoder.embed(texts)).map((v) => [...v]);
    await encoder.cache?.settled();
    await runtime.dispose();
    return vectors;
  }, texts);
  expect(await damageStoredParts(harness, 'inpage-embeddings', 'flip')).toBeGreaterThanOrEqual(texts.length);
  const after = await harness.evaluate(async (texts) => {
    const runtime = window.inpage.createRuntime();
    const encoder = await runtime.embeddings({ backend: 'wasm' });
    const detailed = await encoder.embedDetailed(texts);
    await encoder.cache?.settled();
    const caches = runtime.metrics.snapshot().caches.find((c) => c.name === 'embeddings');
    await runtime.dispose();
    // A third runtime: the vectors computed again were stored again, and are good.
    const third = window.inpage.createRuntime();
    const again = await (await third.embeddings({ backend: 'wasm' })).embedDetailed(texts);
    await third.dispose();
    return {
      vectors: detailed.embeddings.map((v) => [...v]),
      hits: detailed.cacheHits,
      engineCalls: detailed.timings.engineCalls,
      integrityFailures: caches?.integrityFailures,
      againHits: again.cacheHits,
      againVectors: again.embeddings.map((v) => [...v]),
    };
  }, texts);
  expect(after.hits).toBe(0);
  expect(after.engineCalls).toBeGreaterThanOrEqual(1);
  expect(after.integrityFailures).toBe(texts.length);
  for (const [i, vector] of after.vectors.entries()) vector.forEach((x, j) => expect(x).toBeCloseTo(computed[i]?.[j] ?? Number.NaN, 5));
  expect(after.againHits).toBe(texts.length);
  for (const [i, vector] of after.againVectors.entries()) vector.forEach((x, j) => expect(x).toBeCloseTo(computed[i]?.[j] ?? Number.NaN, 5));
});

test('semantic-cache entries damaged in IndexedDB are dropped and counted; the decoder answers as without the cache', async ({ harness }) => {
  test.slow(); // two models on two workers, three times
  const run = (phase: 'store' | 'read') =>
    harness.evaluate(async (phase) => {
      const runtime = window.inpage.createRuntime();
      const encoder = await runtime.embeddings({ backend: 'wasm', variant: 'uint8' });
      const embed = async (text: string) => (await encoder.embed(text))[0] ?? new Float32Array(0);
      const generator = await runtime.textGeneration({ backend: 'wasm', semanticCache: { embed, threshold: 0.8 } });
      const stats = await generator.generate(phase === 'store' ? 'How old are you?' : 'What is your age?', { maxNewTokens: 6 }).stats;
      const results = () => runtime.metrics.snapshot().caches.find((c) => c.name === 'results');
      // The entry reaches IndexedDB off the hot path.
      for (let i = 0; phase === 'store' && i < 200 && (results()?.stores ?? 0) < 1; i += 1) await new Promise((r) => setTimeout(r, 50));
      const plain =
        phase === 'read' ? (await (await runtime.textGeneration({ backend: 'wasm' })).generate('What is your age?', { maxNewTokens: 6 }).stats).text : '';
      const out = { text: stats.text, hit: stats.semanticHit ?? null, plain, results: results() };
      await runtime.dispose();
      return out;
    }, phase);
  const stored = await run('store');
  expect(stored.results?.stores).toBeGreaterThanOrEqual(1);
  expect(await damageStoredParts(harness, 'inpage-results', 'flip')).toBeGreaterThanOrEqual(1);
  const read = await run('read');
  expect(read.hit).toBeNull();
  expect(read.text).toBe(read.plain);
  expect(read.results?.integrityFailures).toBeGreaterThanOrEqual(1);
});
