/** OCR (PP-OCRv4): main-thread handle. Placeholder until the OCR work item lands. */
import type { OcrResult } from '../protocol';
import type { ImageInput } from './image-input';
import type { CallOptions, LoadedTask, TaskLoader, TaskOptions } from './loaded-task';

/** Options for {@link Runtime.ocr}. */
export interface OcrOptions extends TaskOptions {
  /** Largest accepted image in pixels. @default 4096 × 4096 */
  readonly maxImagePixels?: number;
}

/** A loaded OCR pipeline. */
export class OcrTask {
  /** @internal use `runtime.ocr()` */
  constructor(
    private readonly task: LoadedTask,
    private readonly loader: TaskLoader,
  ) {}
  /** Read the text lines of an image. */
  async read(_image: ImageInput, _options: CallOptions = {}): Promise<OcrResult> {
    throw new Error(`OCR (${this.task.info.taskId}, ${this.loader.modelUrl('')}) is not implemented yet`);
  }
  /** Free the models. */
  dispose(): Promise<void> {
    return this.task.dispose();
  }
}

/** Load the OCR task. */
export async function loadOcr(loader: TaskLoader, options: OcrOptions = {}): Promise<OcrTask> {
  const backend = options.backend ?? 'auto';
  const task = await loader.loadTask(
    {
      kind: 'ocr',
      backend,
      detUrl: loader.modelUrl('ocr/ch_PP-OCRv4_det_infer.onnx'),
      clsUrl: loader.modelUrl('ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx'),
      recUrl: loader.modelUrl('ocr/ch_PP-OCRv4_rec_infer.onnx'),
      keysUrl: loader.modelUrl('ocr/ppocr_keys_v1.txt'),
      maxImagePixels: options.maxImagePixels ?? 4096 * 4096,
    },
    options.worker ?? 'image-onnx',
  );
  return new OcrTask(task, loader);
}
