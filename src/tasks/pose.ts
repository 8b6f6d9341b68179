/**
 * Pose estimation (MoveNet Lightning, TF.js): 17 named keypoints in the image's own
 * pixel coordinates.
 */
import { transfer } from 'comlink';
import { throwIfAborted } from '../errors';
import type { PoseResult } from '../protocol';
import { prepareImage, type ImageInput } from './image-input';
import { assertUsable, type CallOptions, type LoadedTask, type TaskLoader, type TaskOptions } from './loaded-task';

/** Options for {@link Runtime.pose}. */
export interface PoseOptions extends TaskOptions {
  /** MoveNet `model.json`. @default `${modelBaseUrl}movenet-lightning/movenet-lightning.json` */
  readonly modelUrl?: string;
  /** Largest accepted image in pixels; larger inputs reject with `INVALID_INPUT`. @default 4096 × 4096 */
  readonly maxImagePixels?: number;
}

/**
 * A loaded pose model.
 *
 * @example
 * const pose = await runtime.pose();
 * const { keypoints } = await pose.detect(document.querySelector('img')!);
 * // [{ name: 'nose', x: 222.4, y: 121.0, score: 0.53 }, …]
 */
export class PoseTask {
  /** @internal use `runtime.pose()` */
  constructor(
    private readonly task: LoadedTask,
    private readonly loader: TaskLoader,
  ) {}

  /** The backend MoveNet runs on. */
  get backend(): string {
    return this.task.info.backend;
  }

  /** Detect one person's pose. */
  async detect(image: ImageInput, options: CallOptions = {}): Promise<PoseResult> {
    assertUsable(this.task);
    throwIfAborted(options.signal, this.task.info.taskId);
    const { source, transfer: transferables } = await prepareImage(image, this.task.info.taskId, (url) => this.loader.resolveUrl(url));
    const result = await this.task.call((api) => api.pose(this.task.info.taskId, transfer(source, transferables)));
    throwIfAborted(options.signal, this.task.info.taskId);
    return result.value;
  }

  /** Free the model. */
  dispose(): Promise<void> {
    return this.task.dispose();
  }
}

/** Load the pose task. */
export async function loadPose(loader: TaskLoader, options: PoseOptions = {}): Promise<PoseTask> {
  const backend = options.backend ?? 'auto';
  const task = await loader.loadTask(
    {
      kind: 'pose',
      backend,
      modelUrl: loader.resolveUrl(options.modelUrl ?? loader.modelUrl('movenet-lightning/movenet-lightning.json')),
      maxImagePixels: options.maxImagePixels ?? 4096 * 4096,
    },
    options.worker ?? `image-tfjs:${backend}`,
  );
  return new PoseTask(task, loader);
}
