/**
 * Audio people actually have → mono 16 kHz float samples. Decoding and resampling need
 * `OfflineAudioContext`, which exists only on the main thread, so this runs here and the
 * samples are then transferred to the worker.
 */
import { InvalidInputError, messageOf } from '../errors';
import { describeValue } from '../tensor';

/** Raw samples with their rate. */
export interface PcmAudio {
  readonly samples: Float32Array;
  readonly sampleRate: number;
}

/** Every audio input the tasks accept. */
export type AudioInput = Blob | AudioBuffer | PcmAudio;

/** The rate every audio model here expects. */
export const targetSampleRate = 16000;

function isPcm(input: unknown): input is PcmAudio {
  return typeof input === 'object' && input !== null && 'samples' in input && 'sampleRate' in input;
}

async function resample(buffer: AudioBuffer): Promise<Float32Array> {
  if (buffer.sampleRate === targetSampleRate && buffer.numberOfChannels === 1) return buffer.getChannelData(0).slice();
  const length = Math.ceil(buffer.duration * targetSampleRate);
  // One output channel: the Web Audio graph down-mixes (speaker rules) while it resamples.
  const context = new OfflineAudioContext(1, length, targetSampleRate);
  const node = context.createBufferSource();
  node.buffer = buffer;
  node.connect(context.destination);
  node.start();
  const rendered = await context.startRendering();
  return rendered.getChannelData(0).slice();
}

/**
 * Decode and resample `input` to mono 16 kHz.
 * Throws `INVALID_INPUT` for undecodable data, a bad sample rate, or an empty clip.
 */
export async function toMono16k(input: AudioInput, task: string): Promise<Float32Array> {
  let samples: Float32Array;
  if (input instanceof Blob) {
    if (input.size === 0)
      throw new InvalidInputError('The audio file is empty (0 bytes).', { model: task, input: 'audio', expected: 'an encoded audio file', got: '0 bytes' });
    let decoded: AudioBuffer;
    try {
      // decodeAudioData resamples to the context's rate as it decodes.
      decoded = await new OfflineAudioContext(1, 1, targetSampleRate).decodeAudioData(await input.arrayBuffer());
    } catch (error) {
      throw new InvalidInputError(`The audio could not be decoded (${messageOf(error)}). Pass WAV, MP3, OGG/Opus, FLAC or AAC, or raw samples.`, {
        model: task,
        input: 'audio',
        expected: 'a decodable audio file',
        got: `${input.type || 'untyped'} blob of ${input.size} bytes`,
        detail: messageOf(error),
      });
    }
    samples = await resample(decoded);
  } else if (typeof AudioBuffer !== 'undefined' && input instanceof AudioBuffer) {
    samples = await resample(input);
  } else if (isPcm(input)) {
    const { sampleRate } = input;
    if (!(input.samples instanceof Float32Array)) {
      throw new InvalidInputError('Audio samples must be a Float32Array.', {
        model: task,
        input: 'audio',
        expected: 'Float32Array',
        got: describeValue(input.samples),
      });
    }
    if (!Number.isFinite(sampleRate) || sampleRate < 3000 || sampleRate > 768000) {
      throw new InvalidInputError(`Audio sample rate ${sampleRate} is out of range.`, {
        model: task,
        input: 'sampleRate',
        expected: '3000…768000 Hz',
        got: String(sampleRate),
      });
    }
    if (input.samples.length === 0)
      throw new InvalidInputError('The audio clip is empty (0 samples).', { model: task, input: 'audio', expected: 'at least 1 sample', got: '0 samples' });
    if (sampleRate === targetSampleRate) samples = input.samples.slice();
    else {
      const buffer = new AudioBuffer({ length: input.samples.length, sampleRate, numberOfChannels: 1 });
      buffer.copyToChannel(new Float32Array(input.samples), 0);
      samples = await resample(buffer);
    }
  } else {
    throw new InvalidInputError(`Unsupported audio input: ${describeValue(input)}.`, {
      model: task,
      input: 'audio',
      expected: 'Blob | File | AudioBuffer | { samples: Float32Array, sampleRate }',
      got: describeValue(input),
    });
  }
  if (samples.length === 0)
    throw new InvalidInputError('The audio clip is empty (0 samples).', { model: task, input: 'audio', expected: 'at least 1 sample', got: '0 samples' });
  checkFiniteSamples(samples, task, 'audio');
  return samples;
}

/** Throw `INVALID_INPUT` naming the first NaN or ±Infinity in `samples` (a model would score it as garbage). */
export function checkFiniteSamples(samples: Float32Array, task: string, field: string): void {
  for (let i = 0; i < samples.length; i += 1) {
    const value = samples[i] ?? 0;
    if (!Number.isFinite(value))
      throw new InvalidInputError(`Audio sample ${i} is ${String(value)}; samples must be finite numbers (usually in [-1, 1]).`, {
        model: task,
        input: field,
        expected: 'finite samples',
        got: `${String(value)} at sample ${i}`,
      });
  }
}
