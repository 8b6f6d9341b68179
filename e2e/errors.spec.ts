/**
 * Bad input is rejected before any engine call with a typed error naming the input,
 * what was expected and what was given; the same worker then serves the next call.
 * Errors thrown inside the worker arrive as instances of inpage's own classes.
 */
import { backends, expect, test, vadShapes } from './fixtures/page';

for (const backend of backends) {
  test(`invalid VAD inputs get INVALID_INPUT and the worker keeps serving on ${backend}`, async ({ harness }) => {
    const result = await harness.evaluate(
      async ({ backend, shapes }) => {
        const { createRuntime, tensor } = window.inpage;
        const { caught } = window.harness;
        const runtime = createRuntime();
        const vad = await runtime.load({
          format: 'onnx',
          source: '/models/silero_vad_v5.onnx',
          backend,
          rejectNaN: true,
          shapes: { input: [...shapes.input], state: [...shapes.state] },
        });
        const input = () => tensor('float32', [1, 576], new Float32Array(576));
        const state = () => tensor('float32', [2, 1, 128], new Float32Array(256));
        const sr = () => tensor('int64', [], BigInt64Array.of(16000n));
        const valid = () => ({ input: input(), state: state(), sr: sr() });
        const before = await vad.run(valid());
        const frame = input();
        const cases = {
          unknownName: await caught(vad.run({ ...valid(), audio: input() })),
          missingName: await caught(vad.run({ input: input(), state: state() })),
          wrongDType: await caught(vad.run({ ...valid(), sr: tensor('int32', [], Int32Array.of(16000)) })),
          wrongDataType: await caught(vad.run({ ...valid(), input: { dtype: 'float32', dims: [1, 576], data: new Float64Array(576) } as never })),
          wrongRank: await caught(vad.run({ ...valid(), input: tensor('float32', [576], new Float32Array(576)) })),
          wrongShape: await caught(vad.run({ ...valid(), state: tensor('float32', [3, 1, 128], new Float32Array(384)) })),
          batchDisagrees: await caught(vad.run({ ...valid(), input: tensor('float32', [2, 576], new Float32Array(1152)) })),
          wrongLength: await caught(vad.run({ ...valid(), input: { dtype: 'float32', dims: [1, 576], data: new Float32Array(512) } })),
          nan: await caught(vad.run({ ...valid(), input: tensor('float32', [1, 576], new Float32Array(576).fill(Number.NaN)) })),
          notAnObject: await caught(vad.run(null as never)),
          frameRejected: await caught(vad.run({ input: frame, state: state() })),
        };
        const frameStillUsable = frame.data.byteLength === 576 * 4;
        const after = await vad.run(valid());
        const afterBatch = await vad.run({
          input: tensor('float32', [2, 576], new Float32Array(1152)),
          state: tensor('float32', [2, 2, 128], new Float32Array(512)),
          sr: sr(),
        });
        await runtime.dispose();
        const probability = (out: typeof before) => (out.output?.dtype === 'float32' ? [...out.output.data] : []);
        return { cases, frameStillUsable, before: probability(before), after: probability(after), afterBatch: afterBatch.output?.dims };
      },
      { backend, shapes: vadShapes },
    );

    const { cases } = result;
    for (const [name, error] of Object.entries(cases)) {
      expect(error, name).not.toBeNull();
      expect(error?.code, name).toBe('INVALID_INPUT');
      expect(error?.name, name).toBe('InvalidInputError');
      expect(error?.isInpageError, name).toBe(true);
      expect(error?.isOwnClass, name).toBe(true);
      expect(error?.model, name).toBe('silero_vad_v5');
    }
    expect(cases.unknownName?.input).toBe('audio');
    expect(cases.unknownName?.message).toContain('"input", "state", "sr"');
    expect(cases.missingName?.input).toBe('sr');
    expect(cases.wrongDType).toMatchObject({ input: 'sr', expected: 'int64', got: 'int32' });
    expect(cases.wrongDataType).toMatchObject({ input: 'input', got: 'Float64Array' });
    expect(cases.wrongRank).toMatchObject({ input: 'input', expected: 'rank 2 [batch, 576]', got: 'rank 1 [576]' });
    expect(cases.wrongShape).toMatchObject({ input: 'state', expected: '[2, batch, 128]', got: '[3, 1, 128]' });
    expect(cases.batchDisagrees?.message).toContain('dimension "batch"');
    expect(cases.wrongLength).toMatchObject({ input: 'input', expected: '576 elements for [1, 576]', got: '512' });
    expect(cases.nan).toMatchObject({ input: 'input', got: 'NaN at flat index 0' });
    // A rejected call detaches nothing: validation runs before the transfer.
    expect(result.frameStillUsable).toBe(true);
    // The worker still serves, with the same answers.
    expect(result.after).toEqual(result.before);
    expect(result.afterBatch).toEqual([2, 1]);
  });
}

