/**
 * Voice activity (Silero VAD v5): a streaming API (feed chunks of any length, get speech
 * start/end events in ms) and a one-shot API over a whole clip. Built on the public model
 * API: one scheduled model (`runtime.load` with a config) whose `state` → `stateN` is
 * carried by a {@link ModelSession} per stream; the model's dynamic batcher stacks frames of
 * concurrent streams into one engine call. The task keeps only each stream's 64-sample
 * audio context.
 */
import { DisposedError, InvalidInputError, throwIfAborted } from '../errors';
import { countRefusal, type Model } from '../model';
import { checkName, checkOptionsObject, optionError, type ModelDescriptor } from '../model-descriptor';
import type { ModelSession } from '../model-session';
import { describeValue, tensor } from '../tensor';
import { checkCallOptions } from '../scheduler/call-options';
import { checkFiniteSamples, toMono16k, type AudioInput } from './audio-input';
import type { CallOptions, TaskLoader, TaskOptions } from './loaded-task';
import { ModelTask } from './model-task';
import { checkSegmenterOptions, segmentsOf, SpeechSegmenter, type SegmenterOptions, type SpeechSegment, type VadEvent } from './speech-segmenter';

const frameSamples = 512;
const contextSamples = 64;
const sampleRate = 16000;
/** Duration of one frame: 512 samples at 16 kHz. */
export const vadFrameMs = 32;

/** Options for {@link Runtime.vad}. */
export interface VadOptions extends TaskOptions, SegmenterOptions {
  /** The Silero v5 `.onnx`. @default `${modelBaseUrl}silero_vad_v5.onnx` */
  readonly modelUrl?: string;
  /** Name in metrics. @default the task id (`vad-1` …) */
  readonly name?: string;
}

/**
 * The model config the task loads Silero VAD v5 with: audio scheduling, frames of many
 * streams stacked on the batch axis (axis 1 of the recurrent state), the state carried by
 * sessions. A user loading the same file with `runtime.load` gets the same behaviour.
 */
export function sileroVadDescriptor(source: string, options: VadOptions, id: string): ModelDescriptor {
  return {
    format: 'onnx',
    source,
    id,
    backend: options.backend ?? 'auto',
    worker: options.worker ?? 'audio-onnx',
    modality: 'audio',
    ...(options.batching === undefined ? {} : { batching: options.batching }),
    replicas: options.replicas ?? 1,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    shapes: { input: ['batch', contextSamples + frameSamples], state: [2, 'batch', 128] },
    batchAxes: { input: 0, state: 1, sr: null, output: 0, stateN: 1 },
    sequence: { state: [{ input: 'state', output: 'stateN' }] },
    // 'auto' times the model with a real sample rate (zero takes no branch of its graph).
    probe: { fill: { sr: sampleRate } },
  };
}

/** The scheduled model behind a VAD task, and the rules every stream of it uses. */
interface VadModel {
  readonly model: Model;
  readonly segmenter: SegmenterOptions;
}

function assertOpen(model: Model): void {
  if (model.disposed) throw new DisposedError(`Task "${model.id}" was disposed; load it again.`, { model: model.id });
}

/** One frame's input: the previous 64 samples, then the 512 new ones. */
function frameInput(context: Float32Array, frame: Float32Array): Float32Array {
  const input = new Float32Array(contextSamples + frameSamples);
  input.set(context);
  input.set(frame, contextSamples);
  return input;
}

