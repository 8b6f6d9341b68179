/**
 * Streaming sample-rate conversion to 16 kHz for live audio: each output sample is the
 * mean of the input over its own time span (a box filter, which also keeps most of the
 * aliasing out — plenty for voice activity). Pure, so the AudioWorklet and tests share it.
 */

/** The rate the VAD model expects. */
export const vadSampleRate = 16000;

/** Samples per VAD frame (32 ms at 16 kHz): the live chunk size. */
export const vadChunkSamples = 512;

/** The AudioWorklet processor's name (see downsample-worklet.ts). */
export const downsamplerProcessorName = 'inpage-downsampler';

/** Converts a stream of chunks at `inputRate` to `outputRate`, carrying partial windows across chunks. */
export class Downsampler {
  /** Input samples per output sample. */
  private readonly ratio: number;
  private sum = 0;
  private filled = 0;

  constructor(inputRate: number, outputRate = vadSampleRate) {
    if (!(inputRate > 0 && outputRate > 0)) throw new Error(`bad sample rates ${inputRate} → ${outputRate}`);
    this.ratio = inputRate / outputRate;
  }

  /** Convert the next chunk; returns the output samples it completes. */
  process(input: Float32Array): Float32Array {
    const ratio = this.ratio;
    const output = new Float32Array(Math.ceil((input.length + this.filled) / ratio) + 1);
    let count = 0;
    for (const x of input) {
      // Each input sample covers one unit of input time, split across output windows.
      let remaining = 1;
      while (remaining > 1e-9) {
        const take = Math.min(ratio - this.filled, remaining);
        this.sum += x * take;
        this.filled += take;
        remaining -= take;
        if (this.filled >= ratio - 1e-9) {
          output[count] = this.sum / ratio;
          count += 1;
          this.sum = 0;
          this.filled = 0;
        }
      }
    }
    return output.slice(0, count);
  }
}

/** Average the channels of one render quantum into mono. */
export function mixToMono(channels: readonly Float32Array[]): Float32Array {
  const first = channels[0];
  if (first === undefined) return new Float32Array(0);
  if (channels.length === 1) return first;
  const mono = new Float32Array(first.length);
  for (const channel of channels) for (let i = 0; i < mono.length; i += 1) mono[i] = (mono[i] ?? 0) + (channel[i] ?? 0) / channels.length;
  return mono;
}
