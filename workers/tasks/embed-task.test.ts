import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidInputError, ModelLoadError } from '../../src/errors';
import type { EmbedTaskSpec, ModelInfo, RunResult, TensorMap } from '../../src/protocol';
import { tensor } from '../../src/tensor';
import { testCacheConfig } from './test-context';
import type { TaskContext } from './context';
import { EmbedWorkerTask, packTokens, splitAndNormalise } from './embed-task';

const vocabularyText = readFileSync(new URL('../../public/models/use-lite/vocab.json', import.meta.url), 'utf8');
const outputName = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';

const spec: EmbedTaskSpec = {
  kind: 'embed',
  taskId: 'embed-1',
  backend: 'wasm',
  modelUrl: 'https://test/use-lite/fp32/model.json',
  vocabUrl: 'https://test/vocab.json',
};

/** A stand-in for the TF.js engine: USE-lite's signature, and an output row of 2s per text (norm ≈ 45, so it must be normalised). */
function fakeContext(inputNames = ['indices', 'values']): { context: TaskContext; runs: TensorMap[]; released: string[] } {
  const runs: TensorMap[] = [];
  const released: string[] = [];
  const context: TaskContext = {
    cache: { ...testCacheConfig },
    cacheEvents: () => undefined,
    expect: () => ({}),
    async loadModel(request): Promise<ModelInfo> {
      return {
        modelId: request.modelId,
        format: 'tfjs-graph',
        backend: 'wasm',
        inputs: inputNames.map((name) => ({ name, dtype: 'int32', shape: name === 'indices' ? [null, 2] : [null] })),
        outputs: [{ name: outputName, dtype: 'float32', shape: [null, 512] }],
        loadMs: 1,
      };
    },
    async runModel(_modelId, inputs): Promise<RunResult> {
      runs.push(inputs);
      const indices = inputs.indices;
      if (indices?.dtype !== 'int32') throw new Error('indices missing');
      let texts = 0;
      for (let row = 0; row < indices.data.length; row += 2) texts = Math.max(texts, (indices.data[row] ?? 0) + 1);
      const output = tensor('float32', [texts, 512], new Float32Array(texts * 512).fill(2));
      return { outputs: { [outputName]: output }, timings: { prepareMs: 0, inferenceMs: 1 } };
    },
    async releaseModel(modelId) {
      released.push(modelId);
    },
  };
  return { context, runs, released };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('EmbedWorkerTask', () => {
  it('tokenises a batch into one sparse model call and returns unit vectors', async () => {
    vi.stubGlobal('fetch', async () => new Response(vocabularyText));
    const { context, runs } = fakeContext();
    const task = await EmbedWorkerTask.create(spec, context);
    expect(task.info.facts).toMatchObject({ vocabularySize: 8000, dimensions: 512, maxTokensPerText: 128 });

    const result = await task.embed(['How old are you?', 'Hello world.']);
    expect(result.timings.engineCalls).toBe(1);
    expect(runs).toHaveLength(1);
    const { indices, values } = runs[0] ?? {};
    if (indices?.dtype !== 'int32' || values?.dtype !== 'int32') throw new Error('expected int32 indices and values');
    // ▁How ▁old ▁are ▁you ? | ▁Hello ▁world .  (ids from the reference tokenizer, see sentencepiece.test.ts)
    expect(Array.from(values.data)).toEqual([728, 446, 31, 19, 54, 341, 4125, 311, 6]);
    expect(indices.dims).toEqual([9, 2]);
    expect(Array.from(indices.data)).toEqual([0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 1, 0, 1, 1, 1, 2, 1, 3]);
    expect(result.value.tokenCounts).toEqual([5, 4]);
    expect(result.value.embeddings).toHaveLength(2);
    for (const vector of result.value.embeddings) expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
  });

  it('rejects bad texts before any engine call', async () => {
    vi.stubGlobal('fetch', async () => new Response(vocabularyText));
    const { context, runs } = fakeContext();
    const task = await EmbedWorkerTask.create(spec, context);
    const bad: unknown[] = [[], ['ok', ''], ['ok', '  \t'], ['ok', 3], 'not an array'];
    for (const texts of bad) {
      // The worker API is typed, but a message can carry anything: the task checks again.
      await expect(task.embed(texts as readonly string[])).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(task.embed(['ok', ''])).rejects.toMatchObject({ code: 'INVALID_INPUT', input: 'texts', expected: 'texts[1]: a non-empty string' });
    expect(runs).toHaveLength(0);
  });

  it('fails to load with MODEL_LOAD_FAILED when the vocabulary is missing, and frees the model', async () => {
    vi.stubGlobal('fetch', async () => new Response('not found', { status: 404, statusText: 'Not Found' }));
    const { context, released } = fakeContext();
    await expect(EmbedWorkerTask.create(spec, context)).rejects.toBeInstanceOf(ModelLoadError);
    await expect(EmbedWorkerTask.create(spec, context)).rejects.toThrow(/vocab\.json could not be loaded: HTTP 404/);
    expect(released).toEqual(['embed-1/use-lite', 'embed-1/use-lite']);
  });

  it('refuses a model that is not USE-lite', async () => {
    vi.stubGlobal('fetch', async () => new Response(vocabularyText));
    const { context } = fakeContext(['input']);
    await expect(EmbedWorkerTask.create(spec, context)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', got: 'input' });
  });
});

describe('packTokens', () => {
  it('writes [text, position] rows and ids, cutting each text at maxTokens', () => {
    const { indices, values } = packTokens(
      [
        [5, 6, 7],
        [8, 9],
      ],
      2,
    );
    expect(Array.from(values)).toEqual([5, 6, 8, 9]);
    expect(Array.from(indices)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
  });
});

describe('splitAndNormalise', () => {
  it('gives each vector its own buffer and unit length, leaving unit vectors as they are', () => {
    const matrix = new Float32Array(1024);
    matrix[0] = 1;
    matrix.fill(3, 512);
    const [first, second] = splitAndNormalise(matrix, 2);
    expect(first?.[0]).toBe(1);
    expect(first?.buffer).not.toBe(second?.buffer);
    expect(Math.hypot(...(second ?? []))).toBeCloseTo(1, 6);
  });
});