test('invalid MoveNet input is rejected and the TF.js worker keeps serving', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime, tensor } = window.inpage;
    const { caught } = window.harness;
    const runtime = createRuntime();
    const pose = await runtime.load({ format: 'tfjs-graph', source: '/models/movenet-lightning/movenet-lightning.json', backend: 'wasm' });
    const wrongSize = await caught(pose.run({ input: tensor('int32', [1, 128, 128, 3], new Int32Array(128 * 128 * 3)) }));
    const wrongDType = await caught(pose.run({ input: tensor('float32', [1, 192, 192, 3], new Float32Array(192 * 192 * 3)) }));
    const ok = await pose.run({ input: tensor('int32', [1, 192, 192, 3], new Int32Array(192 * 192 * 3)) });
    await runtime.dispose();
    return { wrongSize, wrongDType, okDims: Object.values(ok)[0]?.dims };
  });
  expect(result.wrongSize).toMatchObject({ code: 'INVALID_INPUT', input: 'input', expected: '[1, 192, 192, 3]', got: '[1, 128, 128, 3]' });
  expect(result.wrongDType).toMatchObject({ code: 'INVALID_INPUT', expected: 'int32', got: 'float32' });
  expect(result.okDims).toEqual([1, 1, 17, 3]);
});

test('load failures are typed: missing file, wrong backend, bad descriptor, wrong source kind', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime } = window.inpage;
    const { caught } = window.harness;
    const runtime = createRuntime();
    const cases = {
      missing: await caught(runtime.load({ format: 'onnx', source: '/models/does-not-exist.onnx', backend: 'wasm' })),
      garbage: await caught(runtime.load({ format: 'onnx', source: new Uint8Array([1, 2, 3, 4]), backend: 'wasm' })),
      ortCpu: await caught(runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'cpu' })),
      badBackend: await caught(runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'tpu' as never })),
      badFormat: await caught(runtime.load({ format: 'pt' as never, source: '/x.pt' })),
      tfjsBytes: await caught(runtime.load({ format: 'tfjs-graph', source: new Uint8Array(8), backend: 'cpu' })),
      badOverride: await caught(runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm', shapes: { state: [3, 'batch', 128] } })),
    };
    // The worker that saw all of that still loads and runs models.
    const vad = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm' });
    const tfCpu = await runtime.load({ format: 'tfjs-graph', source: '/models/movenet-lightning/movenet-lightning.json', backend: 'cpu' });
    const loaded = { vad: vad.backend, tfCpu: tfCpu.backend };
    await runtime.dispose();
    return { cases, loaded };
  });
  const { cases } = result;
  expect(cases.missing).toMatchObject({ code: 'MODEL_LOAD_FAILED', name: 'ModelLoadError', isOwnClass: true, got: 'HTTP 404' });
  expect(cases.garbage).toMatchObject({ code: 'MODEL_LOAD_FAILED', isOwnClass: true });
  expect(cases.ortCpu).toMatchObject({ code: 'BACKEND_UNAVAILABLE', name: 'BackendUnavailableError', isOwnClass: true, backend: 'cpu' });
  expect(cases.ortCpu?.message).toContain('use "wasm"');
  expect(cases.badBackend).toMatchObject({ code: 'INVALID_OPTIONS', input: 'backend', got: 'tpu' });
  expect(cases.badFormat).toMatchObject({ code: 'INVALID_OPTIONS', input: 'format', got: 'pt' });
  expect(cases.tfjsBytes).toMatchObject({ code: 'MODEL_LOAD_FAILED', got: 'raw bytes' });
  expect(cases.badOverride).toMatchObject({ code: 'INVALID_OPTIONS', input: 'state' });
  expect(result.loaded).toEqual({ vad: 'wasm', tfCpu: 'cpu' });
});
