/**
 * SentencePiece unigram tokenisation, as the Universal Sentence Encoder (lite) expects it.
 *
 * It reproduces the token ids of the reference tokenizer shipped with
 * `@tensorflow-models/universal-sentence-encoder` (a port of SentencePiece's
 * `EncodeAsIds`), so embeddings made here match embeddings made with that package:
 *
 * 1. NFKC-normalise the text (no lower-casing: the vocabulary has `▁I` and `▁i`);
 * 2. prefix it with `▁` (U+2581) and turn every ASCII space into `▁`;
 * 3. over the code points, find the segmentation into vocabulary pieces whose scores
 *    sum highest (Viterbi over a trie of the pieces);
 * 4. a code point that starts no piece becomes the unknown id 0 (score 0), and runs of
 *    unknown ids collapse into one.
 *
 * Two behaviours are kept only because the reference has them, and with them its ids:
 * - a `null` score counts as 0 (the USE-lite `vocab.json` has `null` for most pieces
 *   containing `:`, and the reference adds scores with `+`, where `null + x === x`);
 * - while choosing the best way to reach a position, a best score of exactly 0 counts
 *   as "not reached yet", so the next candidate replaces it even when it scores lower.
 *   Real scores are negative, so this only shows through those zero-scored `:` pieces
 *   (`": hi"` → `▁`, `:`, `▁hi`, not `▁:`, `▁hi`).
 */

/** One vocabulary entry: the piece and its log-probability score (`null` reads as 0). */
export type VocabularyEntry = readonly [piece: string, score: number | null];

/** The word-boundary mark SentencePiece puts in place of spaces (U+2581, "lower one eighth block"). */
export const wordBoundary = '\u2581';

/** Id of the unknown piece. */
export const unknownId = 0;

/** Ids below this are the unknown piece and control symbols (`<s>`, `</s>`, …), never produced by segmentation. */
export const reservedIds = 6;

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  /** Id of the piece that ends here, or -1. */
  id: number;
  score: number;
}

function trieNode(): TrieNode {
  return { children: new Map(), id: -1, score: 0 };
}

/**
 * Check that `json` is a SentencePiece vocabulary: an array of `[piece, score]` pairs
 * with more entries than the reserved ids. Returns it typed, or throws a `TypeError`
 * saying which entry is wrong.
 *
 * @example
 * const vocabulary = parseVocabulary(await (await fetch('/models/use-lite/vocab.json')).json());
 * vocabulary.length; // 8000
 */
export function parseVocabulary(json: unknown): VocabularyEntry[] {
  if (!Array.isArray(json)) throw new TypeError(`A SentencePiece vocabulary is an array of [piece, score] pairs; got ${typeof json}.`);
  if (json.length <= reservedIds) throw new TypeError(`The vocabulary has ${json.length} entries; expected more than the ${reservedIds} reserved ones.`);
  return json.map((entry: unknown, index): VocabularyEntry => {
    if (Array.isArray(entry) && entry.length >= 2) {
      const piece: unknown = entry[0];
      const score: unknown = entry[1];
      if (typeof piece === 'string' && piece.length > 0) {
        if (score === null) return [piece, null];
        if (typeof score === 'number' && Number.isFinite(score)) return [piece, score];
      }
    }
    throw new TypeError(
      `Vocabulary entry ${index} is ${JSON.stringify(entry)}; expected [piece, score] with a non-empty string and a finite number (or null).`,
    );
  });
}

/**
 * A SentencePiece unigram tokenizer over a scored vocabulary.
 *
 * @example
 * const tokenizer = new SentencePieceTokenizer(vocabulary); // USE-lite's vocab.json
 * tokenizer.encode('How old are you?'); // [728, 446, 31, 19, 54]
 */
export class SentencePieceTokenizer {
  private readonly root = trieNode();

  /** Build the trie of every non-reserved piece; a piece listed twice keeps its last id, as in the reference. */
  constructor(readonly vocabulary: readonly VocabularyEntry[]) {
    for (let id = reservedIds; id < vocabulary.length; id++) {
      const entry = vocabulary[id];
      if (entry === undefined) continue;
      let node = this.root;
      for (const symbol of entry[0]) {
        let child = node.children.get(symbol);
        if (child === undefined) {
          child = trieNode();
          node.children.set(symbol, child);
        }
        node = child;
      }
      node.id = id;
      node.score = entry[1] ?? 0;
    }
  }

  /** Number of pieces, reserved ones included. */
  get size(): number {
    return this.vocabulary.length;
  }

  /** The text exactly as segmentation sees it: NFKC, `▁` in front and in place of spaces. */
  static prepare(text: string): string {
    const normalised = text.normalize('NFKC');
    return normalised.length === 0 ? '' : wordBoundary + normalised.replaceAll(' ', wordBoundary);
  }

  /**
   * Token ids of `text`: the highest-scoring segmentation into vocabulary pieces.
   * An empty text gives `[]`.
   *
   * @example
   * tokenizer.encode('I like it.'); // [16, 60, 21, 6]  (▁I ▁like ▁it .)
   */
  encode(text: string): number[] {
    const symbols = Array.from(SentencePieceTokenizer.prepare(text));
    const length = symbols.length;
    // For each position: the best total score of a segmentation of symbols[0, position),
    // and the last piece of that segmentation (its id and where it starts).
    const best = new Float64Array(length + 1);
    const lastId = new Int32Array(length + 1);
    const lastStart = new Int32Array(length + 1);
    const offer = (start: number, end: number, id: number, score: number): void => {
      const total = (best[start] ?? 0) + score;
      const current = best[end] ?? 0;
      // Reference rule: 0 means "not reached"; ties go to the later start (a shorter last piece).
      if (current === 0 || total >= current) {
        best[end] = total;
        lastId[end] = id;
        lastStart[end] = start;
      }
    };
    // Forward pass. Positions are taken in order, so best[start] is final when `start`
    // is reached, and every `end` sees its candidates in increasing `start` order.
    for (let start = 0; start < length; start++) {
      let node: TrieNode | undefined = this.root;
      let matched = false;
      for (let end = start + 1; end <= length; end++) {
        node = node.children.get(symbols[end - 1] ?? '');
        if (node === undefined) break;
        if (node.id < 0) continue;
        matched = true;
        offer(start, end, node.id, node.score);
      }
      if (!matched) offer(start, start + 1, unknownId, 0);
    }
    // Backward pass, collapsing runs of unknown ids into one.
    const reversed: number[] = [];
    for (let end = length; end > 0; end = lastStart[end] ?? 0) {
      const id = lastId[end] ?? unknownId;
      if (id === unknownId && reversed[reversed.length - 1] === unknownId) continue;
      reversed.push(id);
    }
    return reversed.reverse();
  }
}
