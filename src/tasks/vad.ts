/**
 * Voice activity (Silero VAD v5): a streaming API (feed chunks of any length, get speech
 * start/end events in ms) and a one-shot API over a whole clip. Each stream keeps its
 * own 64-sample context and recurrent state, so any number of streams share one model.
 */
import { transfer } from 'comlink';
import { InvalidInputError, throwIfAborted } from '../errors';
import type { Priority, StageTimings, TaskResult } from '../protocol';
import { describeValue } from '../tensor';
import { toMono16k, type AudioInput } from './audio-input';
import { assertUsable, type CallOptions, type LoadedTask, type TaskLoader, type TaskOptions } from './loaded-task';
import { segmentsOf, SpeechSegmenter, type SegmenterOptions, type SpeechSegment, type VadEvent } from './speech-segmenter';
import { firstReplica, ReplicatedTask } from './replicated-task';
import type { TaskQueue } from './task-queue';

const frameSamples = 512;
const contextSamples = 64;
/** Duration of one frame: 512 samples at 16 kHz. */
export const vadFrameMs = 32;

/** Options for {@link Runtime.vad}. */
export interface VadOptions extends TaskOptions, SegmenterOptions {
  /** The Silero v5 `.onnx`. @default `${modelBaseUrl}silero_vad_v5.onnx` */
  readonly modelUrl?: string;
  /** Name in metrics. @default the task id (`vad-1` …) */
  readonly name?: string;
}

/** A unit of VAD work: one stream's frame (batched with other streams') or a whole clip. */
export type VadPayload =
  { readonly kind: 'frame'; readonly frame: Float32Array; readonly state: Float32Array } | { readonly kind: 'clip'; readonly samples: Float32Array };

/** A frame's answer or a clip's probabilities. */
export type VadAnswer =
  { readonly kind: 'frame'; readonly probability: number; readonly state: Float32Array } | { readonly kind: 'clip'; readonly probabilities: Float32Array };

/**
 * Run a batch: all frames (of different streams) stacked along the batch dimension in
 * one engine call, states interleaved into `[2, B, 128]` and split back; clips one by one.
 */
export async function executeVadBatch(task: LoadedTask, payloads: readonly VadPayload[], priority?: Priority): Promise<TaskResult<VadAnswer>[]> {
  const taskId = task.info.taskId;
  const results: (TaskResult<VadAnswer> | undefined)[] = payloads.map(() => undefined);
  const frameIndexes = payloads.flatMap((p, i) => (p.kind === 'frame' ? [i] : []));
  if (frameIndexes.length > 0) {
    const batch = frameIndexes.length;
    const frames = new Float32Array(batch * (contextSamples + frameSamples));
    const state = new Float32Array(2 * batch * 128);
    frameIndexes.forEach((index, b) => {
      const payload = payloads[index];
      if (payload?.kind !== 'frame') return;
      frames.set(payload.frame, b * (contextSamples + frameSamples));
      for (let layer = 0; layer < 2; layer += 1) state.set(payload.state.subarray(layer * 128, (layer + 1) * 128), (layer * batch + b) * 128);
    });
    const answer = await task.call((api) => api.vadFrames(taskId, transfer({ frames, state, batch }, [frames.buffer, state.buffer]), priority));
    frameIndexes.forEach((index, b) => {
      const next = new Float32Array(256);
      for (let layer = 0; layer < 2; layer += 1) next.set(answer.value.state.subarray((layer * batch + b) * 128, (layer * batch + b + 1) * 128), layer * 128);
      results[index] = { value: { kind: 'frame', probability: answer.value.probabilities[b] ?? 0, state: next }, timings: answer.timings };
    });
  }
  for (const [index, payload] of payloads.entries()) {
    if (payload.kind !== 'clip') continue;
    const samples = payload.samples;
    const answer = await task.call((api) => api.vadClip(taskId, transfer(samples, [samples.buffer]), priority));
    results[index] = { value: { kind: 'clip', probabilities: answer.value }, timings: answer.timings };
  }
  const empty: StageTimings = { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0, engineCalls: 0 };
  return results.map((r) => r ?? { value: { kind: 'clip', probabilities: new Float32Array(0) }, timings: empty });
}

