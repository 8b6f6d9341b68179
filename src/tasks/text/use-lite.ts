/**
 * Universal Sentence Encoder lite (TF.js graph) as a scheduled model: its vocabulary, its
 * input format, its model config, and its output.
 *
 * USE-lite takes a batch as a sparse matrix: `indices` int32[T, 2] holds a
 * `[textIndex, tokenPosition]` row per token and `values` int32[T] its id, for the T
 * tokens of all texts together. That is the `ragged: { mode: 'concat' }` config: requests
 * of any number of texts and tokens join one engine call, the text column offset per
 * request. Its output (`…/hidden_layers/l2_normalize`) is float32[texts, 512], already
 * L2-normalised; vectors not within 1e-3 of unit length are normalised here anyway.
 */
import { fetchCheckedJson } from '../../cache/response-check';
import { messageOf, ModelLoadError } from '../../errors';
import type { ModelDescriptor } from '../../model-descriptor';
import type { FileExpectation } from '../../protocol';
import type { TaskOptions } from '../loaded-task';
import { parseVocabulary, SentencePieceTokenizer } from './sentencepiece';

/** Width of a USE-lite embedding. */
export const embeddingSize = 512;

/** USE-lite drops token positions from 128 on (its `ClipToMaxLength`), so only these many are sent. */
export const maxTokensPerText = 128;

/** The sparse batch USE-lite takes: one `[textIndex, position]` row and one id per token. */
export interface SparseBatch {
  readonly indices: Int32Array;
  readonly values: Int32Array;
}

/** Pack per-text token ids into USE-lite's sparse batch, keeping at most `maxTokens` per text. */
export function packTokens(encodings: readonly (readonly number[])[], maxTokens = maxTokensPerText): SparseBatch {
  const total = encodings.reduce((sum, ids) => sum + Math.min(ids.length, maxTokens), 0);
  const indices = new Int32Array(total * 2);
  const values = new Int32Array(total);
  let row = 0;
  encodings.forEach((ids, textIndex) => {
    for (let position = 0; position < Math.min(ids.length, maxTokens); position++, row++) {
      indices[row * 2] = textIndex;
      indices[row * 2 + 1] = position;
      values[row] = ids[position] ?? 0;
    }
  });
  return { indices, values };
}

/** Split a [N, 512] matrix into N vectors (each on its own buffer), unit-normalised. */
export function splitAndNormalise(matrix: Float32Array, count: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => {
    const vector = matrix.slice(i * embeddingSize, (i + 1) * embeddingSize);
    let squares = 0;
    for (const v of vector) squares += v * v;
    const norm = Math.sqrt(squares);
    if (norm > 0 && Math.abs(norm - 1) > 1e-3) for (let j = 0; j < vector.length; j++) vector[j] = (vector[j] ?? 0) / norm;
    return vector;
  });
}

/**
 * Fetch and parse the SentencePiece vocabulary (a JSON array of `[piece, score]`): checked
 * like a model file (status, no HTML page, valid JSON; a default file's size and hash).
 * Fails with `MODEL_LOAD_FAILED` (`input: 'vocabUrl'`).
 */
export async function loadUseLiteVocabulary(url: string, taskId: string, expected: FileExpectation | undefined): Promise<SentencePieceTokenizer> {
  const check = expected === undefined ? {} : { expectedSha256: expected.sha256, expectedBytes: expected.bytes };
  const json = await fetchCheckedJson({ model: taskId, url, what: 'the USE-lite vocabulary', input: 'vocabUrl', ...check });
  try {
    return new SentencePieceTokenizer(parseVocabulary(json));
  } catch (error) {
    throw new ModelLoadError(`The USE-lite vocabulary at ${url} could not be loaded: ${messageOf(error)}`, {
      model: taskId,
      input: 'vocabUrl',
      detail: messageOf(error),
    });
  }
}

/**
 * The model config the embedding task loads USE-lite with: text scheduling, and the sparse
 * token rows of concurrent requests joined into one engine call. A user loading the same
 * files with `runtime.load` gets the same batching.
 */
export function useLiteDescriptor(source: string, options: TaskOptions, id: string): ModelDescriptor {
  return {
    format: 'tfjs-graph',
    source,
    id,
    backend: options.backend ?? 'auto',
    worker: options.worker ?? `text-tfjs:${options.backend ?? 'auto'}`,
    modality: 'text',
    ...(options.batching === undefined ? {} : { batching: options.batching }),
    replicas: options.replicas ?? 1,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ragged: { mode: 'concat', inputs: { indices: { itemColumn: 0 }, values: {} } },
  };
}