/** Score one frame on `session` (state carried by it); resolves with the speech probability. */
async function scoreOn(session: ModelSession, input: Float32Array, options: CallOptions): Promise<number> {
  const { output } = await session.run(
    { input: tensor('float32', [1, contextSamples + frameSamples], input), sr: tensor('int64', [], BigInt64Array.of(BigInt(sampleRate))) },
    options,
  );
  if (output?.dtype !== 'float32') throw new InvalidInputError('Silero VAD returned no float32 "output".', { input: 'output', got: describeValue(output) });
  return output.data[0] ?? 0;
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
  // ES private fields: not enumerable, so `JSON.stringify(stream)` never walks the model's
  // worker connections; `toJSON()` gives a summary.
  #pending = new Float32Array(0);
  #context = new Float32Array(contextSamples);
  readonly #segmenter: SpeechSegmenter;
  #chain: Promise<unknown> = Promise.resolve();
  #frames = 0;
  #ended = false;
  readonly #model: Model;
  readonly #session: ModelSession;
  readonly #onProbability: ((probability: number, timeMs: number) => void) | undefined;

  /** @internal use `vad.stream()` */
  constructor(model: Model, options: SegmenterOptions, callDefaults: CallOptions, onProbability?: (probability: number, timeMs: number) => void) {
    this.#model = model;
    // The recurrent state lives in the session; its frames batch with other streams'.
    this.#session = model.session({ call: callDefaults });
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
    return { kind: 'vad-stream', task: this.#model.id, timeMs: this.timeMs, ended: this.#ended };
  }

  /** Add samples (16 kHz mono); resolves with the events the new complete frames produced. */
  push(samples: Float32Array, options: CallOptions = {}): Promise<VadEvent[]> {
    try {
      if (!(samples instanceof Float32Array))
        throw new InvalidInputError('VAD stream chunks must be Float32Array samples at 16 kHz.', {
          model: this.#model.id,
          input: 'samples',
          expected: 'Float32Array',
          got: describeValue(samples),
        });
      if (this.#ended)
        throw new InvalidInputError('This VAD stream has ended; start a new one.', {
          model: this.#model.id,
          input: 'stream',
          expected: 'an open stream',
          got: 'ended',
        });
      checkFiniteSamples(samples, this.#model.id, 'samples');
      checkCallOptions(this.#model.id, options);
    } catch (error) {
      countRefusal(this.#model, error); // in the model's error counts, like its own validation
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
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
      this.#session.end();
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
    assertOpen(this.#model);
    throwIfAborted(options.signal, this.#model.id);
    // A rejected frame leaves the session's state as it was: the frame can be pushed again.
    const probability = await scoreOn(this.#session, frameInput(this.#context, frame), options);
    this.#context = frame.slice(frameSamples - contextSamples);
    this.#onProbability?.(probability, this.#frames * vadFrameMs);
    this.#frames += 1;
    return this.#segmenter.push(probability);
  }
}

/**
 * A loaded voice-activity detector.
 *
 * @example
 * const vad = await runtime.vad();
 * const { segments } = await vad.detect(file); // [{ startMs: 1024, endMs: 3872 }, …]
 */
export class VadTask extends ModelTask {
  // Not enumerable (ES private): `JSON.stringify(vad)` gives only its summary.
  readonly #options: SegmenterOptions;

  /** @internal use `runtime.vad()` */
  constructor(vad: VadModel) {
    super(vad.model, 'vad');
    this.#options = vad.segmenter;
  }

  /** Start a live stream with its own state; `call` sets defaults (priority, deadline) for its frames. */
  stream(options: VadStreamOptions = {}): VadStream {
    assertOpen(this.model);
    checkOptionsObject(options);
    const segmenter = { ...this.#options, ...options };
    checkSegmenterOptions(segmenter);
    checkCallOptions(this.model.id, options.call);
    if (options.onProbability !== undefined && typeof options.onProbability !== 'function')
      throw optionError('onProbability', 'a function', describeValue(options.onProbability));
    return new VadStream(this.model, segmenter, options.call ?? {}, options.onProbability);
  }

  /**
   * Find the speech in a whole clip (decoded and resampled to 16 kHz first). Its frames
   * run in order on one session; they share engine calls with live streams' frames.
   */
  async detect(audio: AudioInput, options: CallOptions & SegmenterOptions = {}): Promise<VadDetection> {
    assertOpen(this.model);
    let samples: Float32Array;
    try {
      checkCallOptions(this.model.id, options);
      checkSegmenterOptions({ ...this.#options, ...options });
      throwIfAborted(options.signal, this.model.id);
      samples = await toMono16k(audio, this.model.id);
      throwIfAborted(options.signal, this.model.id);
    } catch (error) {
      countRefusal(this.model, error); // in the model's error counts, like its own validation
      throw error;
    }
    // toMono16k refused an empty clip already.
    const { signal, priority, supersedeKey } = options;
    // A clip waits its turn frame by frame: no deadline unless one is asked for.
    const call: CallOptions = { signal, priority, supersedeKey, timeoutMs: options.timeoutMs ?? 0 };
    const session = this.model.session({ call });
    const count = Math.ceil(samples.length / frameSamples);
    const probabilities = new Float32Array(count);
    let context = new Float32Array(contextSamples);
    try {
      for (let i = 0; i < count; i += 1) {
        const frame = new Float32Array(frameSamples);
        frame.set(samples.subarray(i * frameSamples, Math.min(samples.length, (i + 1) * frameSamples)));
        probabilities[i] = await scoreOn(session, frameInput(context, frame), {});
        context = frame.slice(frameSamples - contextSamples);
      }
    } finally {
      session.end();
    }
    return {
      segments: segmentsOf(probabilities, vadFrameMs, { ...this.#options, ...options }),
      probabilities,
      frameMs: vadFrameMs,
      durationMs: (probabilities.length * frameSamples * 1000) / sampleRate,
    };
  }
}

/** Load the VAD task: Silero VAD v5 as a scheduled model with a sequence config. */
export async function loadVad(loader: TaskLoader, options: VadOptions = {}): Promise<VadTask> {
  // Before any model loads.
  checkOptionsObject(options);
  checkSegmenterOptions(options);
  checkName(options.name, 'name');
  const source = loader.resolveUrl(options.modelUrl ?? loader.modelUrl('silero_vad_v5.onnx'), 'modelUrl');
  const id = options.name ?? loader.nextTaskId('vad');
  const model = await loader.loadModel(sileroVadDescriptor(source, options, id), true);
  return new VadTask({ model, segmenter: options });
}