/** Options of one live stream. */
export interface VadStreamOptions extends SegmenterOptions {
  /** Defaults for every frame's scheduling (priority, deadline …). */
  readonly call?: CallOptions;
  /** Called with each frame's speech probability and start time (ms), in order. */
  readonly onProbability?: (probability: number, timeMs: number) => void;
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
  // ES private fields: not enumerable, so `JSON.stringify(stream)` never walks the task's
  // worker connection or the queue; `toJSON()` gives a summary.
  #pending = new Float32Array(0);
  #context = new Float32Array(contextSamples);
  #state: Float32Array = new Float32Array(256);
  readonly #segmenter: SpeechSegmenter;
  #chain: Promise<unknown> = Promise.resolve();
  #frames = 0;
  #ended = false;
  readonly #task: LoadedTask;
  readonly #queue: TaskQueue<VadPayload, VadAnswer>;
  readonly #callDefaults: CallOptions;
  readonly #onProbability: ((probability: number, timeMs: number) => void) | undefined;

  /** @internal use `vad.stream()` */
  constructor(
    task: LoadedTask,
    queue: TaskQueue<VadPayload, VadAnswer>,
    options: SegmenterOptions,
    callDefaults: CallOptions,
    onProbability?: (probability: number, timeMs: number) => void,
  ) {
    this.#task = task;
    this.#queue = queue;
    this.#callDefaults = callDefaults;
    this.#onProbability = onProbability;
    this.#segmenter = new SpeechSegmenter(vadFrameMs, options);
  }

  /** Milliseconds of audio scored so far. */
  get timeMs(): number {
    return this.#frames * vadFrameMs;
  }

