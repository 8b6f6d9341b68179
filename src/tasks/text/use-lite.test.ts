import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveBatchPlan } from '../../batching/plan';
import { requestUnits, stackRequests } from '../../batching/stack';
import { ModelLoadError } from '../../errors';
import type { TensorSpec } from '../../protocol';
import { tensor } from '../../tensor';
import { loadUseLiteVocabulary, packTokens, splitAndNormalise, useLiteDescriptor } from './use-lite';

const vocabularyText = readFileSync(new URL('../../../public/models/use-lite/vocab.json', import.meta.url), 'utf8');

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('USE-lite as a scheduled model', () => {
  it('tokenises texts into the sparse rows the model takes (ids of the reference tokenizer)', async () => {
    vi.stubGlobal('fetch', async () => new Response(vocabularyText));
    const tokenizer = await loadUseLiteVocabulary('https://test/vocab.json', 'embed-1', undefined);
    const { indices, values } = packTokens(['How old are you?', 'Hello world.'].map((text) => tokenizer.encode(text)));
    // ▁How ▁old ▁are ▁you ? | ▁Hello ▁world .  (see sentencepiece.test.ts)
    expect(Array.from(values)).toEqual([728, 446, 31, 19, 54, 341, 4125, 311, 6]);
    expect(Array.from(indices)).toEqual([0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 1, 0, 1, 1, 1, 2, 1, 3]);
  });

  it('fails with MODEL_LOAD_FAILED naming vocabUrl when the vocabulary is missing or not one', async () => {
    vi.stubGlobal('fetch', async () => new Response('not found', { status: 404, statusText: 'Not Found' }));
    await expect(loadUseLiteVocabulary('https://test/vocab.json', 'embed-1', undefined)).rejects.toBeInstanceOf(ModelLoadError);
    vi.stubGlobal('fetch', async () => new Response('{"not": "a list"}', { headers: { 'content-type': 'application/json' } }));
    await expect(loadUseLiteVocabulary('https://test/vocab.json', 'embed-1', undefined)).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      input: 'vocabUrl',
    });
  });

  it('its config joins the token rows of concurrent calls into one batch, texts as units', () => {
    const descriptor = useLiteDescriptor('https://test/model.json', { backend: 'wasm' }, 'embed-1');
    expect(descriptor).toMatchObject({ format: 'tfjs-graph', modality: 'text', worker: 'text-tfjs:wasm', id: 'embed-1' });
    const inputs: TensorSpec[] = [
      { name: 'indices', dtype: 'int32', shape: [null, 2] },
      { name: 'values', dtype: 'int32', shape: [null] },
    ];
    const plan = resolveBatchPlan('embed-1', inputs, [{ name: 'l2_normalize', dtype: 'float32', shape: [null, 512] }], { ragged: descriptor.ragged });
    const request = (texts: number[][]) => {
      const { indices, values } = packTokens(texts);
      return { indices: tensor('int32', [values.length, 2], indices), values: tensor('int32', [values.length], values) };
    };
    const a = request([[5, 6], [7]]);
    const b = request([[8, 9, 10]]);
    expect([requestUnits('embed-1', a, plan), requestUnits('embed-1', b, plan)]).toEqual([2, 1]);
    const batch = stackRequests('embed-1', [a, b], plan);
    const joined = batch.inputs.indices;
    expect(joined?.dtype === 'int32' ? Array.from(joined.data) : []).toEqual([0, 0, 0, 1, 1, 0, 2, 0, 2, 1, 2, 2]);
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
