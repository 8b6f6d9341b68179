/**
 * AudioWorklet processor: microphone audio (any rate, any channel count) → 16 kHz mono,
 * posted to the page in chunks of 512 samples (one 32 ms VAD frame each). Loaded with
 * `audioWorklet.addModule`; its output stays silent.
 */
import { Downsampler, downsamplerProcessorName, mixToMono, vadChunkSamples, vadSampleRate } from './downsample';

// The AudioWorkletGlobalScope names this module uses (not in TypeScript's DOM lib).
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;

class DownsamplerProcessor extends AudioWorkletProcessor {
  private readonly downsampler = new Downsampler(sampleRate, vadSampleRate);
  private chunk = new Float32Array(vadChunkSamples);
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0];
    if (channels === undefined || channels.length === 0) return true;
    for (const sample of this.downsampler.process(mixToMono(channels))) {
      this.chunk[this.filled] = sample;
      this.filled += 1;
      if (this.filled === vadChunkSamples) {
        this.port.postMessage(this.chunk, [this.chunk.buffer]);
        this.chunk = new Float32Array(vadChunkSamples);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor(downsamplerProcessorName, DownsamplerProcessor);
