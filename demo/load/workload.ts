/**
 * The inputs the load generator sends: the shipped samples (speech clip, photo, rendered
 * text), a few hundred sentences drawn with a skew (popular ones repeat, as real queries
 * do, so the embedding cache has something to hit), and prompts that share a long
 * prefix (a system prompt, so the KV prefix cache has something to reuse).
 */
import { renderTextSample } from '../panels/ocr';
import { decodeWav16 } from '../wav';

const subjects = ['The weather', 'Our train', 'The new library', 'My sister', 'The football match', 'This recipe', 'The museum', 'Your parcel'];
const verbs = ['will change', 'was delayed', 'opens', 'starts', 'needs', 'arrives'];
const objects = ['tomorrow morning', 'after lunch', 'next week', 'in the evening', 'before the holidays', 'at noon', 'on Friday', 'later today'];

/** Every combination: 384 distinct sentences. */
export const sentences: readonly string[] = subjects.flatMap((s) => verbs.flatMap((v) => objects.map((o) => `${s} ${v} ${o}.`)));

/** A shared system prompt (about 60 tokens: several 16-token KV blocks). */
export const systemPrompt =
  'You are a helpful assistant that runs entirely inside a web page. Answer briefly and politely, in plain English, without making up facts. Question: ';

/** Questions appended to the system prompt. */
export const questions: readonly string[] = ['What is a worker?', 'Why batch requests?', 'What does a cache store?', 'How fast is WebGPU?', 'What is a token?'];

/** Index in [0, n) skewed toward small values (about a third of draws hit the first tenth). */
export function skewedIndex(n: number, random: () => number = Math.random): number {
  return Math.min(n - 1, Math.floor(n * random() ** 3));
}

/** The decoded samples, fetched once per page. */
export interface Samples {
  /** The speech clip, 16 kHz mono. */
  readonly speech: Float32Array;
  /** The pose photo. */
  readonly photo: Blob;
  /** An image with three known lines of text. */
  readonly text: Blob;
}

let loaded: Promise<Samples> | undefined;

/** Fetch and decode the samples (once). */
export function loadSamples(): Promise<Samples> {
  loaded ??= (async () => {
    const [wav, photo, text] = await Promise.all([
      fetch('/samples/speech-16k.wav').then((r) => r.arrayBuffer()),
      fetch('/samples/astronaut.jpg').then((r) => r.blob()),
      renderTextSample(),
    ]);
    return { speech: decodeWav16(wav).samples, photo, text };
  })();
  return loaded;
}
