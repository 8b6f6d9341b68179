/**
 * Pose (MoveNet Lightning, TF.js graph): letterbox the image into 192×192 int32 RGB,
 * run, and map the 17 keypoints back into the image's own pixel coordinates.
 */
import { InferenceError } from '../../src/errors';
import type { ImageSource, Keypoint, PoseResult, PoseTaskSpec, Priority, TaskInfo, TaskResult } from '../../src/protocol';
import { keypointNames } from '../../src/tasks/keypoints';
import { tensor } from '../../src/tensor';
import { StageClock, taskBackend, type TaskContext, type WorkerTask } from './context';
import { decodeImage } from './image';

const inputSize = 192;

/** Where an image sits inside the square model input. */
export interface Letterbox {
  readonly scale: number;
  readonly padX: number;
  readonly padY: number;
}

/** Fit `width`×`height` into a `size` square, centred, keeping the aspect ratio. */
export function letterbox(width: number, height: number, size: number): Letterbox {
  const scale = size / Math.max(width, height);
  return { scale, padX: (size - width * scale) / 2, padY: (size - height * scale) / 2 };
}

/** Map MoveNet's normalised (y, x, score) triples back to image pixels. */
export function decodeKeypoints(raw: Float32Array, box: Letterbox, size: number): Keypoint[] {
  return keypointNames.map((name, i) => ({
    name,
    y: ((raw[i * 3] ?? 0) * size - box.padY) / box.scale,
    x: ((raw[i * 3 + 1] ?? 0) * size - box.padX) / box.scale,
    score: raw[i * 3 + 2] ?? 0,
  }));
}

/** The worker side of the pose task. */
export class PoseWorkerTask implements WorkerTask {
  readonly kind = 'pose';
  private constructor(
    readonly info: TaskInfo,
    private readonly spec: PoseTaskSpec,
    private readonly context: TaskContext,
    private readonly modelId: string,
    private readonly inputName: string,
  ) {}

  static async create(spec: PoseTaskSpec, context: TaskContext): Promise<PoseWorkerTask> {
    const started = performance.now();
    const modelId = `${spec.taskId}/movenet`;
    const model = await context.loadModel({ modelId, format: 'tfjs-graph', source: { kind: 'url', url: spec.modelUrl }, backend: spec.backend });
    const info: TaskInfo = {
      taskId: spec.taskId,
      kind: 'pose',
      backend: taskBackend([model]),
      models: [model],
      loadMs: performance.now() - started,
      facts: { inputSize, keypoints: keypointNames.length },
    };
    return new PoseWorkerTask(info, spec, context, modelId, model.inputs[0]?.name ?? 'input');
  }

  async detect(image: ImageSource, priority?: Priority): Promise<TaskResult<PoseResult>> {
    const clock = new StageClock();
    const { pixels, box, width, height } = await clock.pre(async () => {
      const bitmap = await decodeImage(image, this.spec.maxImagePixels, this.info.taskId);
      const { width, height } = bitmap;
      const box = letterbox(width, height, inputSize);
      const canvas = new OffscreenCanvas(inputSize, inputSize);
      const context = canvas.getContext('2d', { willReadFrequently: true });
      if (context === null) throw new Error('OffscreenCanvas 2d context is unavailable in this worker');
      context.fillStyle = '#000';
      context.fillRect(0, 0, inputSize, inputSize);
      context.drawImage(bitmap, box.padX, box.padY, width * box.scale, height * box.scale);
      bitmap.close();
      const rgba = context.getImageData(0, 0, inputSize, inputSize).data;
      const pixels = new Int32Array(inputSize * inputSize * 3);
      for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
        pixels[j] = rgba[i] ?? 0;
        pixels[j + 1] = rgba[i + 1] ?? 0;
        pixels[j + 2] = rgba[i + 2] ?? 0;
      }
      return { pixels, box, width, height };
    });
    const result = await clock.infer(() =>
      this.context.runModel(this.modelId, { [this.inputName]: tensor('int32', [1, inputSize, inputSize, 3], pixels) }, priority),
    );
    const value = await clock.post(() => {
      const raw = Object.values(result.outputs)[0];
      if (raw?.dtype !== 'float32' || raw.data.length !== keypointNames.length * 3)
        throw new InferenceError('MoveNet returned an unexpected output.', { model: this.modelId });
      const keypoints = decodeKeypoints(raw.data, box, inputSize);
      const score = keypoints.reduce((sum, k) => sum + k.score, 0) / keypoints.length;
      return { keypoints, score, width, height };
    });
    return { value, timings: clock.timings() };
  }

  async release(): Promise<void> {
    await this.context.releaseModel(this.modelId);
  }
}
