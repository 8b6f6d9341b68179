/**
 * Your own model through the scheduler (issue 12): `runtime.load` with a model config gets
 * dynamic batching along declared or inferred batch axes (outputs equal the unbatched runs),
 * ragged requests padded with a mask or grouped by shape, priorities, deadlines, abort,
 * supersede and replicas for a model that cannot batch, per-model metrics, and bad configs
 * refused with INVALID_OPTIONS naming the field.
 */
import { backends, expect, test } from './fixtures/page';

for (const backend of backends) {
  test(`Silero VAD with a config: concurrent streams share engine calls, outputs equal the unbatched runs (${backend})`, async ({ harness }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU');
    const result = await harness.evaluate(async (backend) => {
      const { createRuntime, tensor } = window.inpage;
      const runtime = createRuntime({ cache: { weights: false } });
      const source = '/models/silero_vad_v5.onnx';
      const plain = await runtime.load({ format: 'onnx', source, backend, id: 'vad-plain' });
      const batched = await runtime.load({
        format: 'onnx',
        source,
        backend,
        id: 'vad-batched',
        modality: 'audio',
        batching: { maxBatchSize: 16, maxQueueDelayMs: 20, defaultTimeoutMs: 0 },
        batchAxes: { state: 1, stateN: 1 },
      });
      const { samples } = await window.harness.loadWav('/samples/speech-16k.wav');
      const streams = 12;
      // Each stream: a different 576-sample window of the clip and its own (non-zero) state.
      const requests = Array.from({ length: streams }, (_, s) => {
        const input = samples.slice(8000 + s * 3000, 8000 + s * 3000 + 576);
        const state = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i * 0.37 + s) * 0.1);
        return { input, state };
      });
      const feed = (r: { input: Float32Array; state: Float32Array }) => ({
        input: tensor('float32', [1, 576], r.input.slice()),
        state: tensor('float32', [2, 1, 128], r.state.slice()),
        sr: tensor('int64', [], BigInt64Array.of(16000n)),
      });
      const alone: Awaited<ReturnType<typeof plain.run>>[] = [];
      for (const r of requests) alone.push(await plain.run(feed(r)));
      const together = await Promise.all(requests.map((r) => batched.run(feed(r))));
      let maxDiff = 0;
      together.forEach((out, s) => {
        for (const name of ['output', 'stateN']) {
          const a = alone[s]?.[name]?.data;
          const b = out[name]?.data;
          if (!(a instanceof Float32Array) || !(b instanceof Float32Array) || a.length !== b.length) throw new Error(`${name} missing or of another size`);
          for (let i = 0; i < a.length; i += 1) maxDiff = Math.max(maxDiff, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
        }
      });
      const snapshot = runtime.metrics.snapshot();
      const series = snapshot.models.find((m) => m.name === 'vad-batched');
      const prometheus = runtime.metrics.prometheus();
      const shapes = together.map((out) => ({ output: out.output?.dims, stateN: out.stateN?.dims }));
      const info = { modality: batched.modality, batchAxes: batched.batchAxes, maxBatchSize: batched.batching.maxBatchSize, backend: batched.backend };
      await runtime.dispose();
      return { maxDiff, shapes, info, series, prometheusHasModel: prometheus.includes('model="vad-batched"') };
    }, backend);
    expect(result.info).toMatchObject({ modality: 'audio', maxBatchSize: 16, backend, batchAxes: { input: 0, state: 1, sr: null, output: 0, stateN: 1 } });
    expect(result.maxDiff).toBeLessThan(1e-5);
    for (const shape of result.shapes) expect(shape).toEqual({ output: [1, 1], stateN: [2, 1, 128] });
    // 12 requests in fewer engine calls than requests: a batch of more than one ran.
    const sizes = Object.keys(result.series?.batchSizeCounts ?? {}).map(Number);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    expect(result.series).toMatchObject({ modality: 'audio', completed: 12, errors: {} });
    expect(result.series?.stages.endToEnd.total.count).toBe(12);
    expect(result.prometheusHasModel).toBe(true);
  });
}

