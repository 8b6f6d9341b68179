/**
 * Malformed arguments and options across the public API (issue 15's list): each gets a
 * typed `INVALID_INPUT` / `INVALID_OPTIONS` naming the field, before any worker call, and
 * the runtime keeps serving afterwards. Nothing is accepted silently.
 */
import { expect, test } from './fixtures/page';

test('malformed arguments and options are typed errors naming the field; the runtime keeps serving', async ({ harness }) => {
  test.setTimeout(240_000);
  const result = await harness.evaluate(async () => {
    const { createRuntime, tensor } = window.inpage;
    const { caught } = window.harness;
    const sync = async (fn: () => unknown) => caught((async () => fn())());
    const runtime = createRuntime();
    const source = '/models/silero_vad_v5.onnx';
    const model = await runtime.load({ format: 'onnx', source, backend: 'wasm', batchAxes: { state: 1, stateN: 1, sr: null } });
    const frame = () => ({
      input: tensor('float32', [1, 576], new Float32Array(576)),
      state: tensor('float32', [2, 1, 128], new Float32Array(256)),
      sr: tensor('int64', [], BigInt64Array.of(16000n)),
    });
    const vad = await runtime.vad({ backend: 'wasm' });
    const bitmap = await createImageBitmap(new ImageData(8, 8));
    bitmap.close();
    const pose = await runtime.pose({ backend: 'wasm' });
    // A PNG whose header claims 20000×20000 pixels, with a junk body: refused from its header.
    const bomb = new Uint8Array(4096);
    bomb.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    new DataView(bomb.buffer).setUint32(16, 20000);
    new DataView(bomb.buffer).setUint32(20, 20000);
    const cases: Record<string, Awaited<ReturnType<typeof caught>>> = {
      'load: malformed URL': await caught(runtime.load({ format: 'onnx', source: 'http://[', backend: 'wasm' })),
      'createRuntime: assetBaseUrl malformed': await sync(() => createRuntime({ assetBaseUrl: 'http://[' })),
      'createRuntime: cache "off"': await sync(() => createRuntime({ cache: 'off' as never })),
      'load: batching "fast"': await caught(runtime.load({ format: 'onnx', source, backend: 'wasm', batching: 'fast' as never })),
      'run: priority "urgent"': await caught(model.run(frame(), { priority: 'urgent' as never })),
      'run: timeoutMs -1': await caught(model.run(frame(), { timeoutMs: -1 })),
      'run: timeoutMs NaN': await caught(model.run(frame(), { timeoutMs: Number.NaN })),
      'run: signal {}': await caught(model.run(frame(), { signal: {} as never })),
      'run: supersedeKey 5': await caught(model.run(frame(), { supersedeKey: 5 as never })),
      'vad.detect: NaN samples': await caught(vad.detect({ samples: new Float32Array(16000).fill(Number.NaN), sampleRate: 16000 })),
      'vad.detect: Infinity samples': await caught(vad.detect({ samples: new Float32Array(16000).fill(Number.POSITIVE_INFINITY), sampleRate: 16000 })),
      'vad.detect: positiveThreshold 2': await caught(vad.detect({ samples: new Float32Array(16000), sampleRate: 16000 }, { positiveThreshold: 2 })),
      'vad.stream: NaN chunk': await caught(vad.stream().push(new Float32Array(512).fill(Number.NaN))),
      'vad.detect: an already-aborted signal': await caught(
        vad.detect({ samples: new Float32Array(16000), sampleRate: 16000 }, { signal: AbortSignal.abort() }),
      ),
      'vad.detect: priority "urgent"': await caught(vad.detect({ samples: new Float32Array(16000), sampleRate: 16000 }, { priority: 'urgent' as never })),
      'pose: closed ImageBitmap': await caught(pose.detect(bitmap)),
      'pose: PNG header claims 20000×20000': await caught(pose.detect(new Blob([bomb], { type: 'image/png' }))),
      'ocr: maxImagePixels -1': await caught(runtime.ocr({ backend: 'wasm', maxImagePixels: -1 })),
    };
    // Every refusal shows in the VAD model's error counts (none reached its queue).
    const vadErrors = runtime.metrics.snapshot().models.find((m) => m.name === vad.name)?.errors;
    // Still serving.
    const after = (await model.run(frame())).output?.dims;
    await runtime.dispose();
    return { cases, after, vadErrors };
  });
  const expected: Record<string, [code: string, field: string]> = {
    'load: malformed URL': ['INVALID_OPTIONS', 'source'],
    'createRuntime: assetBaseUrl malformed': ['INVALID_OPTIONS', 'assetBaseUrl'],
    'createRuntime: cache "off"': ['INVALID_OPTIONS', 'cache'],
    'load: batching "fast"': ['INVALID_OPTIONS', 'batching'],
    'run: priority "urgent"': ['INVALID_OPTIONS', 'priority'],
    'run: timeoutMs -1': ['INVALID_OPTIONS', 'timeoutMs'],
    'run: timeoutMs NaN': ['INVALID_OPTIONS', 'timeoutMs'],
    'run: signal {}': ['INVALID_OPTIONS', 'signal'],
    'run: supersedeKey 5': ['INVALID_OPTIONS', 'supersedeKey'],
    'vad.detect: NaN samples': ['INVALID_INPUT', 'audio'],
    'vad.detect: Infinity samples': ['INVALID_INPUT', 'audio'],
    'vad.detect: positiveThreshold 2': ['INVALID_OPTIONS', 'positiveThreshold'],
    'vad.stream: NaN chunk': ['INVALID_INPUT', 'samples'],
    'vad.detect: an already-aborted signal': ['ABORTED', ''],
    'vad.detect: priority "urgent"': ['INVALID_OPTIONS', 'priority'],
    'pose: closed ImageBitmap': ['INVALID_INPUT', 'image'],
    'pose: PNG header claims 20000×20000': ['INVALID_INPUT', 'image'],
    'ocr: maxImagePixels -1': ['INVALID_OPTIONS', 'maxImagePixels'],
  };
  const got = Object.fromEntries(
    Object.entries(result.cases).map(([name, e]) => [name, e === null ? ['accepted', ''] : [e.code ?? `untyped ${e.name}`, e.input ?? '']]),
  );
  expect(got).toEqual(expected);
  for (const [name, error] of Object.entries(result.cases)) {
    expect(error?.isOwnClass, name).toBe(true);
    if (error?.code !== 'ABORTED') expect(error?.expected, `${name}: says what was expected`).toBeTruthy();
  }
  expect(result.vadErrors).toEqual({ INVALID_INPUT: 3, INVALID_OPTIONS: 2, ABORTED: 1 });
  expect(result.cases['pose: PNG header claims 20000×20000']?.message).toContain('by its PNG header (not decoded)');
  // The runtime still serves after all of it.
  expect(result.after).toEqual([1, 1]);
});

