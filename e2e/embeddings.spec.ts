/**
 * Sentence embeddings (USE-lite, TF.js) on WebGPU and WASM: unit-norm 512-d vectors
 * that rank paraphrases above unrelated sentences, one engine call per batch with the
 * same answers as one text at a time, a uint8 variant that stays close to fp32, and
 * typed errors for bad texts that leave the task usable.
 */
import { readFileSync, statSync } from 'node:fs';
import { backends, expect, test } from './fixtures/page';

// Three paraphrase pairs; any two sentences from different pairs are unrelated.
const pairs = [
  ['How old are you?', 'What is your age?'],
  ['The weather is lovely today.', 'It is a beautiful sunny day.'],
  ['I would like to book a flight to Paris.', 'Please reserve a plane ticket to Paris for me.'],
] as const;
const sentences = pairs.flat();

/** Bytes of a USE-lite variant as served from public/: its model.json and every weight shard it lists. */
function modelBytes(variant: 'fp32' | 'uint8'): number {
  const dir = new URL(`../public/models/use-lite/${variant}/`, import.meta.url);
  const modelJson: unknown = JSON.parse(readFileSync(new URL('model.json', dir), 'utf8'));
  const groups = typeof modelJson === 'object' && modelJson !== null && 'weightsManifest' in modelJson ? modelJson.weightsManifest : undefined;
  if (!Array.isArray(groups)) throw new Error(`${variant}/model.json has no weightsManifest`);
  let bytes = statSync(new URL('model.json', dir)).size;
  const groupList: readonly unknown[] = groups;
  for (const group of groupList) {
    const paths: unknown = typeof group === 'object' && group !== null && 'paths' in group ? group.paths : undefined;
    if (!Array.isArray(paths)) throw new Error(`${variant}/model.json has a weight group without paths`);
    const pathList: readonly unknown[] = paths;
    for (const path of pathList) bytes += statSync(new URL(String(path), dir)).size;
  }
  return bytes;
}