  /**
   * A plain summary for logs and `JSON.stringify(stream)`.
   *
   * @example
   * JSON.stringify(stream); // '{"kind":"vad-stream","task":"vad-1","timeMs":1024,"ended":false}'
   */
  toJSON(): { readonly kind: 'vad-stream'; readonly task: string; readonly timeMs: number; readonly ended: boolean } {
    return { kind: 'vad-stream', task: this.#task.info.taskId, timeMs: this.timeMs, ended: this.#ended };
  }

  /** Add samples (16 kHz mono); resolves with the events the new complete frames produced. */
  push(samples: Float32Array, options: CallOptions = {}): Promise<VadEvent[]> {
    if (!(samples instanceof Float32Array)) {
      return Promise.reject(
        new InvalidInputError('VAD stream chunks must be Float32Array samples at 16 kHz.', {
          model: this.#task.info.taskId,
          input: 'samples',
          expected: 'Float32Array',
          got: describeValue(samples),
        }),
      );
    }
    if (this.#ended)
      return Promise.reject(
        new InvalidInputError('This VAD stream has ended; start a new one.', {
          model: this.#task.info.taskId,
          input: 'stream',
          expected: 'an open stream',
          got: 'ended',
        }),
      );
    const copy = samples.slice();
    const run = this.#chain.then(() => this.process(copy, options));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Flush the last partial frame (zero-padded) and close an open segment. */
  end(options: CallOptions = {}): Promise<VadEvent[]> {
    if (this.#ended) return Promise.resolve([]);
    this.#ended = true;
    const run = this.#chain.then(async () => {
      const events: VadEvent[] = [];
      if (this.#pending.length > 0) {
        const last = new Float32Array(frameSamples);
        last.set(this.#pending);
        this.#pending = new Float32Array(0);
        events.push(...(await this.scoreFrame(last, options)));
      }
      events.push(...this.#segmenter.finish());
      return events;
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  private async process(samples: Float32Array, options: CallOptions): Promise<VadEvent[]> {
    const all = new Float32Array(this.#pending.length + samples.length);
    all.set(this.#pending);
    all.set(samples, this.#pending.length);
    const events: VadEvent[] = [];
    let offset = 0;
    try {
      for (; offset + frameSamples <= all.length; offset += frameSamples)
        events.push(...(await this.scoreFrame(all.subarray(offset, offset + frameSamples), options)));
    } finally {
      // On a rejected frame (deadline, abort) keep it and what follows for the next push.
      this.#pending = all.slice(offset);
    }
    return events;
  }

  private async scoreFrame(frame: Float32Array, options: CallOptions): Promise<VadEvent[]> {
    assertUsable(this.#task);
    throwIfAborted(options.signal, this.#task.info.taskId);
    const input = new Float32Array(contextSamples + frameSamples);
    input.set(this.#context);
    input.set(frame, contextSamples);
    const answer = await this.#queue.run({ kind: 'frame', frame: input, state: this.#state }, { ...this.#callDefaults, ...options });
    if (answer.kind !== 'frame') throw new Error('VAD answered a frame with a clip');
    // Only a frame that ran advances the stream (a rejected frame can be pushed again).
    this.#context = frame.slice(frameSamples - contextSamples);
    this.#state = answer.state;
    this.#onProbability?.(answer.probability, this.#frames * vadFrameMs);
    this.#frames += 1;
    return this.#segmenter.push(answer.probability);
  }
}

/**
 * A loaded voice-activity detector.
 *
 * @example
 * const vad = await runtime.vad();
 * const { segments } = await vad.detect(file); // [{ startMs: 1024, endMs: 3872 }, …]
 */
export class VadTask extends ReplicatedTask<VadPayload, VadAnswer> {
  // Not enumerable (ES private): `JSON.stringify(vad)` gives only its summary.
  readonly #options: SegmenterOptions;

  /** @internal use `runtime.vad()` */
  constructor(replicas: readonly LoadedTask[], queue: TaskQueue<VadPayload, VadAnswer>, options: SegmenterOptions) {
    super(replicas, queue);
    this.#options = options;
  }

  /** Start a live stream with its own state; `call` sets defaults (priority, deadline) for its frames. */
  stream(options: VadStreamOptions = {}): VadStream {
    assertUsable(this.task);
    return new VadStream(this.task, this.queue, { ...this.#options, ...options }, options.call ?? {}, options.onProbability);
  }

  /** Find the speech in a whole clip (decoded and resampled to 16 kHz first). */
  async detect(audio: AudioInput, options: CallOptions & SegmenterOptions = {}): Promise<VadDetection> {
    assertUsable(this.task);
    throwIfAborted(options.signal, this.task.info.taskId);
    const samples = await toMono16k(audio, this.task.info.taskId);
    throwIfAborted(options.signal, this.task.info.taskId);
    const answer = await this.queue.run({ kind: 'clip', samples }, { ...options, timeoutMs: options.timeoutMs ?? 0 });
    if (answer.kind !== 'clip') throw new Error('VAD answered a clip with a frame');
    const probabilities = answer.probabilities;
    return {
      segments: segmentsOf(probabilities, vadFrameMs, { ...this.#options, ...options }),
      probabilities,
      frameMs: vadFrameMs,
      durationMs: (probabilities.length * frameSamples * 1000) / 16000,
    };
  }
}

/** Load the VAD task. */
export async function loadVad(loader: TaskLoader, options: VadOptions = {}): Promise<VadTask> {
  const backend = options.backend ?? 'auto';
  const replicas = await loader.loadReplicas(
    { kind: 'vad', backend, modelUrl: loader.resolveUrl(options.modelUrl ?? loader.modelUrl('silero_vad_v5.onnx')) },
    options.worker ?? 'audio-onnx',
    options.replicas ?? 1,
    options.onProgress,
  );
  const first = firstReplica(replicas);
  const queue = loader.createQueue<VadPayload, VadAnswer>(
    options.name ?? first.info.taskId,
    'audio',
    first.info.backend,
    options,
    replicas.length,
    (payloads, replica, { priority }) => executeVadBatch(replicas[replica] ?? first, payloads, priority),
  );
  return new VadTask(replicas, queue, options);
}
