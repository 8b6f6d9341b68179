/** Sentence embeddings (USE-lite): not implemented yet — owned by the embeddings work item. */
import type { EmbedResult, EmbedTaskSpec, TaskInfo, TaskResult } from '../../src/protocol';
import type { TaskContext, WorkerTask } from './context';

/** The worker side of the embedding task. */
export class EmbedWorkerTask implements WorkerTask {
  readonly kind = 'embed';
  private constructor(readonly info: TaskInfo) {}
  static async create(spec: EmbedTaskSpec, _context: TaskContext): Promise<EmbedWorkerTask> {
    throw new Error(`embedding task ${spec.taskId}: not implemented yet`);
  }
  async embed(_texts: readonly string[]): Promise<TaskResult<EmbedResult>> {
    throw new Error('not implemented');
  }
  async release(): Promise<void> {}
}
