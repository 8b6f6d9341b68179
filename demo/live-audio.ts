/**
 * The last few seconds of a live 16 kHz stream (samples and per-frame speech
 * probabilities) in ring buffers, turned into a scrolling {@link WaveformView}.
 */
import type { ShadedSegment, WaveformView } from './waveform';

/** A scrolling window over a live stream. */
export class LiveAudioWindow {
  private readonly samples: Float32Array;
  private readonly probabilities: Float32Array;
  private written = 0;
  private frames = 0;

  constructor(
    readonly windowMs: number,
    readonly sampleRate: number,
    readonly frameMs: number,
  ) {
    this.samples = new Float32Array(Math.ceil((windowMs / 1000) * sampleRate));
    this.probabilities = new Float32Array(Math.ceil(windowMs / frameMs) + 1);
  }

  /** Milliseconds of audio received. */
  get receivedMs(): number {
    return (this.written / this.sampleRate) * 1000;
  }

  /** Frames scored. */
  get scoredFrames(): number {
    return this.frames;
  }

  /** Add captured samples. */
  append(chunk: Float32Array): void {
    const ring = this.samples;
    for (const sample of chunk) {
      ring[this.written % ring.length] = sample;
      this.written += 1;
    }
  }

  /** Add the next frame's probability (frames arrive in order). */
  addProbability(probability: number): void {
    this.probabilities[this.frames % this.probabilities.length] = probability;
    this.frames += 1;
  }

  /** The window ending at the newest sample, with the segments that reach into it. */
  view(segments: readonly ShadedSegment[]): WaveformView {
    const ring = this.samples;
    const firstSample = Math.max(0, this.written - ring.length);
    const samples = new Float32Array(this.written - firstSample);
    for (let i = 0; i < samples.length; i += 1) samples[i] = ring[(firstSample + i) % ring.length] ?? 0;
    const startMs = (firstSample / this.sampleRate) * 1000;
    // Frames from the first one that starts inside the window.
    const firstFrame = Math.max(0, this.frames - this.probabilities.length, Math.ceil(startMs / this.frameMs));
    const probabilities = new Float32Array(Math.max(0, this.frames - firstFrame));
    for (let i = 0; i < probabilities.length; i += 1) probabilities[i] = this.probabilities[(firstFrame + i) % this.probabilities.length] ?? 0;
    return {
      samples,
      sampleRate: this.sampleRate,
      startMs,
      spanMs: this.windowMs,
      probabilities,
      firstFrameMs: firstFrame * this.frameMs,
      frameMs: this.frameMs,
      segments: segments.filter((s) => (s.endMs ?? Infinity) > startMs),
      endMs: this.receivedMs,
    };
  }
}
