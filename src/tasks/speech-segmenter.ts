/**
 * Turns per-frame speech probabilities into speech start/end events, with hysteresis
 * (start above `positiveThreshold`, end after `redemptionMs` below `negativeThreshold`)
 * and a minimum speech length so that clicks do not count as speech. Pure: no I/O.
 */

/** A stretch of speech, in ms from the start of the stream. */
export interface SpeechSegment {
  readonly startMs: number;
  readonly endMs: number;
}

/** A speech boundary found in a stream. */
export type VadEvent =
  { readonly type: 'speech-start'; readonly timeMs: number } | { readonly type: 'speech-end'; readonly timeMs: number; readonly segment: SpeechSegment };

import { InvalidOptionsError } from '../errors';

/** Segmenter thresholds and durations. */
export interface SegmenterOptions {
  /** A frame at or above this probability is speech. @default 0.5 */
  readonly positiveThreshold?: number;
  /** A frame below this probability counts toward ending speech. @default 0.35 */
  readonly negativeThreshold?: number;
  /** Speech ends after this long below `negativeThreshold`. @default 256 */
  readonly redemptionMs?: number;
  /** Shorter bursts are ignored (no events). @default 96 */
  readonly minSpeechMs?: number;
}

/**
 * Throw `INVALID_OPTIONS` naming the field unless the thresholds are probabilities in
 * [0, 1] with `negativeThreshold` ≤ `positiveThreshold`, and the durations finite and ≥ 0.
 */
export function checkSegmenterOptions(options: SegmenterOptions): void {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new InvalidOptionsError(`\`${field}\` must be ${expected}; got ${String(got)}.`, { input: field, expected, got: String(got) });
  };
  for (const field of ['positiveThreshold', 'negativeThreshold'] as const) {
    const value = options[field];
    if (value !== undefined && (typeof value !== 'number' || !(value >= 0 && value <= 1))) bad(field, 'a probability in [0, 1]', value);
  }
  for (const field of ['redemptionMs', 'minSpeechMs'] as const) {
    const value = options[field];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) bad(field, 'a finite number of milliseconds ≥ 0', value);
  }
  const positive = options.positiveThreshold ?? 0.5;
  const negative = options.negativeThreshold ?? 0.35;
  if (negative > positive) bad('negativeThreshold', `at most positiveThreshold (${positive})`, negative);
}

/** Incremental segmenter over frames of a fixed duration. */
export class SpeechSegmenter {
  private readonly positive: number;
  private readonly negative: number;
  private readonly redemptionFrames: number;
  private readonly minSpeechFrames: number;
  private frame = 0;
  /** Frame where the current candidate speech began, or -1. */
  private start = -1;
  private voicedFrames = 0;
  private announced = false;
  /** Frame after the last speech frame of the current segment. */
  private lastSpeechEnd = -1;
  private silentRun = 0;

  constructor(
    private readonly frameMs: number,
    options: SegmenterOptions = {},
  ) {
    checkSegmenterOptions(options);
    this.positive = options.positiveThreshold ?? 0.5;
    this.negative = options.negativeThreshold ?? 0.35;
    this.redemptionFrames = Math.max(1, Math.round((options.redemptionMs ?? 256) / frameMs));
    this.minSpeechFrames = Math.max(1, Math.round((options.minSpeechMs ?? 96) / frameMs));
  }

  /** Feed the next frame's probability; returns the events it completes. */
  push(probability: number): VadEvent[] {
    const events: VadEvent[] = [];
    const index = this.frame;
    this.frame += 1;
    if (probability >= this.positive) {
      if (this.start < 0) {
        this.start = index;
        this.voicedFrames = 0;
      }
      this.voicedFrames += 1;
      this.lastSpeechEnd = index + 1;
      this.silentRun = 0;
      if (!this.announced && this.voicedFrames >= this.minSpeechFrames) {
        this.announced = true;
        events.push({ type: 'speech-start', timeMs: this.start * this.frameMs });
      }
      return events;
    }
    if (this.start < 0) return events;
    if (probability < this.negative) this.silentRun += 1;
    else this.lastSpeechEnd = index + 1;
    if (this.silentRun >= this.redemptionFrames) events.push(...this.close());
    return events;
  }

  /** End of stream: close an open segment. */
  finish(): VadEvent[] {
    return this.start < 0 ? [] : this.close();
  }

  private close(): VadEvent[] {
    const events: VadEvent[] = [];
    if (this.announced) {
      const segment = { startMs: this.start * this.frameMs, endMs: this.lastSpeechEnd * this.frameMs };
      events.push({ type: 'speech-end', timeMs: segment.endMs, segment });
    }
    this.start = -1;
    this.announced = false;
    this.voicedFrames = 0;
    this.silentRun = 0;
    return events;
  }
}

/** Segments of a whole clip's probabilities. */
export function segmentsOf(probabilities: ArrayLike<number>, frameMs: number, options?: SegmenterOptions): SpeechSegment[] {
  const segmenter = new SpeechSegmenter(frameMs, options);
  const segments: SpeechSegment[] = [];
  const collect = (events: VadEvent[]): void => {
    for (const event of events) if (event.type === 'speech-end') segments.push(event.segment);
  };
  for (let i = 0; i < probabilities.length; i += 1) collect(segmenter.push(probabilities[i] ?? 0));
  collect(segmenter.finish());
  return segments;
}