for (const backend of backends) {
  test(`an image model (the OCR direction classifier) batched: outputs equal the unbatched runs (${backend})`, async ({ harness }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU');
    const result = await harness.evaluate(async (backend) => {
      const { createRuntime, tensor } = window.inpage;
      const runtime = createRuntime({ cache: { weights: false } });
      const source = '/models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx';
      const plain = await runtime.load({ format: 'onnx', source, backend, id: 'cls-plain' });
      const batched = await runtime.load({
        format: 'onnx',
        source,
        backend,
        id: 'cls-batched',
        modality: 'image',
        batching: { maxBatchSize: 8, maxQueueDelayMs: 20 },
      });
      const spec = batched.inputs[0];
      if (spec === undefined) throw new Error('no input');
      // Text-line crops as the classifier sees them: [1, 3, 48, 192], each a different pattern.
      const images = Array.from({ length: 6 }, (_, k) => Float32Array.from({ length: 3 * 48 * 192 }, (_, i) => Math.sin(i * (0.01 + k * 0.003)) * 0.8));
      const feed = (data: Float32Array) => ({ [spec.name]: tensor('float32', [1, 3, 48, 192], data.slice()) });
      const alone: Awaited<ReturnType<typeof plain.run>>[] = [];
      for (const image of images) alone.push(await plain.run(feed(image)));
      const together = await Promise.all(images.map((image) => batched.run(feed(image))));
      let maxDiff = 0;
      const outputs = batched.outputs.map((o) => o.name);
      together.forEach((out, k) => {
        for (const name of outputs) {
          const a = alone[k]?.[name]?.data;
          const b = out[name]?.data;
          if (!(a instanceof Float32Array) || !(b instanceof Float32Array) || a.length !== b.length) throw new Error(`${name} missing or of another size`);
          for (let i = 0; i < a.length; i += 1) maxDiff = Math.max(maxDiff, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
        }
      });
      const series = runtime.metrics.snapshot().models.find((m) => m.name === 'cls-batched');
      const dims = together.map((out) => out[outputs[0] ?? '']?.dims);
      await runtime.dispose();
      return { maxDiff, dims, axes: batched.batchAxes, sizes: Object.keys(series?.batchSizeCounts ?? {}).map(Number), completed: series?.completed };
    }, backend);
    // The batch axis was inferred from the graph's free leading dimension.
    expect(Object.values(result.axes)).toEqual([0, 0]);
    expect(result.maxDiff).toBeLessThan(1e-4);
    for (const dims of result.dims) expect(dims).toEqual([1, 2]);
    expect(Math.max(...result.sizes)).toBeGreaterThan(1);
    expect(result.completed).toBe(6);
  });
}

for (const backend of backends) {
  test(`a sparse text model (USE-lite) with ragged concat: token rows of concurrent requests join one engine call, outputs equal the unbatched runs (${backend})`, async ({
    harness,
  }) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU');
    const result = await harness.evaluate(async (backend) => {
      const { createRuntime, tensor } = window.inpage;
      const runtime = createRuntime({ cache: { weights: false } });
      const source = '/models/use-lite/fp32/model.json';
      const plain = await runtime.load({ format: 'tfjs-graph', source, backend, id: 'use-plain' });
      const joined = await runtime.load({
        format: 'tfjs-graph',
        source,
        backend,
        id: 'use-joined',
        modality: 'text',
        ragged: { mode: 'concat', inputs: { indices: { itemColumn: 0 }, values: {} } },
      });
      // Three requests of 2, 1 and 3 "texts" of token ids (any ids of the 8000-piece vocabulary), rows [text, position].
      const requests = [
        [
          [728, 446, 31, 19, 54],
          [341, 4125],
        ],
        [[311, 6, 99]],
        [[12], [7000, 5, 5, 5], [4000, 31]],
      ];
      const feed = (texts: number[][]) => {
        const rows = texts.flatMap((ids, text) => ids.map((id, position) => [text, position, id]));
        return {
          indices: tensor('int32', [rows.length, 2], Int32Array.from(rows.flatMap(([text, position]) => [text ?? 0, position ?? 0]))),
          values: tensor('int32', [rows.length], Int32Array.from(rows.map((row) => row[2] ?? 0))),
        };
      };
      const alone: Awaited<ReturnType<typeof plain.run>>[] = [];
      for (const texts of requests) alone.push(await plain.run(feed(texts)));
      const together = await Promise.all(requests.map((texts) => joined.run(feed(texts))));
      const name = joined.outputs[0]?.name ?? '';
      let maxDiff = 0;
      together.forEach((out, k) => {
        const a = alone[k]?.[name]?.data;
        const b = out[name]?.data;
        if (!(a instanceof Float32Array) || !(b instanceof Float32Array) || a.length !== b.length)
          throw new Error(`request ${k}: output missing or of another size`);
        for (let i = 0; i < a.length; i += 1) maxDiff = Math.max(maxDiff, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
      });
      const series = runtime.metrics.snapshot().models.find((m) => m.name === 'use-joined');
      await runtime.dispose();
      return { maxDiff, dims: together.map((out) => out[name]?.dims), batches: series?.batchSizeCounts ?? {} };
    }, backend);
    expect(result.dims).toEqual([
      [2, 512],
      [1, 512],
      [3, 512],
    ]);
    // Made in one task: one engine call of 6 texts (2 + 1 + 3).
    expect(result.batches).toEqual({ 6: 1 });
    expect(result.maxDiff).toBeLessThan(1e-4);
  });
}

test('a model that cannot batch (MoveNet, batch fixed to 1) still gets priorities, deadlines, abort, supersede and replicas', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime, tensor } = window.inpage;
    const caught = window.harness.caught;
    const runtime = createRuntime({ cache: { weights: false } });
    const source = '/models/movenet-lightning/movenet-lightning.json';
    // Aging (an image model's background request climbs a class per second waited) would let
    // the queued background request tie the realtime one on a slow machine; this test is
    // about priorities, so aging is pushed out of its way (the queue's tests cover aging).
    const model = await runtime.load({
      format: 'tfjs-graph',
      source,
      backend: 'wasm',
      id: 'pose-raw',
      modality: 'image',
      replicas: 2,
      batching: { agingMs: 60_000 },
    });
    const { pixels } = await window.harness.imageToInt32Rgb('/samples/astronaut.jpg', 192);
    const input = () => ({ input: tensor('int32', [1, 192, 192, 3], pixels.slice()) });
    const order: string[] = [];
    const tagged = (tag: string, options: Parameters<typeof model.run>[1]) =>
      model.run(input(), options).then((out) => {
        order.push(tag);
        return out;
      });
    // Fill both replicas (two in flight each) with the most urgent class, so that nothing
    // below takes the express slot a more urgent request gets; then queue the rest.
    const running = Array.from({ length: 4 }, (_, i) => tagged(`fill-${i}`, { priority: 'realtime' }));
    const background = tagged('background', { priority: 'background' });
    const controller = new AbortController();
    const aborted = caught(tagged('aborted', { priority: 'background', signal: controller.signal }));
    const expired = caught(tagged('expired', { priority: 'background', timeoutMs: 1 }));
    const superseded = caught(tagged('camera-1', { supersedeKey: 'camera' }));
    const latest = tagged('camera-2', { supersedeKey: 'camera' });
    const urgent = tagged('realtime', { priority: 'realtime' });
    controller.abort();
    const results = await Promise.all([...running, background, latest, urgent]);
    const first = results[0] ?? {};
    const keypoints = first[model.outputs[0]?.name ?? '']?.dims;
    const series = runtime.metrics.snapshot().models.find((m) => m.name === 'pose-raw');
    const info = { replicas: model.replicas, maxBatchSize: model.batching.maxBatchSize, batchAxes: model.batchAxes };
    const fails = { aborted: await aborted, expired: await expired, superseded: await superseded };
    await runtime.dispose();
    return { order, keypoints, series, info, fails };
  });
  expect(result.info).toMatchObject({ replicas: 2, maxBatchSize: 1 });
  expect(result.keypoints).toEqual([1, 1, 17, 3]);
  expect(result.fails.aborted).toMatchObject({ code: 'ABORTED', isOwnClass: true });
  expect(result.fails.expired).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  expect(result.fails.superseded).toMatchObject({ code: 'SUPERSEDED' });
  // The realtime request overtook the queued background one; neither dropped request ran.
  const position = (tag: string) => result.order.indexOf(tag);
  expect(position('realtime')).toBeLessThan(position('background'));
  expect(result.order).not.toContain('aborted');
  expect(result.order).not.toContain('camera-1');
  expect(Object.keys(result.series?.batchSizeCounts ?? {})).toEqual(['1']);
  expect(result.series?.errors).toMatchObject({ ABORTED: 1, DEADLINE_EXCEEDED: 1, SUPERSEDED: 1 });
});