for (const backend of backends) {
  test(`USE-lite embeds unit-norm 512-d vectors that rank paraphrases first on ${backend}`, async ({ harness }) => {
    if (backend === 'webgpu') test.slow(); // SwiftShader runs WebGPU on the CPU
    const result = await harness.evaluate(
      async ({ backend, sentences }) => {
        const { createRuntime, EmbeddingTask } = window.inpage;
        const runtime = createRuntime();
        const encoder = await runtime.embeddings({ backend });
        const vectors = await encoder.embed(sentences);
        const norms = vectors.map((v) => Math.hypot(...v));
        const cosine = (i: number, j: number): number => {
          const [a, b] = [vectors[i], vectors[j]];
          if (a === undefined || b === undefined) throw new Error(`no vector ${i} or ${j}`);
          return EmbeddingTask.cosineSimilarity(a, b);
        };
        const paraphrase = [0, 2, 4].map((i) => cosine(i, i + 1));
        const unrelated: number[] = [];
        for (let i = 0; i < sentences.length; i++)
          for (let j = i + 1; j < sentences.length; j++) if (Math.floor(i / 2) !== Math.floor(j / 2)) unrelated.push(cosine(i, j));
        const info = { backend: encoder.backend, lengths: vectors.map((v) => v.length), norms, paraphrase, unrelated };
        await runtime.dispose();
        return info;
      },
      { backend, sentences },
    );

    expect(result.backend).toBe(backend);
    expect(result.lengths).toEqual(sentences.map(() => 512));
    for (const norm of result.norms) expect(Math.abs(norm - 1)).toBeLessThan(1e-3);
    expect(result.unrelated).toHaveLength(12);
    const worstUnrelated = Math.max(...result.unrelated);
    test.info().annotations.push({
      type: `cosine on ${backend}`,
      description: `paraphrase pairs ${result.paraphrase.map((c) => c.toFixed(3)).join(', ')}; unrelated max ${worstUnrelated.toFixed(3)}, min ${Math.min(...result.unrelated).toFixed(3)}`,
    });
    result.paraphrase.forEach((cosine, i) => expect(cosine, `pair ${i}: ${pairs[i]?.join(' / ')}`).toBeGreaterThan(worstUnrelated + 0.15));
  });

  test(`a batch of texts is one engine call and matches one-by-one results on ${backend}`, async ({ harness }) => {
    if (backend === 'webgpu') test.slow(); // SwiftShader: ~2 s per single-text call, ~10 s per batch of 8
    const result = await harness.evaluate(
      async ({ backend, sentences }) => {
        const runtime = window.inpage.createRuntime();
        const encoder = await runtime.embeddings({ backend, cache: false });
        const texts = [...sentences, 'Numbers like 10:30 and naïve café — ünïcödé 😹.', 'word '.repeat(200)];
        const started = performance.now();
        const batched = await encoder.embedDetailed(texts);
        const roundTripMs = performance.now() - started;
        let maxDifference = 0;
        for (const [i, text] of texts.entries()) {
          const single = await encoder.embedDetailed(text);
          const [alone] = single.embeddings;
          const together = batched.embeddings[i];
          if (alone === undefined || together === undefined || single.timings.engineCalls !== 1) throw new Error(`text ${i} did not embed alone`);
          for (let j = 0; j < 512; j++) maxDifference = Math.max(maxDifference, Math.abs((alone[j] ?? 0) - (together[j] ?? 0)));
        }
        const info = { count: batched.embeddings.length, timings: batched.timings, tokenCounts: batched.tokenCounts, maxDifference, roundTripMs };
        await runtime.dispose();
        return info;
      },
      { backend, sentences },
    );

    expect(result.count).toBe(sentences.length + 2);
    expect(result.timings.engineCalls).toBe(1);
    expect(result.timings.inferenceMs).toBeGreaterThan(0);
    // "How old are you?" is ▁How ▁old ▁are ▁you ?; 200 words run past the model's 128-token cut.
    expect(result.tokenCounts[0]).toBe(5);
    expect(result.tokenCounts.at(-1)).toBeGreaterThan(128);
    expect(result.maxDifference).toBeLessThan(1e-4);
    test.info().annotations.push(
      { type: `batch vs one-by-one on ${backend}`, description: `max |difference| ${result.maxDifference.toExponential(2)}` },
      {
        type: `first batch of ${result.count} on ${backend}`,
        description: `round trip ${result.roundTripMs.toFixed(0)} ms, inference ${result.timings.inferenceMs.toFixed(0)} ms, tokenise ${result.timings.preprocessMs.toFixed(1)} ms`,
      },
    );
  });

  test(`the uint8 variant stays within cosine 0.99 of fp32 on ${backend}`, async ({ harness }) => {
    if (backend === 'webgpu') test.slow(); // two models, on SwiftShader
    const result = await harness.evaluate(
      async ({ backend, sentences }) => {
        const runtime = window.inpage.createRuntime();
        const fp32 = await runtime.embeddings({ backend, variant: 'fp32' });
        const uint8 = await runtime.embeddings({ backend, variant: 'uint8' });
        const reference = await fp32.embed(sentences);
        const packed = await uint8.embed(sentences);
        const cosines = reference.map((v, i) => {
          const w = packed[i];
          if (w === undefined) throw new Error(`no uint8 vector ${i}`);
          return window.inpage.EmbeddingTask.cosineSimilarity(v, w);
        });
        const norms = packed.map((v) => Math.hypot(...v));
        const info = { cosines, norms };
        await runtime.dispose();
        return info;
      },
      { backend, sentences },
    );

    const fp32Bytes = modelBytes('fp32');
    const uint8Bytes = modelBytes('uint8');
    const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;
    test
      .info()
      .annotations.push(
        { type: 'model size', description: `fp32 ${mb(fp32Bytes)}, uint8 ${mb(uint8Bytes)} (model.json + weight shards)` },
        { type: `uint8 vs fp32 cosine on ${backend}`, description: `min ${Math.min(...result.cosines).toFixed(4)}` },
      );
    expect(uint8Bytes).toBeLessThan(fp32Bytes / 3);
    for (const norm of result.norms) expect(Math.abs(norm - 1)).toBeLessThan(1e-3);
    result.cosines.forEach((cosine, i) => expect(cosine, sentences[i]).toBeGreaterThanOrEqual(0.99));
  });

  test(`bad texts reject with INVALID_INPUT and the encoder still works on ${backend}`, async ({ harness }) => {
    const result = await harness.evaluate(async (backend) => {
      const { caught } = window.harness;
      const runtime = window.inpage.createRuntime();
      const encoder = await runtime.embeddings({ backend });
      const errors = {
        empty: await caught(encoder.embed('')),
        whitespace: await caught(encoder.embed(['fine', ' \n\t '])),
        emptyArray: await caught(encoder.embed([])),
        number: await caught(encoder.embed(42 as never)),
        numberInBatch: await caught(encoder.embed(['fine', 'also fine', 7] as never)),
      };
      const detailed = await encoder.embedDetailed(['Still working?', 'Yes.']);
      await encoder.dispose();
      const disposed = await caught(encoder.embed('After dispose'));
      await runtime.dispose();
      return { errors, after: detailed.embeddings.map((v) => v.length), calls: detailed.timings.engineCalls, disposed };
    }, backend);

    const { empty, whitespace, emptyArray, number, numberInBatch } = result.errors;
    for (const error of [empty, whitespace, emptyArray, number, numberInBatch])
      expect(error).toMatchObject({ code: 'INVALID_INPUT', name: 'InvalidInputError', isOwnClass: true, input: 'texts' });
    expect(empty).toMatchObject({ expected: 'texts[0]: a non-empty string', got: '""' });
    expect(whitespace?.message).toContain('Text 1 is empty or only whitespace');
    expect(emptyArray).toMatchObject({ got: '[]' });
    expect(number).toMatchObject({ got: 'number' });
    expect(numberInBatch).toMatchObject({ expected: 'texts[2]: a non-empty string', got: 'number' });
    expect(result.after).toEqual([512, 512]);
    expect(result.calls).toBe(1);
    expect(result.disposed).toMatchObject({ code: 'DISPOSED' });
  });
}

