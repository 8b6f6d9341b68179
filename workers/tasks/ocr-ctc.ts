/**
 * CTC for PP-OCR recognition: the class alphabet built from the keys file, and greedy
 * decoding (best class per time step, repeats collapsed, blanks dropped).
 */

/**
 * The recognition classes, by index: 0 is the CTC blank (`''`), 1…n are the lines of the
 * keys file, and the last is a space (PaddleOCR's `use_space_char`; without it words run
 * together). For `ppocr_keys_v1.txt` (6623 lines) that is 6625 classes.
 *
 * @example
 * const alphabet = ctcAlphabet('a\nb\n'); // ['', 'a', 'b', ' ']
 */
export function ctcAlphabet(keysText: string): string[] {
  const keys = keysText.split('\n').map((line) => line.replace(/\r$/, ''));
  // A final newline leaves an empty last line; it is not a class.
  if (keys[keys.length - 1] === '') keys.pop();
  return ['', ...keys, ' '];
}

/** One decoded sequence. */
export interface DecodedText {
  readonly text: string;
  /** Mean probability of the kept characters; 0 when none were kept. */
  readonly confidence: number;
}

/**
 * Greedy CTC decoding of one sequence: `steps` × `classes` scores from `offset` in
 * `scores`. Scores may be probabilities (a softmax output, as PP-OCR's export has) or
 * logits; a time step whose scores do not sum to 1 is treated as logits and the winning
 * class's softmax probability is used.
 *
 * @example
 * // alphabet ['', 'a', 'b', ' '], best classes per step: a a blank a b
 * ctcGreedyDecode(scores, 5, 4, alphabet); // { text: 'aab', confidence: 0.9 }
 */
export function ctcGreedyDecode(scores: Float32Array, steps: number, classes: number, alphabet: readonly string[], offset = 0): DecodedText {
  let text = '';
  let probabilitySum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t += 1) {
    const base = offset + t * classes;
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    let sum = 0;
    let negative = false;
    for (let c = 0; c < classes; c += 1) {
      const score = scores[base + c] ?? Number.NEGATIVE_INFINITY;
      sum += score;
      if (score < 0) negative = true;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      text += alphabet[best] ?? '';
      probabilitySum += negative || Math.abs(sum - 1) > 1e-3 ? softmaxOf(scores, base, classes, bestScore) : bestScore;
      kept += 1;
    }
    previous = best;
  }
  return { text, confidence: kept === 0 ? 0 : probabilitySum / kept };
}

/** Softmax probability of the maximum `max` among `classes` logits from `base`. */
function softmaxOf(logits: Float32Array, base: number, classes: number, max: number): number {
  let total = 0;
  for (let c = 0; c < classes; c += 1) total += Math.exp((logits[base + c] ?? Number.NEGATIVE_INFINITY) - max);
  return 1 / total;
}

/**
 * Greedy CTC decoding of a batch: `scores` shaped `[batch, steps, classes]`.
 *
 * @example
 * ctcDecodeBatch(output.data, output.dims, alphabet); // [{ text: 'The quick brown fox', confidence: 0.99 }, …]
 */
export function ctcDecodeBatch(scores: Float32Array, dims: readonly number[], alphabet: readonly string[]): DecodedText[] {
  const [batch = 0, steps = 0, classes = 0] = dims;
  const decoded: DecodedText[] = [];
  for (let n = 0; n < batch; n += 1) decoded.push(ctcGreedyDecode(scores, steps, classes, alphabet, n * steps * classes));
  return decoded;
}
