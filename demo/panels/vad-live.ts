/**
 * The VAD panel's microphone mode: the microphone feeds a live `VadStream`; a scrolling
 * waveform with the probability line, the speech segments found and the latency of each
 * 32 ms frame update as the audio arrives.
 */
import { InpageError, vadFrameMs, type SpeechSegment, type VadEvent, type VadStream, type VadTask } from '../../src/index';
import { vadSampleRate } from '../downsample';
import { LiveAudioWindow } from '../live-audio';
import { MediaAccessError } from '../media';
import { Microphone } from '../microphone';
import { element, ms, setText } from '../ui';
import { drawWaveform, type ShadedSegment } from '../waveform';

const windowMs = 8000;
const drawEveryMs = 50;
const latencyWindow = 64;

/** Format a segment list the way the clip view does (`1024–3872 ms, …`). */
export function formatSegments(segments: readonly SpeechSegment[], openStartMs?: number): string {
  const parts = segments.map((s) => `${s.startMs}–${s.endMs} ms`);
  if (openStartMs !== undefined) parts.push(`${openStartMs} ms – (speaking…)`);
  return parts.join(', ') || 'no speech yet';
}

function keepLast(values: number[], value: number): void {
  values.push(value);
  if (values.length > latencyWindow) values.shift();
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** One listening session; `stop()` turns the microphone off and closes the last segment. */
export class LiveVad {
  private readonly window = new LiveAudioWindow(windowMs, vadSampleRate, vadFrameMs);
  private readonly stream: VadStream;
  private readonly segments: SpeechSegment[] = [];
  /** Per frame: from the chunk's arrival to its result, and its own round trip (without waiting behind earlier frames). */
  private readonly latencies: number[] = [];
  private readonly roundTrips: number[] = [];
  private lastSettled = 0;
  private openStartMs: number | undefined;
  private late = 0;
  private stopped = false;
  private dirty = true;
  private lastDraw = 0;
  private animation = 0;
  private microphone: Microphone | undefined;

  private constructor(
    task: VadTask,
    private readonly onFailure: (error: unknown) => void,
  ) {
    this.stream = task.stream({
      onProbability: (probability) => {
        this.window.addProbability(probability);
        this.dirty = true;
      },
    });
  }

  /** Open the microphone and start scoring; rejects with a `MediaAccessError` when it cannot be opened. */
  static async start(task: VadTask, onFailure: (error: unknown) => void): Promise<LiveVad> {
    const live = new LiveVad(task, onFailure);
    const ended = new MediaAccessError(
      'microphone',
      'other',
      'The microphone stopped (unplugged, or access was revoked). Listen again, or upload an audio clip.',
    );
    live.microphone = await Microphone.open(
      (chunk) => live.push(chunk),
      () => live.fail(ended),
    );
    setText('vad-source', `microphone: ${live.microphone.label} (${live.microphone.inputRate} Hz → 16 kHz mono), listening…`);
    setText('vad-segments', formatSegments([]));
    setText('vad-latency', 'waiting for the first frame…');
    live.animation = requestAnimationFrame(live.frame);
    return live;
  }

  /** Stop listening: the microphone goes off, the last partial frame is scored and an open segment closed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    cancelAnimationFrame(this.animation);
    await this.microphone?.stop();
    try {
      this.apply(await this.stream.end());
    } catch {
      // The last partial frame is not worth an error once the user has stopped.
    }
    this.render('stopped');
  }

  private push(chunk: Float32Array): void {
    if (this.stopped) return;
    this.window.append(chunk);
    this.dirty = true;
    const started = performance.now();
    this.stream.push(chunk).then(
      (events) => {
        // Pushes settle in order: this frame's own time starts when the previous one ended.
        const now = performance.now();
        keepLast(this.latencies, now - started);
        keepLast(this.roundTrips, now - Math.max(started, this.lastSettled));
        this.lastSettled = now;
        this.apply(events);
      },
      (error: unknown) => {
        this.lastSettled = performance.now();
        // A frame past its deadline stays in the stream and is retried with the next chunk.
        if (error instanceof InpageError && error.code === 'DEADLINE_EXCEEDED') this.late += 1;
        else if (!this.stopped) this.fail(error);
      },
    );
  }

  private apply(events: readonly VadEvent[]): void {
    for (const event of events) {
      if (event.type === 'speech-start') {
        this.openStartMs = event.timeMs;
      } else {
        this.segments.push(event.segment);
        this.openStartMs = undefined;
      }
    }
    this.dirty = true;
  }

  private fail(error: unknown): void {
    void this.stop();
    this.onFailure(error);
  }

  private readonly frame = (now: number): void => {
    if (this.stopped) return;
    if (this.dirty && now - this.lastDraw >= drawEveryMs) {
      this.lastDraw = now;
      this.dirty = false;
      this.render('listening…');
    }
    this.animation = requestAnimationFrame(this.frame);
  };

  private render(state: string): void {
    const shaded: ShadedSegment[] = [...this.segments];
    if (this.openStartMs !== undefined) shaded.push({ startMs: this.openStartMs });
    drawWaveform(element('vad-plot', HTMLCanvasElement), this.window.view(shaded), `the last ${windowMs / 1000} s from the microphone`);
    setText('vad-segments', formatSegments(this.segments, this.openStartMs));
    const frames = this.window.scoredFrames;
    if (this.latencies.length > 0)
      setText(
        'vad-latency',
        `${ms(median(this.roundTrips))} per ${vadFrameMs} ms frame (round trip, median of the last ${this.roundTrips.length}); ` +
          `${ms(median(this.latencies))} from audio to result; ${frames} frames scored${this.late > 0 ? `, ${this.late} late` : ''}`,
      );
    const source = element('vad-source', HTMLElement);
    source.textContent = (source.textContent ?? '').replace(/(listening…|stopped)$/, state);
  }
}
