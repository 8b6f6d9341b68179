/**
 * The VAD task: a one-shot API over a whole clip in any accepted form (Blob, AudioBuffer,
 * samples at another rate), and a streaming API whose state belongs to the stream, so
 * concurrent streams on one session do not disturb each other.
 */
import speech from '../public/samples/speech-16k.json' with { type: 'json' };
import { backends, expect, test } from './fixtures/page';

const near = (a: number, b: number, tolerance: number) => Math.abs(a - b) <= tolerance;

for (const backend of backends) {
  test(`VAD finds the clip's speech on ${backend} (Blob; and AudioBuffer, 48 kHz samples on wasm)`, async ({ harness }) => {
    const result = await harness.evaluate(async (backend) => {
      const runtime = window.inpage.createRuntime();
      const vad = await runtime.vad({ backend });
      const blob = await (await fetch('/samples/speech-16k.wav')).blob();
      const { samples } = await window.harness.loadWav('/samples/speech-16k.wav');
      // 48 kHz copy (linear interpolation), to exercise resampling.
      const upsampled = new Float32Array(samples.length * 3);
      for (let i = 0; i < upsampled.length; i += 1) {
        const at = i / 3;
        const lo = Math.floor(at);
        const hi = Math.min(samples.length - 1, lo + 1);
        upsampled[i] = (samples[lo] ?? 0) * (1 - (at - lo)) + (samples[hi] ?? 0) * (at - lo);
      }
      const audioBuffer = new AudioBuffer({ length: samples.length, sampleRate: 16000, numberOfChannels: 2 });
      audioBuffer.copyToChannel(samples, 0);
      audioBuffer.copyToChannel(samples, 1);
      const fromBlob = await vad.detect(blob);
      // Decoding and resampling run on the main thread whatever the backend: check the
      // other input forms once, on the fast backend.
      const others =
        backend === 'wasm'
          ? { fromBuffer: (await vad.detect(audioBuffer)).segments, from48k: (await vad.detect({ samples: upsampled, sampleRate: 48000 })).segments }
          : {};
      const out = { backend: vad.backend, fromBlob: fromBlob.segments, ...others, durationMs: fromBlob.durationMs };
      await runtime.dispose();
      return out;
    }, backend);

    expect(result.backend).toBe(backend);
    expect(result.durationMs).toBeGreaterThan(7000);
    const forms = { fromBlob: result.fromBlob, fromBuffer: result.fromBuffer, from48k: result.from48k };
    if (backend === 'wasm') expect(Object.values(forms).every((f) => f !== undefined)).toBe(true);
    for (const [name, segments] of Object.entries(forms)) {
      if (segments === undefined) continue;
      expect(segments, name).toHaveLength(speech.speech.length);
      segments.forEach((segment, i) => {
        const truth = speech.speech[i];
        if (truth === undefined) throw new Error('more segments than truth');
        expect(near(segment.startMs, truth.startMs, 150), `${name} segment ${i} start ${segment.startMs} vs ${truth.startMs}`).toBe(true);
        expect(near(segment.endMs, truth.endMs, 300), `${name} segment ${i} end ${segment.endMs} vs ${truth.endMs}`).toBe(true);
      });
    }
  });
}

test('concurrent streams share one session and keep their own state', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const vad = await runtime.vad({ backend: 'wasm' });
    const { samples } = await window.harness.loadWav('/samples/speech-16k.wav');
    // Stream B hears the same clip delayed by 1.5 s of silence.
    const delayed = new Float32Array(samples.length + 24000);
    delayed.set(samples, 24000);
    type Event = { type: string; timeMs: number };
    const feed = async (stream: ReturnType<typeof vad.stream>, audio: Float32Array, chunkSizes: number[]) => {
      const events: Event[] = [];
      let offset = 0;
      let i = 0;
      while (offset < audio.length) {
        const size = chunkSizes[i % chunkSizes.length] ?? 512;
        events.push(...(await stream.push(audio.subarray(offset, offset + size))));
        offset += size;
        i += 1;
      }
      events.push(...(await stream.end()));
      return events.map((e) => ({ type: e.type, timeMs: e.timeMs }));
    };
    // Alone, then interleaved on the same task (same session): results must match.
    const aloneA = await feed(vad.stream(), samples, [1000]);
    const aloneB = await feed(vad.stream(), delayed, [333, 4096]);
    const [togetherA, togetherB] = await Promise.all([feed(vad.stream(), samples, [1000]), feed(vad.stream(), delayed, [333, 4096])]);
    await runtime.dispose();
    return { aloneA, aloneB, togetherA, togetherB };
  });
  expect(result.togetherA).toEqual(result.aloneA);
  expect(result.togetherB).toEqual(result.aloneB);
  const starts = (events: { type: string; timeMs: number }[]) => events.filter((e) => e.type === 'speech-start').map((e) => e.timeMs);
  expect(starts(result.aloneA)).toHaveLength(2);
  expect(near(starts(result.aloneA)[0] ?? 0, speech.speech[0]?.startMs ?? 0, 150)).toBe(true);
  // B is A shifted by 1500 ms.
  starts(result.aloneB).forEach((t, i) => expect(near(t - 1500, starts(result.aloneA)[i] ?? 0, 64)).toBe(true));
  expect(result.aloneA.filter((e) => e.type === 'speech-end')).toHaveLength(2);
});

test('bad audio gets INVALID_INPUT; the task keeps serving', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { caught } = window.harness;
    const runtime = window.inpage.createRuntime();
    const vad = await runtime.vad({ backend: 'wasm' });
    const good = await (await fetch('/samples/speech-16k.wav')).blob();
    const [valid, empty, undecodable, zeroSamples, badRate, wrongType] = await Promise.all([
      vad.detect(good).then((d) => d.segments.length),
      caught(vad.detect(new Blob([], { type: 'audio/wav' }))),
      caught(vad.detect(new Blob(['not audio at all'], { type: 'audio/wav' }))),
      caught(vad.detect({ samples: new Float32Array(0), sampleRate: 16000 })),
      caught(vad.detect({ samples: new Float32Array(100), sampleRate: 12 })),
      caught(vad.detect('speech.wav' as never)),
    ]);
    const stream = vad.stream();
    const badChunk = await caught(stream.push([0, 1, 2] as never));
    await stream.end();
    const afterEnd = await caught(stream.push(new Float32Array(512)));
    const after = (await vad.detect(good)).segments.length;
    await runtime.dispose();
    return { valid, empty, undecodable, zeroSamples, badRate, wrongType, badChunk, afterEnd, after };
  });
  expect(result.valid).toBe(2);
  expect(result.empty).toMatchObject({ code: 'INVALID_INPUT', input: 'audio', got: '0 bytes' });
  expect(result.undecodable).toMatchObject({ code: 'INVALID_INPUT', input: 'audio' });
  expect(result.undecodable?.message).toContain('could not be decoded');
  expect(result.zeroSamples).toMatchObject({ code: 'INVALID_INPUT', got: '0 samples' });
  expect(result.badRate).toMatchObject({ code: 'INVALID_INPUT', input: 'sampleRate', got: '12' });
  expect(result.wrongType).toMatchObject({ code: 'INVALID_INPUT', got: 'string' });
  expect(result.badChunk).toMatchObject({ code: 'INVALID_INPUT', input: 'samples', got: 'number[]' });
  expect(result.afterEnd).toMatchObject({ code: 'INVALID_INPUT', got: 'ended' });
  expect(result.after).toBe(2);
});
