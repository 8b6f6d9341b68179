/**
 * The opt-in semantic result cache on the real decoder and USE-lite (wasm): a paraphrase
 * of a cached prompt gets the cached completion without running the decoder, an
 * unrelated prompt misses and runs, different settings never match, and the counts reach
 * the cache's stats and the runtime's metrics. Off by default.
 */
import { expect, test } from './fixtures/page';

test('a paraphrase hits the semantic cache, an unrelated prompt misses; off by default', async ({ harness }) => {
  test.slow(); // two models load on two workers
  const result = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const encoder = await runtime.embeddings({ backend: 'wasm', variant: 'uint8' });
    const embed = async (text: string) => (await encoder.embed(text))[0] ?? new Float32Array(0);
    const generator = await runtime.textGeneration({ backend: 'wasm', semanticCache: { embed, threshold: 0.8, persist: false } });
    const plain = await runtime.textGeneration({ backend: 'wasm' });
    const run = async (g: typeof generator, prompt: string, maxNewTokens = 6) => {
      const stats = await g.generate(prompt, { maxNewTokens }).stats;
      return { text: stats.text, hit: stats.semanticHit ?? null, engineCalls: stats.steps.reduce((n, s) => n + s.timings.engineCalls, 0) };
    };
    const first = await run(generator, 'How old are you?');
    const paraphrase = await run(generator, 'What is your age?');
    const unrelated = await run(generator, 'I would like to book a flight to Paris.');
    const otherSettings = await run(generator, 'What is your age?', 4);
    const reference = await run(plain, 'What is your age?');
    const stats = generator.semanticCache?.stats();
    const caches = runtime.metrics.snapshot().caches.find((c) => c.name === 'results');
    const offByDefault = plain.semanticCache === undefined;
    const bad = await window.harness.caught(runtime.textGeneration({ backend: 'wasm', semanticCache: { embed, threshold: 1.5 } }));
    await runtime.dispose();
    return { first, paraphrase, unrelated, otherSettings, reference, stats, caches, offByDefault, bad };
  });

  expect(result.first.hit).toBeNull();
  expect(result.first.engineCalls).toBeGreaterThan(0);
  expect(result.paraphrase.hit).toMatchObject({ prompt: 'How old are you?' });
  expect(result.paraphrase.hit?.similarity).toBeGreaterThanOrEqual(0.8);
  expect(result.paraphrase.text).toBe(result.first.text); // the cached completion, not the model's own answer to it
  expect(result.paraphrase.engineCalls).toBe(0);
  expect(result.reference.text).not.toBe(''); // the decoder does answer the paraphrase itself when asked without the cache
  expect(result.unrelated.hit).toBeNull();
  expect(result.unrelated.engineCalls).toBeGreaterThan(0);
  expect(result.otherSettings.hit).toBeNull(); // maxNewTokens differs: never served from another setting
  expect(result.stats).toMatchObject({ hits: 1, misses: 3, entries: 3, threshold: 0.8 });
  expect(result.caches).toMatchObject({ hits: 1, misses: 3 });
  expect(result.offByDefault).toBe(true);
  expect(result.bad).toMatchObject({ code: 'INVALID_OPTIONS', input: 'semanticCache.threshold' });
  test.info().annotations.push({ type: 'paraphrase similarity', description: (result.paraphrase.hit?.similarity ?? 0).toFixed(3) });
});
