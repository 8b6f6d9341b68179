import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVocabulary, SentencePieceTokenizer, type VocabularyEntry } from './sentencepiece';

// The stubbed vocabulary of @tensorflow-models/universal-sentence-encoder@1.3.3
// (dist/test_util.js), with the ids its dist/tokenizer_test.js expects. `i` is listed
// twice on purpose: the later id (21) wins.
const stubVocabulary: VocabularyEntry[] = [
  ['�', 0],
  ['<s>', 0],
  ['</s>', 0],
  ['extra_token_id_1', 0],
  ['extra_token_id_2', 0],
  ['extra_token_id_3', 0],
  ['▁', -2],
  ['▁a', -1],
  ['▁ç', -2],
  ['a', -3],
  ['.', -1],
  ['▁I', -1],
  ['▁like', -1],
  ['▁it', -1],
  ['I', -2],
  ['like', -2],
  ['it', -2],
  ['l', -3],
  ['i', -3],
  ['k', -3],
  ['e', -3],
  ['i', -3],
  ['t', -3],
];

describe('SentencePieceTokenizer on the reference stub vocabulary', () => {
  const tokenizer = new SentencePieceTokenizer(stubVocabulary);

  it('segments text without spaces', () => {
    expect(tokenizer.encode('Ilikeit.')).toEqual([11, 15, 16, 10]);
  });

  it('turns spaces into word boundaries', () => {
    expect(tokenizer.encode('I like it.')).toEqual([11, 12, 13, 10]);
  });

  it('NFKC-normalises, so composed and decomposed text agree', () => {
    expect(tokenizer.encode('c\u0327a')).toEqual(tokenizer.encode('ça'));
    // A tie (▁ç a = ▁ + unknown + a = -5) goes to the later start, as in the reference.
    expect(tokenizer.encode('ça')).toEqual([6, 0, 9]);
  });

  it('maps unknown characters to id 0 and collapses runs of them', () => {
    expect(tokenizer.encode('😹')).toEqual([6, 0]);
    expect(tokenizer.encode('a😹😹')).toEqual([7, 0]);
  });

  it('keeps the last id of a piece listed twice', () => {
    expect(tokenizer.encode('like')).toEqual([12]);
    expect(new SentencePieceTokenizer([...stubVocabulary.slice(0, 6), ['▁', -9], ['i', -1], ['i', -1]]).encode('i')).toEqual([6, 8]);
  });

  it('gives no tokens for an empty text', () => {
    expect(tokenizer.encode('')).toEqual([]);
    expect(SentencePieceTokenizer.prepare('')).toBe('');
    expect(SentencePieceTokenizer.prepare('a b')).toBe('▁a▁b');
  });
});

// Ids from the reference tokenizer on the real USE-lite vocabulary. Obtained by running
// @tensorflow-models/universal-sentence-encoder@1.3.3's dist/tokenizer/index.js in Node
// (`npm pack` + `tar xzf`, tfjs-core on NODE_PATH for its unused import) over
// public/models/use-lite/vocab.json: `new Tokenizer(vocab).encode(text)` for each text.
// A differential run of both tokenizers over 40,269 texts on this vocabulary (the repo's
// doc lines, 20,000 strings of random vocabulary characters plus emoji, tabs, colons and
// NFKC-sensitive forms, 20,000 word salads with `:` and `:30`) and 5,006 on the stub
// vocabulary found no difference.
const realFixtures: readonly (readonly [string, readonly number[]])[] = [
  ['How old are you?', [728, 446, 31, 19, 54]],
  ['What is your age?', [379, 18, 37, 735, 54]],
  ['The weather is lovely today.', [34, 3524, 18, 241, 56, 784, 6]],
  ['I would like to book a flight to Paris.', [16, 71, 60, 10, 717, 11, 3198, 10, 4375, 6]],
  ['Hello world.', [341, 4125, 311, 6]],
  // `:30` has score 30 in this vocabulary, and `:`-pieces have null scores.
  ['The meeting starts at 10:30.', [34, 1566, 3543, 38, 320, 4177, 6]],
  // The "best of 0 = not reached" rule: ▁ : ▁hi, not ▁: ▁hi.
  [': hi', [30, 57, 2038]],
  ['ça va, naïve café', [30, 6801, 86, 2385, 8, 1216, 0, 105, 976, 209, 1133]],
  ['Ünïcödé ﬁ ① ＡＢＣ', [30, 0, 85, 0, 131, 6781, 29, 1133, 1480, 207, 74, 2512]],
  ['emoji 😹😹 test', [299, 451, 2501, 30, 0, 748]],
  // Only ASCII spaces become ▁; tabs and newlines are unknown characters.
  ['tabs\tand\nnewlines', [5520, 7, 0, 381, 0, 2664, 721, 7]],
  ['  double  spaces  ', [30, 30, 1991, 30, 1016, 7, 30, 30]],
];

describe('SentencePieceTokenizer on the USE-lite vocabulary', () => {
  const vocabulary = parseVocabulary(JSON.parse(readFileSync(new URL('../../../public/models/use-lite/vocab.json', import.meta.url), 'utf8')));
  const tokenizer = new SentencePieceTokenizer(vocabulary);

  it('has the 8000 pieces of USE-lite', () => {
    expect(tokenizer.size).toBe(8000);
  });

  it.each(realFixtures)('encodes %j as the reference does', (text, ids) => {
    expect(tokenizer.encode(text)).toEqual(ids);
  });
});

describe('parseVocabulary', () => {
  it('accepts [piece, score] pairs, null scores included', () => {
    const entries = [...stubVocabulary, [':', null]];
    expect(parseVocabulary(entries)).toHaveLength(stubVocabulary.length + 1);
  });

  it('rejects what is not a vocabulary, naming the bad entry', () => {
    expect(() => parseVocabulary({ pieces: [] })).toThrow(/array of \[piece, score\] pairs; got object/);
    expect(() => parseVocabulary(stubVocabulary.slice(0, 3))).toThrow(/3 entries/);
    expect(() => parseVocabulary([...stubVocabulary, ['x', 'high']])).toThrow(/entry 23 is \["x","high"\]/);
    expect(() => parseVocabulary([...stubVocabulary, ['', -1]])).toThrow(/entry 23/);
    expect(() => parseVocabulary([...stubVocabulary, ['x', Number.NaN]])).toThrow(/entry 23/);
  });
});
