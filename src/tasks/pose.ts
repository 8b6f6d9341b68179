/**
 * Pose estimation (MoveNet Lightning, TF.js): 17 named keypoints in the image's own
 * pixel coordinates. MoveNet has a fixed batch of 1, so requests run one by one through
 * the scheduler (priorities, deadlines, superseding of stale camera frames still apply).
 */
import { transfer } from 'comlink';
import type { PoseResult, TaskResult } from '../protocol';
import { prepareImage, type ImageInput, type PreparedImage } from './image-input';
import { assertUsable, type CallOptions, type LoadedTask, type TaskLoader, type TaskOptions } from './loaded-task';
import { firstReplica, fixedBatchOfOne, ReplicatedTask } from './replicated-task';
import type { TaskQueue } from './task-queue';
import { resolveReplicas } from '../scheduler/replicas';
import { checkCallOptions } from '../scheduler/call-options';
import { checkName, checkOptionsObject } from '../model-descriptor';
import { InvalidOptionsError } from '../errors';

/** Options for {@link Runtime.pose}. */
export interface PoseOptions extends TaskOptions {
  /** MoveNet `model.json`. @default `${modelBaseUrl}movenet-lightning/movenet-lightning.json` */
  readonly modelUrl?: string;
  /** Largest accepted image in pixels; larger inputs reject with `INVALID_INPUT` (an encoded file from its header, before decoding). @default 4096 × 4096 */
  readonly maxImagePixels?: number;
  /** Name in metrics. @default the task id (`pose-1` …) */
  readonly name?: string;
}

/**
 * A loaded pose model.
 *
 * @example
 * const pose = await runtime.pose();
 * const { keypoints } = await pose.detect(document.querySelector('img')!);
 * // [{ name: 'nose', x: 222.4, y: 121.0, score: 0.53 }, …]
 */
export class PoseTask extends ReplicatedTask<PreparedImage, PoseResult> {
  // Not enumerable (ES private): `JSON.stringify(task)` must not walk the runtime.
  readonly #loader: TaskLoader;
  readonly #maxImagePixels: number;

  /** @internal use `runtime.pose()` */
  constructor(replicas: readonly LoadedTask[], queue: TaskQueue<PreparedImage, PoseResult>, loader: TaskLoader, maxImagePixels: number) {
    super(replicas, queue);
    this.#loader = loader;
    this.#maxImagePixels = maxImagePixels;
  }

  /**
   * Detect one person's pose. For a live camera pass `supersedeKey` so a frame still
   * queued is replaced by the next one.
   */
  async detect(image: ImageInput, options: CallOptions = {}): Promise<PoseResult> {
    assertUsable(this.task);
    // Before the image is prepared: a refused call leaves the caller's bitmap open.
    checkCallOptions(this.name, options);
    const prepared = await prepareImage(image, this.name, (url) => this.#loader.resolveUrl(url), this.#maxImagePixels);
    try {
      return await this.queue.run(prepared, options);
    } finally {
      prepared.release();
    }
  }
}

/** Load the pose task. */
export async function loadPose(loader: TaskLoader, options: PoseOptions = {}): Promise<PoseTask> {
  checkOptionsObject(options);
  checkName(options.name, 'name');
  const maxImagePixels = options.maxImagePixels ?? 4096 * 4096;
  if (typeof maxImagePixels !== 'number' || !Number.isFinite(maxImagePixels) || maxImagePixels <= 0)
    throw new InvalidOptionsError(`Expected \`maxImagePixels\` to be a number > 0, got ${String(maxImagePixels)}.`, {
      input: 'maxImagePixels',
      expected: 'a number > 0',
      got: String(maxImagePixels),
    });
  const backend = options.backend ?? 'auto';
  const replicaPlan = resolveReplicas(options.replicas);
  const replicas = await loader.loadReplicas(
    {
      kind: 'pose',
      backend,
      modelUrl: loader.resolveUrl(options.modelUrl ?? loader.modelUrl('movenet-lightning/movenet-lightning.json'), 'modelUrl'),
      maxImagePixels,
    },
    options.worker ?? `image-tfjs:${backend}`,
    replicaPlan.count,
    options.onProgress,
  );
  const first = firstReplica(replicas);
  const queue = loader.createQueue<PreparedImage, PoseResult>(
    options.name ?? first.info.taskId,
    'image',
    first.info.backend,
    options,
    replicaPlan,
    async (payloads, replica, { priority }) => {
      const task = replicas[replica] ?? first;
      const results: TaskResult<PoseResult>[] = [];
      for (const image of payloads)
        results.push(
          await task.call(async (api) => {
            const { source, transfer: transferables } = await image.sendable();
            return api.pose(task.info.taskId, transfer(source, transferables), priority);
          }),
        );
      return results;
    },
    // MoveNet's graph has a fixed batch of 1: requests run one by one through the queue.
    fixedBatchOfOne,
  );
  for (const replica of replicas) replica.reportAs(queue.name);
  return new PoseTask(replicas, queue, loader, maxImagePixels);
}
