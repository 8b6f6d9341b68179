/**
 * The KV prefix cache on the generated decoders: a prompt sharing a long prefix with an
 * earlier one prefills only its own suffix, greedy output equals a runtime without the
 * cache (`cache: { kvPrefix: false }`), and after a page reload a new runtime reuses the
 * prefix from IndexedDB.
 *
 * Expected reuse is computed here with the same GPT-2 BPE: the longest common token
 * prefix of the two prompts, cut to whole 16-token blocks, never the last prompt token.
 * WebGPU (SwiftShader, seconds per step) runs one short prompt pair only.
 */
import type { Page } from '@playwright/test';
import { encode } from 'gpt-3-encoder';
import type { GenerationStats } from '../src/index';
import { damageStoredParts } from './fixtures/idb-damage';
import { expect, test } from './fixtures/page';

const blockTokens = 16;
const shared =
  'In-page inference keeps the model next to the user: no network round trip, no server bill, and the data never leaves the tab. ' +
  'The runtime loads an ONNX decoder into a Web Worker, tokenises the prompt with the GPT-2 byte-pair encoder, and prefills every token ' +
  'before the first new one can be sampled. A long system prompt or a shared document is the same for many requests, so recomputing its ' +
  'keys and values each time is wasted work; a prefix cache keeps them in blocks keyed by a hash chain and reuses them across requests and reloads.';
const prompts = {
  first: `${shared} Question one: what does the worker do?`,
  second: `${shared} Question two: why cache the keys and values?`,
  third: `${shared} Question three: what survives a reload?`,
};

/** Tokens the cache can supply to `prompt` after `earlier` was prefilled. */
function expectedReuse(earlier: string, prompt: string): number {
  const a = encode(earlier);
  const b = encode(prompt);
  let common = 0;
  while (common < Math.min(a.length, b.length) && a[common] === b[common]) common += 1;
  return Math.floor(Math.min(common, b.length - 1, Math.floor(a.length / blockTokens) * blockTokens) / blockTokens) * blockTokens;
}

interface Outcome {
  readonly tokenIds: number[];
  readonly promptTokens: number;
  readonly cachedPromptTokens: number;
  readonly firstStepInput: number;
}

/** Generate `prompt` greedily with and without the prefix cache (a second runtime), in the page. */
async function generatePair(page: Page, args: { backend: string; modelUrl?: string; earlier?: string; prompt: string; maxNewTokens: number }) {
  return page.evaluate(async ({ backend, modelUrl, earlier, prompt, maxNewTokens }) => {
    const { createRuntime } = window.inpage;
    const outcome = (stats: GenerationStats): Outcome => ({
      tokenIds: [...stats.tokenIds],
      promptTokens: stats.promptTokens,
      cachedPromptTokens: stats.cachedPromptTokens,
      firstStepInput: stats.steps[0]?.stepInputLength ?? -1,
    });
    const options = { backend: backend as 'wasm' | 'webgpu', ...(modelUrl === undefined ? {} : { modelUrl }) };
    const runtime = createRuntime();
    const generator = await runtime.textGeneration(options);
    const earlierRun = earlier === undefined ? undefined : outcome(await generator.generate(earlier, { maxNewTokens }).stats);
    const cached = outcome(await generator.generate(prompt, { maxNewTokens }).stats);
    const reference = createRuntime({ cache: { kvPrefix: false } });
    const plain = outcome(await (await reference.textGeneration(options)).generate(prompt, { maxNewTokens }).stats);
    // Blocks reach IndexedDB after the first token: wait for the writes before a reload.
    const kv = () => runtime.metrics.snapshot().caches.find((c) => c.name === 'kv-prefix');
    for (let i = 0; i < 200 && (kv()?.stores ?? 0) < 1; i++) await new Promise((r) => setTimeout(r, 50));
    const metrics = kv();
    await Promise.all([runtime.dispose(), reference.dispose()]);
    return { earlier: earlierRun, cached, plain, metrics };
  }, args);
}