test('ragged prompts: padded with a built mask and cut back (outputs equal the unbatched runs), or grouped by length', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime, tensor } = window.inpage;
    const runtime = createRuntime({ cache: { weights: false } });
    const source = '/models/decoder-gqa/decoder.onnx';
    const base = { format: 'onnx' as const, source, backend: 'wasm' as const };
    const plain = await runtime.load({ ...base, id: 'dec-plain' });
    const pastNames = plain.inputs.filter((i) => i.name.startsWith('past_key_values.')).map((i) => i.name);
    const past = (): Record<string, ReturnType<typeof tensor>> =>
      Object.fromEntries(pastNames.map((name) => [name, tensor('float32', [1, 2, 0, 32], new Float32Array(0))]));
    const cut = Object.fromEntries(plain.outputs.filter((o) => o.name.startsWith('present.')).map((o) => [o.name, { axis: 2 }]));
    const padded = await runtime.load({
      ...base,
      id: 'dec-pad',
      modality: 'text',
      batching: { maxBatchSize: 8, maxQueueDelayMs: 20 },
      ragged: {
        mode: 'pad',
        inputs: { input_ids: { axis: 1, padValue: 0 }, position_ids: { axis: 1, padValue: 0 } },
        mask: 'attention_mask',
        outputs: { logits: { axis: 1 }, ...cut },
      },
    });
    const grouped = await runtime.load({ ...base, id: 'dec-group', modality: 'text', batching: { maxBatchSize: 8, maxQueueDelayMs: 20 } });
    const prompts = [
      [464, 2443, 4539, 4981, 287],
      [40, 1842, 257],
      [464, 2443, 4539, 4981, 287, 262, 6444],
      [15496, 11, 995],
    ];
    const request = (ids: number[], withMask: boolean) => ({
      input_ids: tensor('int64', [1, ids.length], BigInt64Array.from(ids, BigInt)),
      position_ids: tensor(
        'int64',
        [1, ids.length],
        BigInt64Array.from(ids, (_, i) => BigInt(i)),
      ),
      ...(withMask ? { attention_mask: tensor('int64', [1, ids.length], new BigInt64Array(ids.length).fill(1n)) } : {}),
      ...past(),
    });
    const alone: Awaited<ReturnType<typeof plain.run>>[] = [];
    for (const ids of prompts) alone.push(await plain.run(request(ids, true)));
    const pad = await Promise.all(prompts.map((ids) => padded.run(request(ids, false))));
    const group = await Promise.all(prompts.map((ids) => grouped.run(request(ids, true))));
    const diff = (outs: typeof pad) =>
      outs.reduce((worst, out, p) => {
        const a = alone[p]?.logits?.data;
        const b = out.logits?.data;
        if (!(a instanceof Float32Array) || !(b instanceof Float32Array) || a.length !== b.length) return Number.POSITIVE_INFINITY;
        let d = 0;
        for (let i = 0; i < a.length; i += 1) d = Math.max(d, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
        return Math.max(worst, d);
      }, 0);
    const snapshot = runtime.metrics.snapshot();
    const sizes = (name: string) => snapshot.models.find((m) => m.name === name)?.batchSizeCounts;
    const out = {
      padDiff: diff(pad),
      groupDiff: diff(group),
      padDims: pad.map((o) => o.logits?.dims),
      presentDims: pad.map((o) => o['present.0.key']?.dims),
      padSizes: sizes('dec-pad'),
      groupSizes: sizes('dec-group'),
    };
    await runtime.dispose();
    return out;
  });
  expect(result.padDims).toEqual([
    [1, 5, 50257],
    [1, 3, 50257],
    [1, 7, 50257],
    [1, 3, 50257],
  ]);
  expect(result.presentDims).toEqual([
    [1, 2, 5, 32],
    [1, 2, 3, 32],
    [1, 2, 7, 32],
    [1, 2, 3, 32],
  ]);
  expect(result.padDiff).toBeLessThan(1e-3);
  expect(result.groupDiff).toBeLessThan(1e-3);
  // Padded: all four share calls after the first; grouped: only the two 3-token prompts can.
  expect(Math.max(...Object.keys(result.padSizes ?? {}).map(Number))).toBeGreaterThanOrEqual(3);
  expect(
    Object.keys(result.groupSizes ?? {})
      .map(Number)
      .sort(),
  ).toEqual([1, 2]);
});

