/**
 * Silero VAD v5 in a worker, on WebGPU and on WASM: the speech frames of a real clip
 * score high, the silent frames low, with the recurrent state carried frame to frame
 * and the 64-sample context prepended to every 512-sample frame.
 */
import speech from '../public/samples/speech-16k.json' with { type: 'json' };
import { backends, expect, test, vadShapes } from './fixtures/page';

const frameMs = 32;

for (const backend of backends) {
  test(`VAD flags the speech frames of the clip on ${backend}`, async ({ harness }) => {
    const result = await harness.evaluate(
      async ({ backend, shapes }) => {
        const { createRuntime, tensor } = window.inpage;
        const runtime = createRuntime();
        const vad = await runtime.load({
          format: 'onnx',
          source: '/models/silero_vad_v5.onnx',
          backend,
          shapes: { input: [...shapes.input], state: [...shapes.state] },
        });
        const { samples, sampleRate } = await window.harness.loadWav('/samples/speech-16k.wav');
        const probabilities: number[] = [];
        let state: Float32Array = new Float32Array(2 * 128);
        let context = new Float32Array(64);
        for (let start = 0; start + 512 <= samples.length; start += 512) {
          const frame = new Float32Array(576);
          frame.set(context, 0);
          frame.set(samples.subarray(start, start + 512), 64);
          context = samples.slice(start + 512 - 64, start + 512);
          const out = await vad.run({
            input: tensor('float32', [1, 576], frame),
            state: tensor('float32', [2, 1, 128], state),
            sr: tensor('int64', [], BigInt64Array.of(BigInt(sampleRate))),
          });
          const probability = out.output;
          const nextState = out.stateN;
          if (probability?.dtype !== 'float32' || nextState?.dtype !== 'float32') throw new Error('unexpected VAD outputs');
          probabilities.push(probability.data[0] ?? Number.NaN);
          state = nextState.data;
        }
        const info = { backend: vad.backend, sampleRate };
        await runtime.dispose();
        return { probabilities, ...info };
      },
      { backend, shapes: vadShapes },
    );

    expect(result.backend).toBe(backend);
    expect(result.sampleRate).toBe(16000);
    const speechFrames: number[] = [];
    const silentFrames: number[] = [];
    result.probabilities.forEach((p, i) => {
      const start = i * frameMs;
      const end = start + frameMs;
      const inSpeech = speech.speech.some((s) => start >= s.startMs && end <= s.endMs);
      // Silence: before any speech, or ≥ 300 ms after a segment ends (the recurrent state decays).
      const silent = speech.speech.every((s) => end <= s.startMs || start >= s.endMs + 300);
      if (inSpeech) speechFrames.push(p);
      else if (silent) silentFrames.push(p);
    });
    expect(speechFrames.length).toBeGreaterThan(100);
    expect(silentFrames.length).toBeGreaterThan(40);
    const voiced = speechFrames.filter((p) => p > 0.5).length / speechFrames.length;
    expect(voiced, `share of speech frames above 0.5 on ${backend}`).toBeGreaterThan(0.8);
    for (const p of silentFrames) expect(p).toBeLessThan(0.1);
  });
}
