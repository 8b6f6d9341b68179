/**
 * Decoder layouts that real exports have and the shipped GPT-2 fixture does not: the
 * Llama family (rotary positions, RMSNorm, SwiGLU, grouped-query attention, a
 * `num_logits_to_keep` input): merged (`use_cache_branch`) with `position_ids`, and
 * unmerged without them. The fixtures come
 * from `node/generators/decoder-llama.ts` (random weights, the real graphs' names and ops).
 * Each must load from its graph, decode greedily the same with and without the KV cache,
 * and give each of several concurrent generations the tokens it gets alone.
 */
import { backends, expect, test } from './fixtures/page';

const prompts = ['The page runs models in', 'Once upon a time', 'A'];

for (const backend of backends) {
  for (const dir of ['decoder-llama', 'decoder-llama-nopos']) {
    test(`the ${dir} layout loads and decodes the same cached, uncached and batched on ${backend}`, async ({ harness }) => {
      test.slow(backend === 'webgpu', 'SwiftShader WebGPU: seconds per decoder step');
      const maxNewTokens = backend === 'webgpu' ? 3 : 8;
      const result = await harness.evaluate(
        async ({ backend, dir, prompts, maxNewTokens }) => {
          const runtime = window.inpage.createRuntime({ cache: { kvPrefix: false } });
          const generator = await runtime.textGeneration({ backend, modelUrl: `/models/${dir}/decoder.onnx` });
          const withCache = await generator.generate(prompts[0] ?? '', { maxNewTokens }).stats;
          const withoutCache = await generator.generate(prompts[0] ?? '', { maxNewTokens, useKvCache: false }).stats;
          const alone: (readonly number[])[] = [];
          for (const prompt of prompts) alone.push((await generator.generate(prompt, { maxNewTokens }).stats).tokenIds);
          const together = await Promise.all(prompts.map((prompt) => generator.generate(prompt, { maxNewTokens }).stats));
          const out = {
            facts: generator.facts,
            withCache,
            withoutCache,
            alone,
            together: together.map((stats) => stats.tokenIds),
            batchSizes: together.flatMap((stats) => stats.steps.map((step) => step.batchSize)),
          };
          await runtime.dispose();
          return out;
        },
        { backend, dir, prompts, maxNewTokens },
      );
      const nopos = dir === 'decoder-llama-nopos';
      expect(result.facts).toMatchObject({
        layers: 2,
        heads: 4,
        kvHeads: 2,
        headDim: 32,
        vocab: 50257,
        maxContext: 512,
        logitsToKeep: 'num_logits_to_keep',
        positionIds: nopos ? 'none' : 'input',
        cacheBranch: nopos ? 'none' : 'use_cache_branch', // decoder-llama is merged: an If on use_cache_branch
        maxBatchSize: nopos ? 1 : 16,
      });
      // On WebGPU the unmerged graph keeps its cache in GPU buffers; the merged one round-trips
      // it (ONNX Runtime Web 1.30 stalls now and then when an If meets GPU-resident past).
      if (backend === 'wasm') expect(result.facts.kvBetweenSteps).toBe('cpu');
      else if (nopos) expect(result.facts.kvBetweenSteps).toBe('gpu-buffer');
      else expect(result.facts.kvBetweenSteps).toMatch(/^cpu: a merged decoder/);
      // Rotary positions through the cache: the same greedy tokens as re-running the whole sequence.
      expect(result.withCache.tokenIds).toEqual(result.withoutCache.tokenIds);
      expect(result.withCache.tokenIds).toHaveLength(maxNewTokens);
      expect(result.withCache.steps.map((s) => s.stepInputLength)).toEqual([5, ...Array<number>(maxNewTokens - 1).fill(1)]);
      expect(new Set(result.alone.map((ids) => ids.join())).size).toBe(prompts.length); // the prompts lead somewhere different
      expect(result.together).toEqual(result.alone);
      // With position_ids the decode steps batch; without, padding would shift positions, so one at a time.
      expect(Math.max(...result.batchSizes)).toBe(nopos ? 1 : prompts.length);
    });
  }
}