test('a shared prefix is reused from memory and after a reload from IndexedDB, with identical greedy output (wasm)', async ({ harness }) => {
  test.setTimeout(240_000);
  const maxNewTokens = 12;
  const warm = await generatePair(harness, { backend: 'wasm', earlier: prompts.first, prompt: prompts.second, maxNewTokens });
  const promptTokens = encode(prompts.second).length;
  const reuse = expectedReuse(prompts.first, prompts.second);
  expect(reuse, 'the prompts should share several blocks').toBeGreaterThanOrEqual(5 * blockTokens);
  expect(warm.earlier?.cachedPromptTokens).toBe(0);
  expect(warm.earlier?.firstStepInput).toBe(encode(prompts.first).length);
  expect(warm.cached).toMatchObject({ promptTokens, cachedPromptTokens: reuse, firstStepInput: promptTokens - reuse });
  expect(warm.plain).toMatchObject({ promptTokens, cachedPromptTokens: 0, firstStepInput: promptTokens });
  expect(warm.cached.tokenIds).toEqual(warm.plain.tokenIds);
  expect(new Set(warm.cached.tokenIds).size, 'the fixture model should not repeat one token').toBeGreaterThan(2);
  expect(warm.metrics).toMatchObject({ hits: 1, misses: 1, hitsByTier: { memory: 1 } });
  expect(warm.metrics?.stores).toBeGreaterThanOrEqual(1);

  await harness.reload();
  await expect(harness.locator('#status')).toHaveText('ready');
  const reloaded = await generatePair(harness, { backend: 'wasm', prompt: prompts.third, maxNewTokens });
  const third = encode(prompts.third).length;
  const reuseAfterReload = Math.max(expectedReuse(prompts.first, prompts.third), expectedReuse(prompts.second, prompts.third));
  expect(reloaded.cached).toMatchObject({ promptTokens: third, cachedPromptTokens: reuseAfterReload, firstStepInput: third - reuseAfterReload });
  expect(reloaded.cached.tokenIds).toEqual(reloaded.plain.tokenIds);
  expect(reloaded.metrics).toMatchObject({ hits: 1, misses: 0, hitsByTier: { indexeddb: 1 } });
});

test('KV blocks damaged in IndexedDB are dropped and counted, never reused: output identical to an uncached run (wasm)', async ({ harness }) => {
  test.setTimeout(240_000);
  const maxNewTokens = 8;
  await generatePair(harness, { backend: 'wasm', prompt: prompts.first, maxNewTokens }); // stores the first prompt's blocks
  await harness.reload();
  await expect(harness.locator('#status')).toHaveText('ready');
  // Overwrite every stored block with the same number of other bytes, as a faulty disk would.
  const damaged = await damageStoredParts(harness, 'inpage-kv-prefix', 'negate-floats');
  expect(damaged).toBeGreaterThanOrEqual(5);
  const after = await generatePair(harness, { backend: 'wasm', prompt: prompts.second, maxNewTokens });
  expect(after.cached.tokenIds).toEqual(after.plain.tokenIds);
  expect(after.cached.cachedPromptTokens).toBe(0);
  expect(after.metrics?.integrityFailures).toBeGreaterThanOrEqual(1);
});

test('the GQA decoder reuses a shared prefix with identical greedy output (wasm)', async ({ harness }) => {
  const result = await generatePair(harness, {
    backend: 'wasm',
    modelUrl: '/models/decoder-gqa/decoder.onnx',
    earlier: prompts.first,
    prompt: prompts.second,
    maxNewTokens: 12,
  });
  const reuse = expectedReuse(prompts.first, prompts.second);
  expect(result.cached).toMatchObject({ cachedPromptTokens: reuse, firstStepInput: encode(prompts.second).length - reuse });
  expect(result.cached.tokenIds).toEqual(result.plain.tokenIds);
  expect(result.metrics).toMatchObject({ hitsByTier: { memory: 1 } });
});

test('a shared prefix is reused with identical greedy output on webgpu', async ({ harness }) => {
  test.slow(true, 'SwiftShader WebGPU: seconds per decoder step');
  const short = { earlier: 'The page runs models in a worker, off the main thread, on the fastest backend it has. First', prompt: '' };
  short.prompt = short.earlier.replace(/First$/, 'Second, it caches');
  const result = await generatePair(harness, { backend: 'webgpu', earlier: short.earlier, prompt: short.prompt, maxNewTokens: 2 });
  const reuse = expectedReuse(short.earlier, short.prompt);
  expect(reuse).toBe(blockTokens);
  expect(result.cached).toMatchObject({ cachedPromptTokens: reuse });
  expect(result.cached.tokenIds).toEqual(result.plain.tokenIds);
});
