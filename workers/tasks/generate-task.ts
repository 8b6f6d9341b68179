/** Text generation with a KV cache: not implemented yet — owned by the generation work item. */
import type { GenerateStartRequest, GenerateStep, GenerateTaskSpec, TaskInfo, TaskResult } from '../../src/protocol';
import type { TaskContext, WorkerTask } from './context';

/** The worker side of the generation task. */
export class GenerateWorkerTask implements WorkerTask {
  readonly kind = 'generate';
  private constructor(readonly info: TaskInfo) {}
  static async create(spec: GenerateTaskSpec, _context: TaskContext): Promise<GenerateWorkerTask> {
    throw new Error(`generation task ${spec.taskId}: not implemented yet`);
  }
  async start(_request: GenerateStartRequest): Promise<TaskResult<GenerateStep>> {
    throw new Error('not implemented');
  }
  async step(_sessionId: string): Promise<TaskResult<GenerateStep>> {
    throw new Error('not implemented');
  }
  async end(_sessionId: string): Promise<void> {}
  async release(): Promise<void> {}
}
