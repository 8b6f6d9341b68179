import { describe, expect, it } from 'vitest';
import { checkSegmenterOptions, segmentsOf, SpeechSegmenter, type VadEvent } from './speech-segmenter';

const frames = (pattern: string): number[] => [...pattern].map((c) => (c === '#' ? 0.9 : c === '~' ? 0.4 : 0.05));

describe('SpeechSegmenter', () => {
  it('announces speech once it lasts minSpeechMs, dated from its first frame', () => {
    const segmenter = new SpeechSegmenter(32, { minSpeechMs: 96 });
    const events: VadEvent[] = [];
    frames('..###').forEach((p) => events.push(...segmenter.push(p)));
    expect(events).toEqual([{ type: 'speech-start', timeMs: 64 }]);
  });

  it('ends speech after redemptionMs below the negative threshold, at the last speech frame', () => {
    // 32 ms frames, redemption 256 ms = 8 frames.
    expect(segmentsOf(frames('..####........#'), 32)).toEqual([{ startMs: 64, endMs: 192 }]);
  });

  it('bridges short pauses and frames between the thresholds', () => {
    expect(segmentsOf(frames('###...###~~~###..........'), 32)).toEqual([{ startMs: 0, endMs: 15 * 32 }]);
  });

  it('ignores bursts shorter than minSpeechMs', () => {
    expect(segmentsOf(frames('.##..........'), 32, { minSpeechMs: 96 })).toEqual([]);
  });

  it('closes an open segment at the end of the stream', () => {
    expect(segmentsOf(frames('....#####'), 32)).toEqual([{ startMs: 128, endMs: 288 }]);
  });

  it('finds separate segments', () => {
    const probabilities = frames(`${'#'.repeat(5)}${'.'.repeat(12)}${'#'.repeat(4)}`);
    expect(segmentsOf(probabilities, 32)).toEqual([
      { startMs: 0, endMs: 160 },
      { startMs: 17 * 32, endMs: 21 * 32 },
    ]);
  });
});

describe('checkSegmenterOptions', () => {
  it.each([
    [{ positiveThreshold: 2 }, 'positiveThreshold'],
    [{ negativeThreshold: -0.1 }, 'negativeThreshold'],
    [{ positiveThreshold: Number.NaN }, 'positiveThreshold'],
    [{ positiveThreshold: 0.3, negativeThreshold: 0.4 }, 'negativeThreshold'],
    [{ redemptionMs: -1 }, 'redemptionMs'],
    [{ minSpeechMs: Number.POSITIVE_INFINITY }, 'minSpeechMs'],
  ])('rejects %j naming `%s`', (options, field) => {
    expect(() => checkSegmenterOptions(options)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', input: field }));
  });

  it('accepts the defaults and sensible values', () => {
    expect(() => checkSegmenterOptions({})).not.toThrow();
    expect(() => checkSegmenterOptions({ positiveThreshold: 0.8, negativeThreshold: 0.2, redemptionMs: 0, minSpeechMs: 500 })).not.toThrow();
  });
});
