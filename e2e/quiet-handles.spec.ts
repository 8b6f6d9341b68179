/**
 * Ordinary use is quiet and handles are plain to log (issue 11):
 * - pose, VAD and embeddings calls on wasm log nothing to the console, page or workers
 *   (TF.js used to warn on every pose call that `execute` would do);
 * - `JSON.stringify` of a loaded model and of every task handle gives a small summary and
 *   makes no worker call (it used to walk a comlink proxy: a worker call, and an unhandled
 *   rejection).
 */
import type { ConsoleMessage, Page } from '@playwright/test';
import { expect, test, vadShapes } from './fixtures/page';

/** Warnings and errors on the console of the page and its workers, and page errors, from now on. */
function noise(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'warning' || message.type() === 'error') seen.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => seen.push(`pageerror: ${error.message}`));
  return seen;
}

test('pose, VAD and embeddings calls log nothing to the console on wasm', async ({ harness }) => {
  const seen = noise(harness);
  const result = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const [pose, vad, encoder] = await Promise.all([
      runtime.pose({ backend: 'wasm' }),
      runtime.vad({ backend: 'wasm' }),
      runtime.embeddings({ backend: 'wasm' }),
    ]);
    const image = await (await fetch('/samples/astronaut.jpg')).blob();
    const tone = Float32Array.from({ length: 4096 }, (_, i) => 0.2 * Math.sin(i / 5));
    const stream = vad.stream();
    const out = {
      // Twice each: the warning came on every call, not only the first.
      pose: [(await pose.detect(image)).keypoints.length, (await pose.detect(image)).keypoints.length],
      vad: [(await stream.push(tone)).length >= 0, stream.timeMs],
      embed: [(await encoder.embed('Hello world.'))[0]?.length, (await encoder.embed(['Good morning.', 'Good night.'])).length],
    };
    await runtime.dispose();
    return out;
  });
  expect(result).toEqual({ pose: [17, 17], vad: [true, 256], embed: [512, 2] });
  expect(seen).toEqual([]);
});

