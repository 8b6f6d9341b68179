/**
 * Voice activity (Silero VAD v5, ONNX). Stateless in the worker: each stream's 64-sample
 * context and recurrent state travel with its frames, so any number of streams share
 * one session safely and frames of different streams batch into one call.
 */
import { InferenceError, InvalidInputError } from '../../src/errors';
import type { Priority, TaskInfo, TaskResult, VadFramesRequest, VadFramesResult, VadTaskSpec } from '../../src/protocol';
import { tensor } from '../../src/tensor';
import { StageClock, taskBackend, type TaskContext, type WorkerTask } from './context';

/** New samples per frame at 16 kHz (32 ms). */
export const frameSamples = 512;
/** Samples of the previous frame that Silero v5 needs in front of each frame. */
export const contextSamples = 64;
/** Recurrent state size per stream: 2 × 128. */
export const stateSize = 256;

/** The worker side of the VAD task. */
export class VadWorkerTask implements WorkerTask {
  readonly kind = 'vad';
  private readonly sampleRate = tensor('int64', [], BigInt64Array.of(16000n));

  private constructor(
    readonly info: TaskInfo,
    private readonly context: TaskContext,
    private readonly modelId: string,
  ) {}

  static async create(spec: VadTaskSpec, context: TaskContext): Promise<VadWorkerTask> {
    const started = performance.now();
    const modelId = `${spec.taskId}/silero`;
    const model = await context.loadModel({
      modelId,
      format: 'onnx',
      source: { kind: 'url', url: spec.modelUrl },
      backend: spec.backend,
      shapes: { input: ['batch', contextSamples + frameSamples], state: [2, 'batch', 128] },
    });
    const info: TaskInfo = {
      taskId: spec.taskId,
      kind: 'vad',
      backend: taskBackend([model]),
      models: [model],
      loadMs: performance.now() - started,
      facts: { sampleRate: 16000, frameSamples, contextSamples },
    };
    return new VadWorkerTask(info, context, modelId);
  }

  private async runBatch(frames: Float32Array, state: Float32Array, batch: number, priority?: Priority): Promise<VadFramesResult> {
    const out = await this.context.runModel(
      this.modelId,
      {
        input: tensor('float32', [batch, contextSamples + frameSamples], frames),
        state: tensor('float32', [2, batch, 128], state),
        sr: { ...this.sampleRate, data: BigInt64Array.of(16000n) },
      },
      priority,
    );
    const { output, stateN } = out.outputs;
    if (output?.dtype !== 'float32' || stateN?.dtype !== 'float32')
      throw new InferenceError('Silero VAD returned unexpected outputs.', { model: this.modelId });
    return { probabilities: output.data, state: stateN.data };
  }

  /** One frame for each of `batch` streams, in one call. */
  async frames(request: VadFramesRequest, priority?: Priority): Promise<TaskResult<VadFramesResult>> {
    const { frames, state, batch } = request;
    if (!Number.isInteger(batch) || batch < 1) {
      throw new InvalidInputError(`VAD batch must be a positive integer, got ${batch}.`, {
        model: this.modelId,
        input: 'batch',
        expected: 'integer ≥ 1',
        got: String(batch),
      });
    }
    const clock = new StageClock();
    const value = await clock.infer(() => this.runBatch(frames, state, batch, priority));
    return { value, timings: clock.timings() };
  }

  /** Every frame of one clip, in order, carrying context and state. */
  async clip(samples: Float32Array, priority?: Priority): Promise<TaskResult<Float32Array>> {
    if (samples.length === 0)
      throw new InvalidInputError('The audio clip is empty (0 samples).', {
        model: this.modelId,
        input: 'audio',
        expected: 'at least 1 sample',
        got: '0 samples',
      });
    const clock = new StageClock();
    const count = Math.ceil(samples.length / frameSamples);
    const probabilities = new Float32Array(count);
    let state = new Float32Array(stateSize);
    for (let i = 0; i < count; i += 1) {
      const frame = await clock.pre(() => {
        const buffer = new Float32Array(contextSamples + frameSamples);
        const start = i * frameSamples;
        buffer.set(samples.subarray(Math.max(0, start - contextSamples), start), contextSamples - Math.min(contextSamples, start));
        buffer.set(samples.subarray(start, Math.min(samples.length, start + frameSamples)), contextSamples);
        return buffer;
      });
      const result = await clock.infer(() => this.runBatch(frame, state, 1, priority));
      probabilities[i] = result.probabilities[0] ?? 0;
      state = new Float32Array(result.state);
    }
    return { value: probabilities, timings: clock.timings() };
  }

  async release(): Promise<void> {
    await this.context.releaseModel(this.modelId);
  }
}
