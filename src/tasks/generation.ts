/** Text generation with a KV cache: main-thread handle. Placeholder until the generation work item lands. */
import type { LoadedTask, TaskLoader, TaskOptions } from './loaded-task';

/** Options for {@link Runtime.textGeneration}. */
export interface TextGenerationOptions extends TaskOptions {
  /** The decoder `.onnx` (Optimum I/O names). @default `${modelBaseUrl}decoder/decoder.onnx` */
  readonly modelUrl?: string;
}

/** A loaded decoder. */
export class TextGenerator {
  /** @internal use `runtime.textGeneration()` */
  constructor(private readonly task: LoadedTask) {}
  /** Free the model. */
  dispose(): Promise<void> {
    return this.task.dispose();
  }
}

/** Load the generation task. */
export async function loadTextGeneration(loader: TaskLoader, options: TextGenerationOptions = {}): Promise<TextGenerator> {
  const backend = options.backend ?? 'auto';
  const task = await loader.loadTask(
    { kind: 'generate', backend, modelUrl: loader.resolveUrl(options.modelUrl ?? loader.modelUrl('decoder/decoder.onnx')) },
    options.worker ?? 'text-onnx',
  );
  return new TextGenerator(task);
}