test('JSON.stringify of a loaded model and of every task handle gives a summary, with no worker call and no unhandled rejection', async ({ harness }) => {
  const seen = noise(harness);
  const result = await harness.evaluate(async (shapes) => {
    const rejections: string[] = [];
    window.addEventListener('unhandledrejection', (event) => rejections.push(String(event.reason)));
    const { createRuntime, tensor } = window.inpage;
    const runtime = createRuntime({ cache: { embeddings: false } });
    const model = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm', id: 'vad-model', shapes });
    const pose = await runtime.pose({ backend: 'wasm' });
    const ocr = await runtime.ocr({ backend: 'wasm' });
    const encoder = await runtime.embeddings({ backend: 'wasm' });
    const vad = await runtime.vad({ backend: 'wasm' });
    const generator = await runtime.textGeneration({ backend: 'wasm' });
    const stream = vad.stream();
    const run = generator.generate('Hello', { maxNewTokens: 2 });
    await run.stats;
    const handles = { model, pose, ocr, encoder, vad, generator, stream };
    const json = Object.fromEntries(Object.entries(handles).map(([name, handle]) => [name, JSON.stringify(handle)]));
    const runJson = JSON.stringify(run);
    const runtimeJson = JSON.stringify(runtime);
    const all = JSON.stringify(handles);
    const keys = Object.fromEntries(Object.entries(handles).map(([name, handle]) => [name, Object.keys(handle).sort()]));
    const names = { pose: pose.name, ocr: ocr.name, encoder: encoder.name, vad: vad.name, generator: generator.name };
    // Any worker call the stringify started was sent before these, and a worker answers in order.
    await model.run({
      input: tensor('float32', [1, 576], new Float32Array(576)),
      state: tensor('float32', [2, 1, 128], new Float32Array(256)),
      sr: tensor('int64', [], BigInt64Array.of(16000n)),
    });
    await Promise.all([pose.detect('/samples/astronaut.jpg'), encoder.embed('Hello.'), runtime.environment()]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    await model.dispose();
    const disposed = JSON.stringify(model);
    await runtime.dispose();
    return { json, all, keys, names, loadMs: model.loadMs, operators: model.operators, disposed, rejections, runJson, runtimeJson };
  }, vadShapes);
  expect(result.rejections).toEqual([]);
  expect(seen).toEqual([]);
  // The operators the graph uses, read from the file: Silero v5's LSTM and its If on the sample rate.
  expect(result.operators).toEqual(expect.arrayContaining(['Conv', 'If', 'LSTM', 'Sigmoid']));
  expect(result.operators).toEqual([...(result.operators ?? [])].sort());
  const parsed = (text: string | undefined): unknown => JSON.parse(text ?? 'null');
  const modelSummary = {
    id: 'vad-model',
    format: 'onnx',
    backend: 'wasm',
    backendReason: 'asked for "wasm"',
    disposed: false,
    inputs: [
      { name: 'input', dtype: 'float32', shape: ['batch', 576] },
      { name: 'state', dtype: 'float32', shape: [2, 'batch', 128] },
      { name: 'sr', dtype: 'int64', shape: [] },
    ],
    outputs: [
      { name: 'output', dtype: 'float32', shape: [null, 1] },
      { name: 'stateN', dtype: 'float32', shape: [null, null, null] },
    ],
    loadMs: result.loadMs,
  };
  expect(parsed(result.json.model)).toEqual(modelSummary);
  expect(parsed(result.disposed)).toEqual({ ...modelSummary, disposed: true });
  const task = (kind: string, name: string) => ({ kind, name, backend: 'wasm', disposed: false, replicas: 1 });
  const expected = {
    model: modelSummary,
    pose: task('pose', result.names.pose),
    ocr: task('ocr', result.names.ocr),
    encoder: task('embed', result.names.encoder),
    vad: task('vad', result.names.vad),
    generator: task('generate', result.names.generator),
    stream: { kind: 'vad-stream', task: result.names.vad, timeMs: 0, ended: false },
  };
  expect(Object.fromEntries(Object.entries(result.json).map(([name, text]) => [name, parsed(text)]))).toEqual(expected);
  expect(parsed(result.all)).toEqual(expected);
  expect(parsed(result.runJson)).toMatchObject({ kind: 'text-generation', tokens: 2, finished: true, failed: false });
  const runtimeSummary = parsed(result.runtimeJson) as {
    disposed: boolean;
    workers: string[];
    models: { memoryBytes: number }[];
    assets: { ortWasmPrefix: string };
  };
  // `runtime.models` lists every model with its state and memory: the one loaded here, and the embedding and VAD tasks'.
  const status = (id: string) => ({ id, state: 'loaded', registered: false, backend: 'wasm', replicas: 1, loads: 1, idleUnloadMs: 0, idleMs: null });
  expect(runtimeSummary).toMatchObject({ disposed: false, models: [status('vad-model'), status(result.names.encoder), status(result.names.vad)] });
  const memory = runtimeSummary.models.map((m) => m.memoryBytes);
  expect(memory[0]).toBeGreaterThan(1_000_000); // the Silero file, ≈ 2.2 MB
  expect(memory[1]).toBeGreaterThan(20_000_000); // USE-lite fp32's weight shards, ≈ 28 MB
  expect(memory[2]).toBe(memory[0]);
  expect(runtimeSummary.workers.length).toBeGreaterThan(1);
  expect(runtimeSummary.assets.ortWasmPrefix).toMatch(/\/ort\/$/);
  // Nothing private is enumerable: no worker client, queue, loader or replicas to walk.
  expect(result.keys).toEqual({
    model: ['backend', 'backendReason', 'backendTimings', 'fallbackReason', 'format', 'id', 'inputs', 'loadMs', 'operators', 'outputs', 'weightBytes'],
    pose: [],
    ocr: [],
    encoder: [],
    vad: [],
    generator: ['name'],
    stream: [],
  });
});
