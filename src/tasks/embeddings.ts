/** Sentence embeddings (USE-lite): main-thread handle. Placeholder until the embeddings work item lands. */
import type { CallOptions, LoadedTask, TaskLoader, TaskOptions } from './loaded-task';

/** Options for {@link Runtime.embeddings}. */
export interface EmbeddingOptions extends TaskOptions {
  /** `'fp32'` (the original weights) or `'uint8'` (re-packed, 4× smaller). @default 'fp32' */
  readonly variant?: 'fp32' | 'uint8';
}

/** A loaded sentence encoder. */
export class EmbeddingTask {
  /** @internal use `runtime.embeddings()` */
  constructor(private readonly task: LoadedTask) {}
  /** Embed texts into unit-norm 512-d vectors. */
  async embed(_texts: string | readonly string[], _options: CallOptions = {}): Promise<Float32Array[]> {
    throw new Error(`embeddings (${this.task.info.taskId}) are not implemented yet`);
  }
  /** Free the model. */
  dispose(): Promise<void> {
    return this.task.dispose();
  }
}

/** Load the embedding task. */
export async function loadEmbeddings(loader: TaskLoader, options: EmbeddingOptions = {}): Promise<EmbeddingTask> {
  const backend = options.backend ?? 'auto';
  const variant = options.variant ?? 'fp32';
  const task = await loader.loadTask(
    { kind: 'embed', backend, modelUrl: loader.modelUrl(`use-lite/${variant}/model.json`), vocabUrl: loader.modelUrl('use-lite/vocab.json') },
    options.worker ?? `text-tfjs:${backend}`,
  );
  return new EmbeddingTask(task);
}