test('bad configs fail with INVALID_OPTIONS naming the field, keep nothing loaded, and the worker keeps serving', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime } = window.inpage;
    const caught = window.harness.caught;
    const runtime = createRuntime({ cache: { weights: false } });
    const vad = { format: 'onnx' as const, source: '/models/silero_vad_v5.onnx', backend: 'wasm' as const };
    const pose = { format: 'tfjs-graph' as const, source: '/models/movenet-lightning/movenet-lightning.json', backend: 'wasm' as const };
    // Each object stands for a config a user could write; the runtime must refuse it by name.
    const bad: [string, Parameters<typeof runtime.load>[0]][] = [
      ['unknown tensor', { ...vad, batchAxes: { state: 1, stateN: 1, nope: 0 } }],
      ['axis out of range', { ...vad, batchAxes: { state: 3, stateN: 1 } }],
      ['axis not an integer', { ...vad, batchAxes: { state: 1.5, stateN: 1 } }],
      ['axis on a fixed dimension', { ...vad, batchAxes: { state: 0, stateN: 1 } }],
      ['ambiguous tensor', { ...vad, modality: 'audio' }],
      ['maxBatchSize above the graph', { ...pose, batching: { maxBatchSize: 8 } }],
      ['maxBatchSize not an integer', { ...vad, batching: { maxBatchSize: 0 } }],
      ['unknown modality', { ...vad, modality: 'video' as 'audio' }],
      ['replicas out of range', { ...vad, replicas: 1000 }],
      ['pad on an unknown input', { ...vad, batchAxes: { state: 1, stateN: 1 }, ragged: { mode: 'pad', inputs: { nope: { axis: 1 } } } }],
      ['pad on the batch axis', { ...vad, batchAxes: { state: 1, stateN: 1 }, ragged: { mode: 'pad', inputs: { input: { axis: 0 } } } }],
      ['pad value not finite', { ...vad, batchAxes: { state: 1, stateN: 1 }, ragged: { mode: 'pad', inputs: { input: { axis: 1, padValue: Number.NaN } } } }],
      ['unknown ragged mode', { ...vad, batchAxes: { state: 1, stateN: 1 }, ragged: { mode: 'stretch' } as unknown as { mode: 'group' } }],
      [
        'mask naming an unknown input',
        { ...vad, batchAxes: { state: 1, stateN: 1 }, ragged: { mode: 'pad', inputs: { input: { axis: 1 } }, mask: 'attention' } },
      ],
    ];
    const failures: Record<string, Awaited<ReturnType<typeof caught>>> = {};
    for (const [name, descriptor] of bad) failures[name] = await caught(runtime.load(descriptor));
    const kept = runtime.models.length;
    const good = await runtime.load({ ...vad, modality: 'audio', batchAxes: { state: 1, stateN: 1 } });
    await runtime.dispose();
    return { failures, kept, goodBackend: good.backend };
  });
  const fields: Record<string, string> = {
    'unknown tensor': 'batchAxes.nope',
    'axis out of range': 'batchAxes.state',
    'axis not an integer': 'batchAxes.state',
    'axis on a fixed dimension': 'batchAxes.state',
    'ambiguous tensor': 'batchAxes.state',
    'maxBatchSize above the graph': 'maxBatchSize',
    'maxBatchSize not an integer': 'maxBatchSize',
    'unknown modality': 'modality',
    'replicas out of range': 'replicas',
    'pad on an unknown input': 'ragged.inputs.nope',
    'pad on the batch axis': 'ragged.inputs.input.axis',
    'pad value not finite': 'ragged.inputs.input.padValue',
    'unknown ragged mode': 'ragged.mode',
    'mask naming an unknown input': 'ragged.mask',
  };
  for (const [name, field] of Object.entries(fields)) {
    const failure = result.failures[name];
    expect(failure, name).toMatchObject({ code: 'INVALID_OPTIONS', isOwnClass: true });
    expect(failure?.input, name).toContain(field);
  }
  expect(Object.keys(fields).length).toBeGreaterThanOrEqual(10);
  expect(result.kept).toBe(0);
  expect(result.goodBackend).toBe('wasm');
});