test('a long list goes out in bounded engine calls that an abort stops between; results equal one-by-one', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { caught } = window.harness;
    const runtime = window.inpage.createRuntime();
    const encoder = await runtime.embeddings({ backend: 'wasm', cache: false });
    const texts = Array.from({ length: 150 }, (_, i) => `Sentence number ${i} talks about ${['rivers', 'music', 'bread', 'stars'][i % 4]}.`);
    const long = await encoder.embedDetailed(texts);
    const check = [0, 64, 149];
    let maxDifference = 0;
    for (const i of check) {
      const [alone] = await encoder.embed(texts[i] ?? '');
      const inList = long.embeddings[i];
      for (let j = 0; j < 512; j++) maxDifference = Math.max(maxDifference, Math.abs((alone?.[j] ?? 0) - (inList?.[j] ?? 0)));
    }
    // A call far longer than one engine call, aborted once its first chunk has answered.
    const controller = new AbortController();
    const many = Array.from({ length: 4000 }, (_, i) => `Another sentence, number ${i}.`);
    const calls = () => runtime.metrics.snapshot().models.find((m) => m.name === encoder.name)?.batchUnits.total.count ?? 0;
    const before = calls();
    const aborted = caught(encoder.embed(many, { signal: controller.signal }));
    while (calls() === before) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const outcome = await aborted;
    const ranAfterAbort = calls() - before;
    const still = (await encoder.embed('still serving'))[0]?.length;
    await runtime.dispose();
    return {
      count: long.embeddings.length,
      engineCalls: long.timings.engineCalls,
      maxDifference,
      outcome,
      ranAfterAbort,
      chunks: Math.ceil(many.length / 64),
      still,
    };
  });
  expect(result.count).toBe(150);
  expect(result.engineCalls).toBe(3); // 64 + 64 + 22: the text modality's maxBatchSize
  expect(result.maxDifference).toBeLessThan(1e-4);
  expect(result.outcome).toMatchObject({ code: 'ABORTED' });
  // Stopped between chunks: far fewer engine calls than the whole list needs.
  expect(result.ranAfterAbort).toBeLessThan(result.chunks / 2);
  expect(result.still).toBe(512);
});

test('on WebGPU, TF.js keeps its pool of free GPU buffers under a budget; the buffers in use do not grow with new shapes', async ({ harness }) => {
  test.slow(); // SwiftShader: about 2 s per engine call
  const result = await harness.evaluate(async () => {
    const { inspectableWorker, workerResources } = window.harness;
    const workers: { name: string; worker: Worker }[] = [];
    const runtime = window.inpage.createRuntime({
      createWorker: (name) => {
        const worker = inspectableWorker(name);
        workers.push({ name, worker });
        return worker;
      },
    });
    const encoder = await runtime.embeddings({ backend: 'webgpu', cache: false });
    // Every call another batch size and token count: each a new set of buffer sizes in TF.js's pool.
    const round = async (salt: string) => {
      for (const size of [1, 3, 6]) await encoder.embed(Array.from({ length: size }, (_, i) => `${salt} sentence ${i}${' and more words'.repeat(i + size)}.`));
    };
    await round('first');
    const worker = workers.find((w) => w.name.startsWith('text-tfjs'))?.worker;
    if (worker === undefined) throw new Error(`no text worker among ${workers.map((w) => w.name).join(', ')}`);
    const after1 = (await workerResources(worker)).engines['tfjs-graph'];
    await round('second, longer');
    const after2 = (await workerResources(worker)).engines['tfjs-graph'];
    await runtime.dispose();
    return { after1, after2 };
  });
  const { after1, after2 } = result;
  expect(after1?.backend).toBe('webgpu');
  // The bundled TF.js's pool is one the budget can read and trim (null: it could not).
  expect(after2?.gpuPoolBudgetBytes).toBe(256 * 2 ** 20);
  expect(after2?.gpuPoolFreeBytes ?? Infinity).toBeLessThanOrEqual(256 * 2 ** 20);
  expect(after2?.gpuPoolFreeBytes ?? 0).toBeGreaterThan(0); // pooled buffers are there to be reused
  // New shapes add pooled (free) buffers, never buffers held by tensors: those are the weights.
  expect(after2?.gpuBuffersInUse).toBe(after1?.gpuBuffersInUse);
  expect(after2?.tensors).toBe(after1?.tensors);
});
