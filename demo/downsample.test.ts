import { describe, expect, it } from 'vitest';
import { Downsampler, mixToMono } from './downsample';

function sine(rate: number, hz: number, seconds: number): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate));
}

function rms(samples: Float32Array): number {
  return Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
}

/** Feed `input` in render quanta of 128 samples, as an AudioWorklet does. */
function streamed(downsampler: Downsampler, input: Float32Array): Float32Array {
  const parts: number[] = [];
  for (let i = 0; i < input.length; i += 128) parts.push(...downsampler.process(input.subarray(i, i + 128)));
  return Float32Array.from(parts);
}

describe('Downsampler', () => {
  it.each([48000, 44100, 16000])('turns %i Hz into 16 kHz across chunk boundaries, keeping a voice-band tone', (rate) => {
    const input = sine(rate, 300, 1);
    const output = streamed(new Downsampler(rate), input);
    expect(Math.abs(output.length - 16000)).toBeLessThanOrEqual(1);
    // A 300 Hz tone keeps its level (a box filter over ≤ 3 samples barely touches it) …
    expect(rms(output) / rms(input)).toBeGreaterThan(0.97);
    // … and its shape: it matches the tone sampled directly at 16 kHz, up to the box filter's half-window delay.
    const delay = (rate / 16000 - 1) / 2 / rate;
    const reference = Float32Array.from({ length: output.length }, (_, i) => Math.sin(2 * Math.PI * 300 * (i / 16000 + delay)));
    const error = Math.max(...output.map((x, i) => Math.abs(x - (reference[i] ?? 0))));
    expect(error).toBeLessThan(0.02);
  });

  it('attenuates a tone near the input Nyquist (box filter)', () => {
    const input = sine(48000, 15000, 0.5);
    expect(rms(streamed(new Downsampler(48000), input)) / rms(input)).toBeLessThan(0.4);
  });

  it('refuses non-positive rates', () => {
    expect(() => new Downsampler(0)).toThrow(/bad sample rates/);
  });
});

describe('mixToMono', () => {
  it('averages channels and passes one channel through', () => {
    const left = Float32Array.of(1, 0, -1);
    expect(mixToMono([left])).toBe(left);
    expect([...mixToMono([left, Float32Array.of(0, 1, 1)])]).toEqual([0.5, 0.5, 0]);
    expect(mixToMono([]).length).toBe(0);
  });
});
