/**
 * Drawing audio for the VAD panel: the waveform (min/max of the samples under each pixel
 * column), the speech segments shaded over it, and the per-frame speech probability as a
 * line. Used for whole clips and for the scrolling live view.
 */

/** A stretch of speech in ms; an open one (still speaking) has `endMs` undefined. */
export interface ShadedSegment {
  readonly startMs: number;
  readonly endMs?: number;
}

/** What to draw: a time window and the audio, probabilities and segments inside it. */
export interface WaveformView {
  /** Samples from `startMs` on (may cover less than the window, e.g. at the start of a live view). */
  readonly samples: Float32Array;
  readonly sampleRate: number;
  /** Time (ms) at the canvas's left edge, and the window's length. */
  readonly startMs: number;
  readonly spanMs: number;
  /** Speech probability per frame; frame `i` starts at `firstFrameMs + i * frameMs`. */
  readonly probabilities: ArrayLike<number>;
  readonly firstFrameMs: number;
  readonly frameMs: number;
  readonly segments: readonly ShadedSegment[];
  /** End of the audio so far (ms): where an open segment's shading stops. */
  readonly endMs: number;
}

const colors = { wave: '#607d8b', segment: '#2e7d3238', segmentEdge: '#2e7d32', probability: '#e65100' };

/** Draw `view` on `canvas` and give the canvas an aria-label that says what it shows. */
export function drawWaveform(canvas: HTMLCanvasElement, view: WaveformView, what: string): void {
  const context = canvas.getContext('2d');
  if (context !== null) {
    const { width, height } = canvas;
    const x = (timeMs: number): number => ((timeMs - view.startMs) / view.spanMs) * width;
    context.clearRect(0, 0, width, height);
    // Speech segments, full height.
    for (const segment of view.segments) {
      const from = Math.max(0, x(segment.startMs));
      const to = Math.min(width, x(segment.endMs ?? view.endMs));
      if (to <= from) continue;
      context.fillStyle = colors.segment;
      context.fillRect(from, 0, to - from, height);
      context.fillStyle = colors.segmentEdge;
      context.fillRect(from, 0, 2, height);
    }
    drawSamples(context, view, width, height);
    // The probability line: 0 at the bottom, 1 at the top.
    context.strokeStyle = colors.probability;
    context.lineWidth = 2;
    context.beginPath();
    for (let i = 0; i < view.probabilities.length; i += 1) {
      const px = x(view.firstFrameMs + (i + 0.5) * view.frameMs);
      const py = (1 - (view.probabilities[i] ?? 0)) * (height - 4) + 2;
      if (i === 0) context.moveTo(px, py);
      else context.lineTo(px, py);
    }
    context.stroke();
    context.lineWidth = 1;
  }
  canvas.setAttribute('aria-label', describeWaveform(view, what));
}

function drawSamples(context: CanvasRenderingContext2D, view: WaveformView, width: number, height: number): void {
  const { samples } = view;
  let peak = 0;
  for (const s of samples) peak = Math.max(peak, Math.abs(s));
  // Normalised to the loudest sample, but quiet noise stays small.
  const scale = ((height / 2) * 0.9) / Math.max(peak, 0.05);
  const samplesPerColumn = (view.spanMs / 1000 / width) * view.sampleRate;
  const middle = height / 2;
  context.fillStyle = colors.wave;
  for (let column = 0; column < width; column += 1) {
    const from = Math.floor(column * samplesPerColumn);
    const to = Math.min(samples.length, Math.max(from + 1, Math.floor((column + 1) * samplesPerColumn)));
    if (from >= samples.length) break;
    let min = Infinity;
    let max = -Infinity;
    for (let i = from; i < to; i += 1) {
      const s = samples[i] ?? 0;
      if (s < min) min = s;
      if (s > max) max = s;
    }
    const top = middle - max * scale;
    context.fillRect(column, top, 1, Math.max(1, (max - min) * scale));
  }
}

/** Seconds with one decimal. */
function seconds(timeMs: number): string {
  return `${(timeMs / 1000).toFixed(1)} s`;
}

/** Text for screen readers: what the canvas shows and the segments in it. */
export function describeWaveform(view: WaveformView, what: string): string {
  const count = view.segments.length;
  const list = view.segments.map((s) => `${seconds(s.startMs)}–${s.endMs === undefined ? 'now' : seconds(s.endMs)}`).join(', ');
  const segments = count === 0 ? 'no speech segments' : `${count} speech segment${count === 1 ? '' : 's'} (${list})`;
  return `Waveform of ${what}, ${seconds(view.spanMs)} shown, with ${segments} shaded; the line is the speech probability of ${view.probabilities.length} frames of ${view.frameMs} ms.`;
}
