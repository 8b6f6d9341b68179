/**
 * Voice activity (Silero VAD v5): a streaming API (feed chunks of any length, get speech
 * start/end events in ms) and a one-shot API over a whole clip. Each stream keeps its
 * own 64-sample context and recurrent state, so any number of streams share one model.
 */
import { transfer } from 'comlink';
import { InvalidInputError, throwIfAborted } from '../errors';
import { describeValue } from '../tensor';
import { toMono16k, type AudioInput } from './audio-input';
import { assertUsable, type CallOptions, type LoadedTask, type TaskLoader, type TaskOptions } from './loaded-task';
import { segmentsOf, SpeechSegmenter, type SegmenterOptions, type SpeechSegment, type VadEvent } from './speech-segmenter';

const frameSamples = 512;
const contextSamples = 64;
/** Duration of one frame: 512 samples at 16 kHz. */
export const vadFrameMs = 32;

/** Options for {@link Runtime.vad}. */
export interface VadOptions extends TaskOptions, SegmenterOptions {
  /** The Silero v5 `.onnx`. @default `${modelBaseUrl}silero_vad_v5.onnx` */
  readonly modelUrl?: string;
}

/** Speech found in a whole clip. */
export interface VadDetection {
  readonly segments: readonly SpeechSegment[];
  /** Speech probability per 32 ms frame. */
  readonly probabilities: Float32Array;
  readonly frameMs: number;
  readonly durationMs: number;
}

/**
 * One live audio stream (a microphone, a call leg). Feed 16 kHz mono chunks of any
 * length; every complete 32 ms frame is scored, in order.
 *
 * @example
 * const stream = vad.stream();
 * for await (const chunk of mic) for (const e of await stream.push(chunk)) console.log(e.type, e.timeMs);
 * await stream.end();
 */
export class VadStream {
  private pending = new Float32Array(0);
  private context = new Float32Array(contextSamples);
  private state: Float32Array = new Float32Array(256);
  private readonly segmenter: SpeechSegmenter;
  private queue: Promise<unknown> = Promise.resolve();
  private frames = 0;
  private ended = false;

  /** @internal use `vad.stream()` */
  constructor(
    private readonly task: LoadedTask,
    options: SegmenterOptions,
  ) {
    this.segmenter = new SpeechSegmenter(vadFrameMs, options);
  }

  /** Milliseconds of audio scored so far. */
  get timeMs(): number {
    return this.frames * vadFrameMs;
  }

  /** Add samples (16 kHz mono); resolves with the events the new complete frames produced. */
  push(samples: Float32Array, options: CallOptions = {}): Promise<VadEvent[]> {
    if (!(samples instanceof Float32Array)) {
      return Promise.reject(
        new InvalidInputError('VAD stream chunks must be Float32Array samples at 16 kHz.', {
          model: this.task.info.taskId,
          input: 'samples',
          expected: 'Float32Array',
          got: describeValue(samples),
        }),
      );
    }
    if (this.ended)
      return Promise.reject(
        new InvalidInputError('This VAD stream has ended; start a new one.', {
          model: this.task.info.taskId,
          input: 'stream',
          expected: 'an open stream',
          got: 'ended',
        }),
      );
    const copy = samples.slice();
    const run = this.queue.then(() => this.process(copy, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Flush the last partial frame (zero-padded) and close an open segment. */
  end(options: CallOptions = {}): Promise<VadEvent[]> {
    if (this.ended) return Promise.resolve([]);
    this.ended = true;
    const run = this.queue.then(async () => {
      const events: VadEvent[] = [];
      if (this.pending.length > 0) {
        const last = new Float32Array(frameSamples);
        last.set(this.pending);
        this.pending = new Float32Array(0);
        events.push(...(await this.scoreFrame(last, options)));
      }
      events.push(...this.segmenter.finish());
      return events;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async process(samples: Float32Array, options: CallOptions): Promise<VadEvent[]> {
    const all = new Float32Array(this.pending.length + samples.length);
    all.set(this.pending);
    all.set(samples, this.pending.length);
    const events: VadEvent[] = [];
    let offset = 0;
    for (; offset + frameSamples <= all.length; offset += frameSamples)
      events.push(...(await this.scoreFrame(all.subarray(offset, offset + frameSamples), options)));
    this.pending = all.slice(offset);
    return events;
  }

  private async scoreFrame(frame: Float32Array, options: CallOptions): Promise<VadEvent[]> {
    assertUsable(this.task);
    throwIfAborted(options.signal, this.task.info.taskId);
    const input = new Float32Array(contextSamples + frameSamples);
    input.set(this.context);
    input.set(frame, contextSamples);
    this.context = frame.slice(frameSamples - contextSamples);
    const state = this.state;
    const taskId = this.task.info.taskId;
    const result = await this.task.call((api) => api.vadFrames(taskId, transfer({ frames: input, state, batch: 1 }, [input.buffer, state.buffer])));
    this.state = result.value.state;
    this.frames += 1;
    return this.segmenter.push(result.value.probabilities[0] ?? 0);
  }
}

/**
 * A loaded voice-activity detector.
 *
 * @example
 * const vad = await runtime.vad();
 * const { segments } = await vad.detect(file); // [{ startMs: 1024, endMs: 3872 }, …]
 */
export class VadTask {
  /** @internal use `runtime.vad()` */
  constructor(
    private readonly task: LoadedTask,
    private readonly options: SegmenterOptions,
  ) {}

  /** The backend Silero runs on. */
  get backend(): string {
    return this.task.info.backend;
  }

  /** Start a live stream with its own state. */
  stream(options: SegmenterOptions = {}): VadStream {
    assertUsable(this.task);
    return new VadStream(this.task, { ...this.options, ...options });
  }

  /** Find the speech in a whole clip (decoded and resampled to 16 kHz first). */
  async detect(audio: AudioInput, options: CallOptions & SegmenterOptions = {}): Promise<VadDetection> {
    assertUsable(this.task);
    throwIfAborted(options.signal, this.task.info.taskId);
    const samples = await toMono16k(audio, this.task.info.taskId);
    throwIfAborted(options.signal, this.task.info.taskId);
    const taskId = this.task.info.taskId;
    const result = await this.task.call((api) => api.vadClip(taskId, transfer(samples, [samples.buffer])));
    const probabilities = result.value;
    return {
      segments: segmentsOf(probabilities, vadFrameMs, { ...this.options, ...options }),
      probabilities,
      frameMs: vadFrameMs,
      durationMs: (probabilities.length * frameSamples * 1000) / 16000,
    };
  }

  /** Free the model. */
  dispose(): Promise<void> {
    return this.task.dispose();
  }
}

/** Load the VAD task. */
export async function loadVad(loader: TaskLoader, options: VadOptions = {}): Promise<VadTask> {
  const backend = options.backend ?? 'auto';
  const task = await loader.loadTask(
    { kind: 'vad', backend, modelUrl: loader.resolveUrl(options.modelUrl ?? loader.modelUrl('silero_vad_v5.onnx')) },
    options.worker ?? 'audio-onnx',
  );
  return new VadTask(task, options);
}
