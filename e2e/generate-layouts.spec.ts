/**
 * Decoder layouts that real exports have and the shipped GPT-2 fixture does not: the
 * Llama family (rotary positions, RMSNorm, SwiGLU, grouped-query attention, a
 * `num_logits_to_keep` input): merged (`use_cache_branch`) with `position_ids`, unmerged
 * without them, and on ONNX Runtime's contrib ops as ONNX Runtime GenAI's builder exports
 * it (GroupQueryAttention with the rotary inside, 4-bit MatMulNBits, no position_ids). The
 * fixtures come from `node/generators/decoder-llama.ts` and `decoder-contrib.ts` (random
 * weights, the real graphs' names and ops). Each must load from its graph, decode greedily
 * the same with and without the KV cache, and give each of several concurrent generations
 * the tokens it gets alone. The shipped GPT-2 fixture's weights on ONNX Runtime's fused ops
 * (`decoder-fused`, as its transformer optimizer exports GPT-2) must decode what the
 * shipped decoder does.
 */
import { backends, expect, test } from './fixtures/page';

const prompts = ['The page runs models in', 'Once upon a time', 'A'];

for (const backend of backends) {
  for (const dir of ['decoder-llama', 'decoder-llama-nopos', 'decoder-llama-contrib']) {
    test(`the ${dir} layout loads and decodes the same cached, uncached and batched on ${backend}`, async ({ harness }) => {
      test.slow(backend === 'webgpu', 'SwiftShader WebGPU: seconds per decoder step');
      // SwiftShader runs a step in ~1 s: fewer tokens and prompts there (still a batch of 2).
      const maxNewTokens = backend === 'webgpu' ? 3 : 8;
      const layoutPrompts = backend === 'webgpu' ? prompts.slice(0, 2) : prompts;
      const result = await harness.evaluate(
        async ({ backend, dir, prompts, maxNewTokens }) => {
          const runtime = window.inpage.createRuntime({ cache: { kvPrefix: false } });
          const generator = await runtime.textGeneration({ backend, modelUrl: `/models/${dir}/decoder.onnx` });
          const withCache = await generator.generate(prompts[0] ?? '', { maxNewTokens }).stats;
          const withoutCache = await generator.generate(prompts[0] ?? '', { maxNewTokens, useKvCache: false }).stats;
          const alone: (readonly number[])[] = [withCache.tokenIds]; // prompts[0] alone, just run
          for (const prompt of prompts.slice(1)) alone.push((await generator.generate(prompt, { maxNewTokens }).stats).tokenIds);
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
        { backend, dir, prompts: layoutPrompts, maxNewTokens },
      );
      const nopos = dir === 'decoder-llama-nopos';
      const contrib = dir === 'decoder-llama-contrib';
      expect(result.facts).toMatchObject({
        layers: 2,
        heads: 4,
        kvHeads: 2,
        headDim: 32,
        vocab: 50257,
        maxContext: 512,
        logitsToKeep: contrib ? 'none' : 'num_logits_to_keep',
        positionIds: nopos || contrib ? 'none' : 'input',
        cacheBranch: dir === 'decoder-llama' ? 'use_cache_branch' : 'none', // decoder-llama is merged: an If on use_cache_branch
        // GroupQueryAttention reads each row's cache from column 0 and counts its positions from its length.
        kvPadding: contrib ? 'right' : 'left',
        attention: contrib ? 'GroupQueryAttention' : expect.stringMatching(/^plain ops/),
        // ONNX Runtime Web 1.30's WebGPU GroupQueryAttention rotates every row at the first row's positions.
        maxBatchSize: nopos || (contrib && backend === 'webgpu') ? 1 : 16,
      });
      // On WebGPU the unmerged graphs keep their cache in GPU buffers; the merged one round-trips
      // it (ONNX Runtime Web 1.30 stalls now and then when an If meets GPU-resident past).
      if (backend === 'wasm') expect(result.facts.kvBetweenSteps).toBe('cpu');
      else if (dir !== 'decoder-llama') expect(result.facts.kvBetweenSteps).toBe('gpu-buffer');
      else expect(result.facts.kvBetweenSteps).toMatch(/^cpu: a merged decoder/);
      // Rotary positions through the cache: the same greedy tokens as re-running the whole sequence.
      expect(result.withCache.tokenIds).toEqual(result.withoutCache.tokenIds);
      expect(result.withCache.tokenIds).toHaveLength(maxNewTokens);
      expect(result.withCache.steps.map((s) => s.stepInputLength)).toEqual([5, ...Array<number>(maxNewTokens - 1).fill(1)]);
      expect(new Set(result.alone.map((ids) => ids.join())).size).toBe(layoutPrompts.length); // the prompts lead somewhere different
      expect(result.together).toEqual(result.alone);
      // With position_ids (or GroupQueryAttention's own positions) the decode steps batch;
      // plain attention without them would see padding shift positions, so one at a time.
      expect(Math.max(...result.batchSizes)).toBe(nopos || (contrib && backend === 'webgpu') ? 1 : layoutPrompts.length);
    });
  }
}

// ONNX Runtime's fused GPT-2 (MultiHeadAttention, SkipLayerNormalization, Gelu: what its
// transformer optimizer exports for GPUs) with the shipped decoder's weights: the same
// function, so the same greedy tokens as the shipped decoder, cached, uncached and batched.
for (const backend of backends) {
  test(`the fused decoder-fused layout decodes what the shipped decoder does on ${backend}`, async ({ harness }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU: seconds per decoder step');
    // SwiftShader runs a step of this 4-layer decoder in ~1 s: fewer tokens and prompts there,
    // and the uncached path (a whole-sequence run per token) only on WASM.
    const maxNewTokens = backend === 'webgpu' ? 3 : 8;
    const fusedPrompts = backend === 'webgpu' ? prompts.slice(0, 2) : prompts;
    const result = await harness.evaluate(
      async ({ backend, prompts, maxNewTokens }) => {
        const runtime = window.inpage.createRuntime({ cache: { kvPrefix: false } });
        const plain = await runtime.textGeneration({ backend, name: 'plain' });
        const fused = await runtime.textGeneration({ backend, name: 'fused', modelUrl: '/models/decoder-fused/decoder.onnx' });
        const reference = await Promise.all(prompts.map((prompt) => plain.generate(prompt, { maxNewTokens }).stats));
        const uncached = backend === 'wasm' ? (await fused.generate(prompts[0] ?? '', { maxNewTokens, useKvCache: false }).stats).tokenIds : undefined;
        const together = await Promise.all(prompts.map((prompt) => fused.generate(prompt, { maxNewTokens }).stats));
        const out = {
          facts: fused.facts,
          plainAttention: plain.facts.attention,
          reference: reference.map((stats) => stats.tokenIds),
          uncached,
          together: together.map((stats) => stats.tokenIds),
          batchSizes: together.flatMap((stats) => stats.steps.map((step) => step.batchSize)),
        };
        await runtime.dispose();
        return out;
      },
      { backend, prompts: fusedPrompts, maxNewTokens },
    );
    expect(result.facts).toMatchObject({
      layers: 4,
      heads: 4,
      kvHeads: 4,
      headDim: 64,
      vocab: 50257,
      maxContext: 1024,
      positionIds: 'input',
      kvPadding: 'left',
      attention: 'MultiHeadAttention',
    });
    expect(result.facts.kvBetweenSteps).toBe(backend === 'wasm' ? 'cpu' : 'gpu-buffer');
    expect(result.plainAttention).toMatch(backend === 'webgpu' ? /^plain ops: ONNX Runtime Web fuses none for WebGPU/ : /^plain ops$/);
    expect(new Set(result.reference.map((ids) => ids.join())).size).toBe(fusedPrompts.length);
    expect(result.reference[0]).toHaveLength(maxNewTokens);
    expect(result.together).toEqual(result.reference);
    if (backend === 'wasm') expect(result.uncached).toEqual(result.reference[0]);
    expect(Math.max(...result.batchSizes)).toBe(fusedPrompts.length);
  });
}

// GroupQueryAttention prefills a cached prefix's suffix as a "subsequent prompt": its
// positions and the past it attends to come from seqlens_k, not from position_ids.
const longPrompt =
  'The page runs models in a worker, batches their requests, caches their weights and their prefixes, and measures every stage of every call it makes, then shows the latency of each one on a live chart';

for (const backend of backends) {
  test(`the decoder-llama-contrib layout reuses a cached prompt prefix with the same tokens on ${backend}`, async ({ harness }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU: seconds per decoder step');
    const result = await harness.evaluate(
      async ({ backend, prompt }) => {
        const runtime = window.inpage.createRuntime({ cache: { kvPrefix: { persist: false } } });
        const generator = await runtime.textGeneration({ backend, modelUrl: '/models/decoder-llama-contrib/decoder.onnx' });
        const first = await generator.generate(prompt, { maxNewTokens: 3 }).stats;
        const second = await generator.generate(prompt, { maxNewTokens: 3 }).stats;
        await runtime.dispose();
        return { first, second };
      },
      { backend, prompt: longPrompt },
    );
    expect(result.first.cachedPromptTokens).toBe(0);
    expect(result.first.promptTokens).toBeGreaterThan(32);
    expect(result.second.cachedPromptTokens).toBe(Math.floor((result.first.promptTokens - 1) / 16) * 16);
    expect(result.second.steps[0]?.stepInputLength).toBe(result.second.promptTokens - result.second.cachedPromptTokens);
    // The suffix prefilled over the cached prefix continues exactly as the whole prompt did.
    expect(result.second.tokenIds).toEqual(result.first.tokenIds);
    expect(result.second.tokenIds).toHaveLength(3);
  });
}
