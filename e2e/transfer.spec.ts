/**
 * Tensors cross the worker boundary as `{dtype, dims, data}` with their buffers
 * transferred: the sender's buffer is detached after the call, results arrive in
 * buffers of their own, and `transfer: false` keeps the caller's arrays usable.
 */
import { backends, expect, test } from './fixtures/page';

for (const backend of backends) {
  test(`input buffers are transferred, not copied, on ${backend}`, async ({ harness }) => {
    const result = await harness.evaluate(async (backend) => {
      const { createRuntime, tensor } = window.inpage;
      const runtime = createRuntime();
      const vad = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend });
      const frame = new Float32Array(576);
      for (let i = 0; i < frame.length; i += 1) frame[i] = 0.3 * Math.sin(i / 5);
      const state = new Float32Array(256);
      const sr = BigInt64Array.of(16000n);
      const copyOfFrame = frame.slice();
      const before = { frame: frame.buffer.byteLength, state: state.buffer.byteLength };
      const transferred = await vad.runDetailed({
        input: tensor('float32', [1, 576], frame),
        state: tensor('float32', [2, 1, 128], state),
        sr: tensor('int64', [], sr),
      });
      const after = { frame: frame.buffer.byteLength, state: state.buffer.byteLength, sr: sr.buffer.byteLength };

      const kept = copyOfFrame.slice();
      const copied = await vad.run(
        {
          input: tensor('float32', [1, 576], kept),
          state: tensor('float32', [2, 1, 128], new Float32Array(256)),
          sr: tensor('int64', [], BigInt64Array.of(16000n)),
        },
        { transfer: false },
      );
      const keptUsable = kept.byteLength === 576 * 4 && kept[10] === copyOfFrame[10];
      const out = transferred.outputs.output;
      const outOwnsBuffer =
        out !== undefined && out.data.byteOffset === 0 && out.data.buffer.byteLength === out.data.byteLength && !(out.data.buffer instanceof SharedArrayBuffer);
      const same = out?.data[0] === copied.output?.data[0];
      const timings = transferred.timings;
      await runtime.dispose();
      return { before, after, keptUsable, outOwnsBuffer, same, timings, roundTripMs: transferred.roundTripMs };
    }, backend);

    expect(result.before).toEqual({ frame: 576 * 4, state: 256 * 4 });
    // Detached: a transferred ArrayBuffer has byteLength 0 on the sending side.
    expect(result.after).toEqual({ frame: 0, state: 0, sr: 0 });
    expect(result.keptUsable).toBe(true);
    expect(result.outOwnsBuffer).toBe(true);
    expect(result.same).toBe(true);
    expect(result.timings.inferenceMs).toBeGreaterThan(0);
    expect(result.roundTripMs).toBeGreaterThanOrEqual(result.timings.inferenceMs);
  });
}
