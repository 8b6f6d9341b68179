import { describe, expect, it } from 'vitest';
import { ctcAlphabet, ctcDecodeBatch, ctcGreedyDecode } from './ocr-ctc';

/** Scores for a sequence whose best class per step is `best[t]` with probability `p[t]`; the rest share the remainder. */
function probabilities(best: readonly number[], classes: number, p: readonly number[] = []): Float32Array {
  const scores = new Float32Array(best.length * classes);
  best.forEach((winner, t) => {
    const top = p[t] ?? 0.9;
    for (let c = 0; c < classes; c += 1) scores[t * classes + c] = c === winner ? top : (1 - top) / (classes - 1);
  });
  return scores;
}

describe('ctcAlphabet', () => {
  it('puts the blank first and the space last, around the keys file lines', () => {
    expect(ctcAlphabet('a\nb\nc\n')).toEqual(['', 'a', 'b', 'c', ' ']);
    expect(ctcAlphabet('a\r\nb')).toEqual(['', 'a', 'b', ' ']);
  });

  it('keeps a key that is itself a space or punctuation', () => {
    expect(ctcAlphabet("'\n \n!")).toEqual(['', "'", ' ', '!', ' ']);
  });
});

describe('ctcGreedyDecode', () => {
  const alphabet = ctcAlphabet('a\nb'); // ['', 'a', 'b', ' ']

  it('collapses repeats and drops blanks', () => {
    const best = [1, 1, 0, 1, 2, 2, 0, 0];
    expect(ctcGreedyDecode(probabilities(best, 4), best.length, 4, alphabet).text).toBe('aab');
  });

  it('reads the last class as a space between words', () => {
    const best = [1, 0, 3, 3, 0, 2];
    expect(ctcGreedyDecode(probabilities(best, 4), best.length, 4, alphabet).text).toBe('a b');
  });

  it('averages the probability of the kept characters only', () => {
    const best = [1, 1, 0, 2];
    const { confidence } = ctcGreedyDecode(probabilities(best, 4, [0.8, 0.2, 0.99, 0.6]), best.length, 4, alphabet);
    // Kept: 'a' at step 0 (0.8) and 'b' at step 3 (0.6); the repeat and the blank do not count.
    expect(confidence).toBeCloseTo(0.7, 5);
  });

  it('gives empty text and zero confidence for all blanks', () => {
    expect(ctcGreedyDecode(probabilities([0, 0, 0], 4), 3, 4, alphabet)).toEqual({ text: '', confidence: 0 });
  });

  it('takes softmax probabilities when given logits', () => {
    const logits = Float32Array.of(0, 2, 0, 0); // one step, class 1 wins
    const { text, confidence } = ctcGreedyDecode(logits, 1, 4, alphabet);
    expect(text).toBe('a');
    expect(confidence).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 3), 5);
  });
});

describe('ctcDecodeBatch', () => {
  it('decodes each sequence of a [batch, steps, classes] tensor', () => {
    const alphabet = ctcAlphabet('a\nb');
    const first = probabilities([1, 0, 2], 4);
    const second = probabilities([2, 2, 3], 4);
    const scores = new Float32Array([...first, ...second]);
    expect(ctcDecodeBatch(scores, [2, 3, 4], alphabet).map((d) => d.text)).toEqual(['ab', 'b ']);
  });
});
