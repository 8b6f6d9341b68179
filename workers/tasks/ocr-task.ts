/** OCR (PP-OCRv4): not implemented yet — owned by the OCR work item. */
import type { ImageSource, OcrResult, OcrTaskSpec, TaskInfo, TaskResult } from '../../src/protocol';
import type { TaskContext, WorkerTask } from './context';

/** The worker side of the OCR task. */
export class OcrWorkerTask implements WorkerTask {
  readonly kind = 'ocr';
  private constructor(readonly info: TaskInfo) {}
  static async create(spec: OcrTaskSpec, _context: TaskContext): Promise<OcrWorkerTask> {
    throw new Error(`OCR task ${spec.taskId}: not implemented yet`);
  }
  async read(_image: ImageSource): Promise<TaskResult<OcrResult>> {
    throw new Error('not implemented');
  }
  async release(): Promise<void> {}
}
