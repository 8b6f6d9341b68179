/**
 * Sentence embeddings (Universal Sentence Encoder lite, TF.js graph): SentencePiece
 * tokenisation, one sparse batch for all texts, one model call, unit-norm 512-d vectors.
 *
 * USE-lite takes a batch as a sparse matrix: `indices` int32[T, 2] holds a
 * `[textIndex, tokenPosition]` row per token and `values` int32[T] its id, for the
 * T tokens of all texts together. Its output (`…/hidden_layers/l2_normalize`) is
 * float32[N, 512], already L2-normalised; vectors that are not within 1e-3 of unit
 * length are normalised here anyway.
 */
import { fetchCheckedJson } from '../../src/cache/response-check';
import { InferenceError, messageOf, ModelLoadError } from '../../src/errors';
import type { EmbedResult, EmbedTaskSpec, Priority, TaskInfo, TaskResult } from '../../src/protocol';
import { assertTexts } from '../../src/tasks/embeddings';
import { tensor } from '../../src/tensor';
import { StageClock, taskBackend, type TaskContext, type WorkerTask } from './context';
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

/** Split a [N, 512] matrix into N vectors (each on its own buffer, so each can be transferred), unit-normalised. */
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

async function fetchVocabulary(url: string, taskId: string, context: TaskContext): Promise<SentencePieceTokenizer> {
  // Checked like a model file: status, no HTML page (an SPA fallback), valid JSON; the default file's size and hash.
  const json = await fetchCheckedJson({ model: taskId, url, what: 'the USE-lite vocabulary', input: 'vocabUrl', ...context.expect(url) });
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

/** The worker side of the embedding task. */
export class EmbedWorkerTask implements WorkerTask {
  readonly kind = 'embed';
  private constructor(
    readonly info: TaskInfo,
    private readonly context: TaskContext,
    private readonly modelId: string,
    private readonly tokenizer: SentencePieceTokenizer,
    private readonly outputName: string,
  ) {}

  /** Fetch the vocabulary and load the model (in parallel); fails with `MODEL_LOAD_FAILED` if either is unusable. */
  static async create(spec: EmbedTaskSpec, context: TaskContext): Promise<EmbedWorkerTask> {
    const started = performance.now();
    const modelId = `${spec.taskId}/use-lite`;
    const [vocabulary, model] = await Promise.allSettled([
      fetchVocabulary(spec.vocabUrl, spec.taskId, context),
      context.loadModel({ modelId, format: 'tfjs-graph', source: { kind: 'url', url: spec.modelUrl }, backend: spec.backend }),
    ]);
    if (model.status === 'rejected') throw model.reason;
    if (vocabulary.status === 'rejected') {
      await context.releaseModel(modelId);
      throw vocabulary.reason;
    }
    const names = model.value.inputs.map((input) => input.name).sort();
    const output = model.value.outputs[0];
    if (names.join() !== 'indices,values' || output === undefined) {
      await context.releaseModel(modelId);
      throw new ModelLoadError(`${spec.modelUrl} is not USE-lite: it takes ${names.join(', ')}; expected indices and values.`, {
        model: spec.taskId,
        expected: 'inputs indices, values',
        got: names.join(', '),
      });
    }
    const info: TaskInfo = {
      taskId: spec.taskId,
      kind: 'embed',
      backend: taskBackend([model.value]),
      models: [model.value],
      loadMs: performance.now() - started,
      facts: { vocabularySize: vocabulary.value.size, dimensions: embeddingSize, maxTokensPerText },
    };
    return new EmbedWorkerTask(info, context, modelId, vocabulary.value, output.name);
  }

  /** Embed every text in one model call; `tokenCounts` are before the 128-token cut. */
  async embed(texts: readonly string[], priority?: Priority): Promise<TaskResult<EmbedResult>> {
    assertTexts(texts, this.info.taskId);
    const clock = new StageClock();
    const { batch, tokenCounts } = await clock.pre(() => {
      const encodings = texts.map((text) => this.tokenizer.encode(text));
      return { batch: packTokens(encodings), tokenCounts: encodings.map((ids) => ids.length) };
    });
    const rows = batch.values.length;
    const result = await clock.infer(() =>
      this.context.runModel(this.modelId, { indices: tensor('int32', [rows, 2], batch.indices), values: tensor('int32', [rows], batch.values) }, priority),
    );
    const embeddings = await clock.post(() => {
      const output = result.outputs[this.outputName];
      if (output?.dtype !== 'float32' || output.dims.join() !== `${texts.length},${embeddingSize}`)
        throw new InferenceError(`USE-lite returned ${output === undefined ? 'no output' : `${output.dtype} [${output.dims.join(', ')}]`}.`, {
          model: this.modelId,
          expected: `float32 [${texts.length}, ${embeddingSize}]`,
        });
      return splitAndNormalise(output.data, texts.length);
    });
    return { value: { embeddings, tokenCounts }, timings: clock.timings() };
  }

  async release(): Promise<void> {
    await this.context.releaseModel(this.modelId);
  }
}
