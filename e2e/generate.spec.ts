/**
 * Text generation with a KV cache (the generated GPT-2-architecture decoders from
 * scripts/make-decoder.mjs, GPT-2 BPE) in a worker, on WebGPU and on WASM.
 *
 * WebGPU here is SwiftShader (a CPU Vulkan): one decoder step costs seconds there (the
 * 50 257-wide vocabulary projection dominates), against milliseconds on WASM. So WebGPU
 * runs fewer tokens and gets a longer timeout; the assertions are the same.
 */
import { backends, expect, test } from './fixtures/page';

const prompt = 'The page runs models in';
const newTokens = (backend: string): number => (backend === 'webgpu' ? 4 : 16);

for (const backend of backends) {
  test(`greedy decoding with the KV cache equals the no-cache reference on ${backend}`, async ({ harness }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU: seconds per decoder step');
    const result = await harness.evaluate(
      async ({ backend, prompt, maxNewTokens }) => {
        const runtime = window.inpage.createRuntime();
        const generator = await runtime.textGeneration({ backend });
        const cached = generator.generate(prompt, { maxNewTokens });
        const pieces: string[] = [];
        for await (const piece of cached) pieces.push(piece);
        const withCache = await cached.stats;
        const withoutCache = await generator.generate(prompt, { maxNewTokens, useKvCache: false }).stats;
        const out = { backend: generator.backend, facts: generator.facts, pieces, withCache, withoutCache };
        await runtime.dispose();
        return out;
      },
      { backend, prompt, maxNewTokens: newTokens(backend) },
    );
    const { withCache, withoutCache } = result;
    expect(result.backend).toBe(backend);
    expect(result.facts).toMatchObject({ layers: 4, kvHeads: 4, headDim: 64, vocab: 50257, maxContext: 1024, kvHeadsFrom: 'graph', headDimFrom: 'graph' });
    expect(withCache.promptTokens).toBe(5); // The · page · runs · models · in
    expect(withCache.finishReason).toBe('length');
    expect(withCache.generatedTokens).toBe(newTokens(backend));
    expect(withCache.tokenIds).toEqual(withoutCache.tokenIds);
    expect(new Set(withCache.tokenIds).size, 'the fixture model should not repeat one token').toBeGreaterThan(2);
    // Prefill feeds the prompt once; every later step feeds only the newest token.
    expect(withCache.steps.map((s) => s.stepInputLength)).toEqual([5, ...Array<number>(newTokens(backend) - 1).fill(1)]);
    expect(withoutCache.steps.map((s) => s.stepInputLength)).toEqual(withCache.steps.map((_, i) => 5 + i));
    expect(result.pieces.join('')).toBe(withCache.text);
    expect(withCache.text).toBe(withoutCache.text);
    expect(withCache.timeToFirstTokenMs).toBeGreaterThan(0);
    expect(withCache.tokensPerSecond).toBeGreaterThan(0);
    expect(withCache.steps.at(-1)?.openSessions).toBe(0);
  });

  test(`concurrent generations decode as one batch, each with the tokens it gets alone, on ${backend}`, async ({ harness }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU: seconds per decoder step');
    const prompts = ['The page runs models in', 'Once upon a time', 'A', 'Shared prefixes are cheap when the cache'];
    const result = await harness.evaluate(
      async ({ backend, prompts, maxNewTokens }) => {
        const runtime = window.inpage.createRuntime();
        const generator = await runtime.textGeneration({ backend });
        const alone: (readonly number[])[] = [];
        for (const prompt of prompts) alone.push((await generator.generate(prompt, { maxNewTokens }).stats).tokenIds);
        const runs = prompts.map((prompt, i) => generator.generate(prompt, { maxNewTokens: maxNewTokens + i }));
        const together = await Promise.all(runs.map((run) => run.stats));
        const out = {
          alone,
          together: together.map((stats) => stats.tokenIds),
          batchSizes: together.map((stats) => stats.steps.map((step) => step.batchSize)),
          open: together.map((stats) => stats.steps.at(-1)?.openSessions),
          expected: {
            prompt: [...alone.keys()].reduce((n, i) => n + 2 * (together[i]?.promptTokens ?? 0), 0),
            generated: together.reduce((n, stats, i) => n + stats.generatedTokens + (alone[i]?.length ?? 0), 0),
          },
          tokens: runtime.metrics.snapshot().models.find((m) => m.name === generator.name)?.generation?.tokens,
          batchSizeMax: runtime.metrics.snapshot().models.find((m) => m.name === generator.name)?.generation?.decodeBatchSize.total.max,
          prometheus: runtime.metrics.prometheus(),
        };
        await runtime.dispose();
        return out;
      },
      { backend, prompts, maxNewTokens: backend === 'webgpu' ? 3 : 8 },
    );
    // Greedy: each sequence, decoded in a padded batch beside the others, equals itself alone.
    result.together.forEach((ids, i) => expect(ids.slice(0, result.alone[i]?.length)).toEqual(result.alone[i]));
    // Every prefill ran alone; decode steps ran with the others (all 4 once every prefill joined).
    for (const sizes of result.batchSizes) expect(sizes[0]).toBe(1);
    expect(Math.max(...result.batchSizes.flat())).toBe(4);
    expect(result.batchSizes[3]?.at(-1)).toBe(1); // the longest request ends alone
    expect(result.open.at(-1)).toBe(0);
    // Token accounting over all 8 generations (4 alone, 4 together), in the snapshot and for Prometheus.
    expect(result.tokens).toEqual({ prompt: result.expected.prompt, cachedPrompt: 0, generated: result.expected.generated });
    expect(result.batchSizeMax).toBe(4);
    expect(result.prometheus).toMatch(
      new RegExp(`inpage_generated_tokens_total\\{model="generate-1",modality="text",backend="${backend}"\\} ${result.expected.generated}\\n`),
    );
    expect(result.prometheus).toMatch(/inpage_decode_step_ms_count\{model="generate-1"[^}]*\} [1-9]/);
  });

  test(`aborting stops within one token and frees the cache on ${backend}`, async ({ harness }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU: seconds per decoder step');
    const result = await harness.evaluate(
      async ({ backend, prompt }) => {
        const runtime = window.inpage.createRuntime();
        const generator = await runtime.textGeneration({ backend });
        const controller = new AbortController();
        const run = generator.generate(prompt, { maxNewTokens: 64, signal: controller.signal });
        let tokensAtAbort = -1;
        const iteration = window.harness.caught(
          (async () => {
            for await (const piece of run) {
              void piece;
              if (tokensAtAbort < 0 && run.steps.length >= 3) {
                tokensAtAbort = run.steps.length;
                controller.abort();
              }
            }
          })(),
        );
        const iteratorError = await iteration;
        const statsError = await window.harness.caught(run.stats);
        const tokensAfter = run.steps.length;
        const next = await generator.generate(prompt, { maxNewTokens: 3 }).stats;
        await runtime.dispose();
        return { tokensAtAbort, tokensAfter, iteratorError, statsError, next };
      },
      { backend, prompt },
    );
    expect(result.iteratorError?.code).toBe('ABORTED');
    expect(result.statsError?.code).toBe('ABORTED');
    expect(result.tokensAtAbort).toBeGreaterThanOrEqual(3);
    expect(result.tokensAfter - result.tokensAtAbort).toBeLessThanOrEqual(1);
    // The aborted session's cache is gone: the next generation is the only one open.
    expect(result.next.steps.map((s) => s.openSessions)).toEqual([1, 1, 0]);
    expect(result.next.generatedTokens).toBe(3);
  });

  test(`bad prompts and options are rejected and the task keeps working on ${backend}`, async ({ harness }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU: seconds per decoder step');
    const result = await harness.evaluate(
      async ({ backend, prompt }) => {
        const runtime = window.inpage.createRuntime();
        const generator = await runtime.textGeneration({ backend });
        const { caught } = window.harness;
        const later = (fn: () => unknown): Promise<unknown> => Promise.resolve().then(fn);
        const tooLong = await caught(generator.generate(Array<string>(1100).fill('the').join(' '), { maxNewTokens: 2 }).stats);
        const empty = await caught(later(() => generator.generate('')));
        const options = await Promise.all(
          [{ maxNewTokens: 0 }, { maxNewTokens: 2.5 }, { temperature: -1 }, { temperature: Number.NaN }, { topK: -1 }, { topK: 1.5 }].map((o) =>
            caught(later(() => generator.generate(prompt, o))),
          ),
        );
        const after = await generator.generate(prompt, { maxNewTokens: 2 }).stats;
        await runtime.dispose();
        return { tooLong, empty, options, after };
      },
      { backend, prompt },
    );
    expect(result.tooLong).toMatchObject({ code: 'INVALID_INPUT', input: 'prompt', expected: '≤ 1024 tokens', got: '1100 tokens' });
    expect(result.empty).toMatchObject({ code: 'INVALID_INPUT', input: 'prompt' });
    expect(result.options.map((e) => [e?.code, e?.input])).toEqual([
      ['INVALID_OPTIONS', 'maxNewTokens'],
      ['INVALID_OPTIONS', 'maxNewTokens'],
      ['INVALID_OPTIONS', 'temperature'],
      ['INVALID_OPTIONS', 'temperature'],
      ['INVALID_OPTIONS', 'topK'],
      ['INVALID_OPTIONS', 'topK'],
    ]);
    expect(result.after).toMatchObject({ generatedTokens: 2, finishReason: 'length' });
    expect(result.after.steps[0]?.openSessions).toBe(1);
  });

  test(`a grouped-query-attention decoder of another size loads from its graph on ${backend}`, async ({ harness }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU: seconds per decoder step');
    const result = await harness.evaluate(
      async ({ backend, prompt, maxNewTokens }) => {
        const runtime = window.inpage.createRuntime();
        const modelUrl = '/models/decoder-gqa/decoder.onnx';
        const generator = await runtime.textGeneration({ backend, modelUrl });
        const withCache = await generator.generate(prompt, { maxNewTokens }).stats;
        const withoutCache = await generator.generate(prompt, { maxNewTokens, useKvCache: false }).stats;
        const short = await runtime.textGeneration({ backend, modelUrl, maxContext: 8 });
        const full = await short.generate(prompt, { maxNewTokens: 50 }).stats;
        const out = { facts: generator.facts, shortFacts: short.facts, withCache, withoutCache, full };
        await runtime.dispose();
        return out;
      },
      { backend, prompt, maxNewTokens: newTokens(backend) },
    );
    expect(result.facts).toMatchObject({
      layers: 2,
      kvHeads: 2,
      headDim: 32,
      vocab: 50257,
      maxContext: 512,
      heads: 4,
      kvHeadsFrom: 'graph',
      headDimFrom: 'graph',
      vocabFrom: 'graph',
      maxContextFrom: 'config',
    });
    expect(result.withCache.tokenIds).toEqual(result.withoutCache.tokenIds);
    expect(result.withCache.steps.map((s) => s.stepInputLength)).toEqual([5, ...Array<number>(newTokens(backend) - 1).fill(1)]);
    // maxContext 8: the prompt's 5 positions plus 3 fed tokens fill it; the 4th new token ends it.
    expect(result.shortFacts).toMatchObject({ maxContext: 8, maxContextFrom: 'option' });
    expect(result.full).toMatchObject({ finishReason: 'context', generatedTokens: 4 });
  });

  test(`seeded sampling is reproducible on ${backend}`, async ({ harness }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU: seconds per decoder step');
    const result = await harness.evaluate(
      async ({ backend, prompt, maxNewTokens }) => {
        const runtime = window.inpage.createRuntime();
        const generator = await runtime.textGeneration({ backend });
        const sample = async (seed: number): Promise<readonly number[]> =>
          (await generator.generate(prompt, { maxNewTokens, temperature: 0.8, topK: 40, seed }).stats).tokenIds;
        const out = {
          first: await sample(1),
          again: await sample(1),
          other: await sample(2),
          greedy: (await generator.generate(prompt, { maxNewTokens }).stats).tokenIds,
        };
        await runtime.dispose();
        return out;
      },
      { backend, prompt, maxNewTokens: newTokens(backend) },
    );
    expect(result.first).toHaveLength(newTokens(backend));
    expect(result.again).toEqual(result.first);
    expect(result.other).not.toEqual(result.first);
    expect(result.first).not.toEqual(result.greedy);
  });
}
