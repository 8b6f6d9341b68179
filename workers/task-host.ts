/**
 * The worker's full API: the engine host plus tasks. Each task kind lives in its own
 * file under `tasks/`; this class only creates them, finds them by id, and transfers
 * their results' buffers back.
 */
import { InvalidOptionsError, ModelNotFoundError } from '../src/errors';
import type {
  FileExpectation,
  GenerateStartRequest,
  GenerateStep,
  ImageSource,
  LoadProgressSink,
  OcrResult,
  PoseResult,
  Priority,
  TaskInfo,
  TaskResult,
  TaskSpec,
  WorkerApi,
  WorkerCacheConfig,
  WorkerResources,
} from '../src/protocol';
import { ProgressTracker } from '../src/cache/load-progress';
import type { TaskContext } from './tasks/context';
import { GenerateWorkerTask } from './tasks/generate-task';
import { OcrWorkerTask } from './tasks/ocr-task';
import { PoseWorkerTask } from './tasks/pose-task';
import { EngineHost, type EngineFactory } from './engine-host';

interface TaskOf {
  pose: PoseWorkerTask;
  ocr: OcrWorkerTask;
  generate: GenerateWorkerTask;
}

/** Engine host + tasks: what the session worker exposes. */
export class TaskHost extends EngineHost implements WorkerApi {
  private readonly tasks: { [K in keyof TaskOf]: Map<string, TaskOf[K]> } = {
    pose: new Map(),
    ocr: new Map(),
    generate: new Map(),
  };
  constructor(createEngine?: EngineFactory) {
    super(createEngine);
  }

  /**
   * The services tasks get; model loads report progress to `tracker`, and files at the URLs
   * of `expected` (the built-in tasks' default files) are checked for its size and SHA-256.
   */
  private contextFor(tracker: ProgressTracker | undefined, expected: Readonly<Record<string, FileExpectation>> = {}): TaskContext {
    const cacheConfig = (): WorkerCacheConfig => this.cacheConfig; // read at use: `configure` sets it after construction
    const sha256: Record<string, string> = {};
    const bytes: Record<string, number> = {};
    for (const [url, file] of Object.entries(expected)) {
      sha256[url] = file.sha256;
      bytes[url] = file.bytes;
    }
    const checks = Object.keys(expected).length === 0 ? {} : { sha256, expectedBytes: bytes };
    return {
      loadModel: (request) => this.loadTracked({ rejectNaN: false, shapes: {}, ...checks, ...request }, tracker),
      expect: (url) => {
        const file = expected[url];
        return file === undefined ? {} : { expectedSha256: file.sha256, expectedBytes: file.bytes };
      },
      runModel: (modelId, inputs, priority) => this.runValidated(modelId, inputs, priority),
      runModelKeeping: (modelId, inputs, resident, keep, priority) => this.runKeepingValidated(modelId, inputs, resident, keep, priority),
      releaseModel: (modelId) => this.release(modelId),
      get cache() {
        return cacheConfig();
      },
      cacheEvents: (event) => this.cacheEvents(event),
    };
  }

  private task<K extends keyof TaskOf>(kind: K, taskId: string): TaskOf[K] {
    const task = this.tasks[kind].get(taskId);
    if (task === undefined)
      throw new ModelNotFoundError(`No ${kind} task "${taskId}" is loaded in this worker (never loaded, or released).`, { model: taskId });
    return task;
  }

  private has(taskId: string): boolean {
    return Object.values(this.tasks).some((map) => map.has(taskId));
  }

  async loadTask(spec: TaskSpec, progress?: LoadProgressSink): Promise<TaskInfo> {
    if (this.has(spec.taskId)) throw new InvalidOptionsError(`A task with id "${spec.taskId}" is already loaded in this worker.`, { model: spec.taskId });
    const tracker =
      progress === undefined
        ? undefined
        : new ProgressTracker((update) => {
            void Promise.resolve(progress(update)).catch(() => undefined);
          });
    const context = this.contextFor(tracker, spec.expected);
    switch (spec.kind) {
      case 'pose': {
        const task = await PoseWorkerTask.create(spec, context);
        this.tasks.pose.set(spec.taskId, task);
        return task.info;
      }
      case 'ocr': {
        const task = await OcrWorkerTask.create(spec, context);
        this.tasks.ocr.set(spec.taskId, task);
        return task.info;
      }
      case 'generate': {
        const task = await GenerateWorkerTask.create(spec, context);
        this.tasks.generate.set(spec.taskId, task);
        return task.info;
      }
    }
  }

  async releaseTask(taskId: string): Promise<void> {
    for (const map of Object.values(this.tasks)) {
      const task = map.get(taskId);
      if (task === undefined) continue;
      map.delete(taskId);
      await task.release();
    }
  }

  override async releaseAll(): Promise<void> {
    for (const map of Object.values(this.tasks)) {
      const tasks = [...map.values()];
      map.clear();
      await Promise.all(tasks.map((task) => task.release()));
    }
    await super.releaseAll();
  }

  override async resources(): Promise<WorkerResources> {
    const held = await super.resources();
    return { ...held, tasks: Object.values(this.tasks).reduce((sum, map) => sum + map.size, 0) };
  }

  async pose(taskId: string, image: ImageSource, priority?: Priority): Promise<TaskResult<PoseResult>> {
    return this.task('pose', taskId).detect(image, priority);
  }

  async ocr(taskId: string, image: ImageSource, priority?: Priority): Promise<TaskResult<OcrResult>> {
    return this.task('ocr', taskId).read(image, priority);
  }

  async generateStart(taskId: string, request: GenerateStartRequest): Promise<TaskResult<GenerateStep>> {
    return this.task('generate', taskId).start(request);
  }

  async generateStep(taskId: string, sessionId: string): Promise<TaskResult<GenerateStep>> {
    return this.task('generate', taskId).step(sessionId);
  }

  async generateEnd(taskId: string, sessionId: string): Promise<void> {
    await this.task('generate', taskId).end(sessionId);
  }
}
