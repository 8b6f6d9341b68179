/** What the demo page has loaded: the runtime and the task behind each panel. */
import type { EmbeddingTask, OcrTask, PoseTask, Runtime, TextGenerator, VadTask } from '../src/index';

/** The backend chosen in the page. */
export type DemoBackend = 'auto' | 'webgpu' | 'wasm';

/** The loaded tasks (a panel left out with `?panels=` has none). */
export interface DemoTasks {
  vad?: VadTask;
  pose?: PoseTask;
  ocr?: OcrTask;
  embed?: EmbeddingTask;
  gen?: TextGenerator;
}

/** One loaded page state; replaced as a whole when the models are reloaded. */
export interface DemoSession {
  readonly runtime: Runtime;
  readonly backend: DemoBackend;
  readonly tasks: DemoTasks;
}