test('an option error never leaves a model loaded or a worker running; replicas are capped by the hardware', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime } = window.inpage;
    const { caught } = window.harness;
    const runtime = createRuntime();
    const source = '/models/silero_vad_v5.onnx';
    const base = { format: 'onnx' as const, source, backend: 'wasm' as const };
    const cores = navigator.hardwareConcurrency;
    const limit = Math.min(16, Math.max(4, cores));
    const cases = {
      'batching.maxBatchSize 0': await caught(runtime.load({ ...base, batching: { maxBatchSize: 0 } })),
      'batching.maxQueueSize 0': await caught(runtime.load({ ...base, batching: { maxQueueSize: 0 } })),
      'batching.defaultPriority "urgent"': await caught(runtime.load({ ...base, batching: { defaultPriority: 'urgent' as never } })),
      'replicas 1000': await caught(runtime.load({ ...base, replicas: 1000 })),
      'replicas one past the limit': await caught(runtime.load({ ...base, replicas: { count: limit + 1 } })),
    };
    const left = { models: runtime.models.length, workers: (JSON.parse(JSON.stringify(runtime)) as { workers: string[] }).workers.length };
    await runtime.dispose();
    return { cases, left, cores, limit };
  });
  const got = Object.fromEntries(Object.entries(result.cases).map(([name, e]) => [name, e === null ? 'accepted' : `${e.code ?? 'untyped'} ${e.input ?? ''}`]));
  expect(got).toEqual({
    'batching.maxBatchSize 0': 'INVALID_OPTIONS maxBatchSize',
    'batching.maxQueueSize 0': 'INVALID_OPTIONS maxQueueSize',
    'batching.defaultPriority "urgent"': 'INVALID_OPTIONS defaultPriority',
    'replicas 1000': 'INVALID_OPTIONS replicas',
    'replicas one past the limit': 'INVALID_OPTIONS replicas.count',
  });
  expect(result.cases['replicas 1000']?.expected).toContain(`from 1 to ${result.limit}`);
  expect(result.cases['replicas 1000']?.message).toContain(`${result.cores} cores`);
  // Nothing was loaded for them: no model, no worker.
  expect(result.left).toEqual({ models: 0, workers: 0 });
});
