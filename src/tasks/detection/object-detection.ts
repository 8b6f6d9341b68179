/**
 * Object detection (COCO, 80 classes) written only with inpage's public API: the model is
 * loaded with `runtime.load` and runs through its scheduler (queue, priorities, deadlines,
 * supersede, replicas, metrics under the model's id); the image is letterboxed and
 * normalised here on the main thread with an `OffscreenCanvas`, and the head's outputs are
 * decoded and de-duplicated (per-class NMS) in plain TypeScript.
 */
import {
  DisposedError,
  InferenceError,
  InvalidOptionsError,
  tensor,
  type Backend,
  type CallOptions,
  type Model,
  type ModelDescriptor,
  type Runtime,
  type TaskOptions,
} from '../../index';
import { cocoLabels } from './coco-labels';
import { drawLetterboxed, openImage, type DetectionImage } from './image-source';
import { letterbox, rgbaToPlanar, toSourceBox, type PixelBox } from './letterbox';
import { maxCandidates, nanodetFiles, nanodetInputSize, nanodetNormalization, nanodetPath } from './nanodet';
import { decodeHead, headLevels, type HeadLevel, type RawOutput } from './nanodet-head';
import { nonMaxSuppression } from './nms';

/** How many objects {@link ObjectDetectionTask.detect} reports, and how sure they must be. */
export interface DetectionSettings {
  /** Report objects scoring at least this, 0…1. @default 0.35 */
  readonly minScore?: number;
  /** Report at most this many objects, best first. @default 100 */
  readonly maxResults?: number;
  /** Drop a box overlapping a better one of the same class by more than this IoU, 0…1. @default 0.6 */
  readonly iouThreshold?: number;
}

/** Options of {@link loadObjectDetection}: where the model is, how it runs, and default detection settings. */
export interface ObjectDetectionOptions extends TaskOptions, DetectionSettings {
  /**
   * The model's `model.json` (a NanoDet v0.x export as a TF.js graph: input `[1, 3, S, S]`,
   * per level scores `[1, cells, classes]` and distances `[1, cells, 4 × bins]`). The default
   * file is checked against inpage's manifest (size, SHA-256); your own is not.
   * @default `runtime.modelUrl('nanodet/nanodet.json')`: under the runtime's model base, like the built-in tasks' files
   */
  readonly modelUrl?: string | URL;
  /** Class names by class id, for a model trained on other classes. @default the 80 COCO classes */
  readonly labels?: readonly string[];
  /** Largest accepted image in pixels; larger ones reject with `INVALID_INPUT` (an encoded file from its header, before decoding). @default 4096 × 4096 */
  readonly maxImagePixels?: number;
  /** The model's id in metrics and errors. @default `'nanodet'` (the file name) */
  readonly name?: string;
}

/** Options of one {@link ObjectDetectionTask.detect} call: scheduling, and the task's detection settings overridden. */
export interface DetectOptions extends CallOptions, DetectionSettings {}

/** One object found. */
export interface DetectedObject {
  /** The class name: `'person'`, `'boat'`, `'cell phone'` … */
  readonly label: string;
  /** The class id (index into the task's `labels`). */
  readonly classId: number;
  /** Confidence, 0…1. */
  readonly score: number;
  /** Where it is, in the source image's pixels (top-left corner and size). */
  readonly box: PixelBox;
}

/** Where a detect call's time went, ms. */
export interface DetectionTimings {
  /** Reading, letterboxing and normalising the image on the main thread. */
  readonly preprocessMs: number;
  /** From sending the request to its answer: queueing, the worker's share of the batch, transfers. */
  readonly roundTripMs: number;
  /** The engine call in the worker (included in `roundTripMs`). */
  readonly inferenceMs: number;
  /** Decoding boxes and NMS on the main thread. */
  readonly postprocessMs: number;
  /** The whole call. */
  readonly totalMs: number;
}

/** What {@link ObjectDetectionTask.detect} found. */
export interface ObjectDetectionResult {
  /** The objects, best first. */
  readonly objects: readonly DetectedObject[];
  /** The source image's size in pixels (the boxes' coordinate space). */
  readonly width: number;
  readonly height: number;
  readonly timings: DetectionTimings;
}

/** `INVALID_OPTIONS` unless `value` (when given) is a number in [min, max] (an integer if asked). */
function checkNumber(name: string, value: number | undefined, min: number, max: number, integer = false): void {
  if (value === undefined) return;
  const ok = typeof value === 'number' && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) {
    const expected = `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
    throw new InvalidOptionsError(`Expected \`${name}\` to be ${expected}, got ${String(value)}.`, { input: name, expected, got: String(value) });
  }
}

function checkSettings(settings: DetectionSettings): Required<DetectionSettings> {
  checkNumber('minScore', settings.minScore, 0, 1);
  checkNumber('iouThreshold', settings.iouThreshold, 0, 1);
  checkNumber('maxResults', settings.maxResults, 1, 10_000, true);
  return { minScore: settings.minScore ?? 0.35, maxResults: settings.maxResults ?? 100, iouThreshold: settings.iouThreshold ?? 0.6 };
}

/** The square input side the graph takes: `[1 | free, 3, S, S]` float32, else `INVALID_OPTIONS`. */
function inputSideOf(model: Model): { name: string; size: number } {
  const [input, ...others] = model.inputs;
  const shape = input?.shape ?? null;
  const described = model.inputs.map((i) => `${i.name} ${i.dtype}[${i.shape?.map(String).join(', ') ?? '?'}]`).join(', ');
  const fail = (): never => {
    throw new InvalidOptionsError(`Model "${model.id}" takes ${described}; object detection needs one float32 image input [1, 3, S, S] (a NanoDet export).`, {
      model: model.id,
      input: 'modelUrl',
      expected: 'float32[1, 3, S, S]',
      got: described,
    });
  };
  if (input === undefined || others.length > 0 || input.dtype !== 'float32') return fail();
  if (shape === null) return { name: input.name, size: nanodetInputSize };
  const [, channels, height, width] = shape;
  if (shape.length !== 4 || (typeof channels === 'number' && channels !== 3)) return fail();
  if (typeof height === 'number' && typeof width === 'number') return height === width && height > 0 ? { name: input.name, size: height } : fail();
  return { name: input.name, size: nanodetInputSize };
}

/**
 * A loaded object detector. Every `detect` call queues through the model's scheduler:
 * concurrent calls are served in priority order (batched where the graph allows; the
 * default NanoDet graph has a fixed batch of 1, so `replicas` is the way to run calls in
 * parallel).
 *
 * @example
 * const detector = await loadObjectDetection(runtime);
 * const { objects } = await detector.detect(document.querySelector('img')!);
 * // [{ label: 'person', classId: 0, score: 0.74, box: { x: 15, y: 15, width: 349, height: 493 } }]
 */
export class ObjectDetectionTask {
  /** The scheduled model behind the task (its id names it in metrics; `reconfigure` changes batching live). */
  readonly model: Model;
  /** Class names by class id. */
  readonly labels: readonly string[];
  /** The model's square input side, pixels. */
  readonly inputSize: number;
  readonly #inputName: string;
  readonly #defaults: Required<DetectionSettings>;
  readonly #maxImagePixels: number;
  #context: OffscreenCanvasRenderingContext2D | undefined;

  /** @internal use {@link loadObjectDetection} */
  constructor(model: Model, input: { name: string; size: number }, labels: readonly string[], defaults: Required<DetectionSettings>, maxImagePixels: number) {
    this.model = model;
    this.labels = labels;
    this.inputSize = input.size;
    this.#inputName = input.name;
    this.#defaults = defaults;
    this.#maxImagePixels = maxImagePixels;
  }

  /** The backend the model runs on. */
  get backend(): Backend {
    return this.model.backend;
  }

  /** Why the model runs on {@link ObjectDetectionTask.backend}: asked for, measured faster at load, or the only one that works. */
  get backendReason(): string {
    return this.model.backendReason;
  }

  /** True after {@link ObjectDetectionTask.dispose} (or the runtime's). */
  get disposed(): boolean {
    return this.model.disposed;
  }

  /**
   * Find objects in `image`. Bad images reject with `INVALID_INPUT` before anything is
   * queued; for a live camera pass `supersedeKey` so a frame still queued is replaced by the next.
   */
  async detect(image: DetectionImage, options: DetectOptions = {}): Promise<ObjectDetectionResult> {
    const started = performance.now();
    if (this.model.disposed) throw new DisposedError(`The object detector "${this.model.id}" was disposed; load it again.`, { model: this.model.id });
    const settings = checkSettings({ ...this.#defaults, ...definedOf(options) });
    const opened = await openImage(image, this.model.id, this.#maxImagePixels);
    const { width, height } = opened;
    const fit = letterbox(width, height, this.inputSize);
    let pixels: Float32Array<ArrayBuffer>;
    try {
      pixels = rgbaToPlanar(drawLetterboxed(this.#canvas(), opened, fit), this.inputSize, nanodetNormalization);
    } finally {
      opened.release();
    }
    const input = tensor('float32', [1, 3, this.inputSize, this.inputSize], pixels);
    const sent = performance.now();
    const { signal, priority, timeoutMs, supersedeKey } = options;
    const answer = await this.model.runDetailed({ [this.#inputName]: input }, { signal, priority, timeoutMs, supersedeKey });
    const answered = performance.now();
    const outputs: RawOutput[] = Object.entries(answer.outputs).map(([name, output]) => {
      if (output.dtype !== 'float32') throw this.#badOutputs(`output "${name}" is ${output.dtype}, expected float32`);
      return { name, dims: output.dims, data: output.data };
    });
    let levels: HeadLevel[];
    try {
      levels = headLevels(outputs, this.inputSize, this.labels.length);
    } catch (error) {
      throw this.#badOutputs(error instanceof Error ? error.message : String(error));
    }
    const candidates = decodeHead(levels, { minScore: settings.minScore, maxCandidates });
    const kept = nonMaxSuppression(candidates, { iouThreshold: settings.iouThreshold, maxResults: settings.maxResults });
    const objects: DetectedObject[] = [];
    for (const found of kept) {
      const box = toSourceBox(found, fit, width, height);
      if (box.width <= 0 || box.height <= 0) continue;
      objects.push({ label: this.labels[found.classId] ?? String(found.classId), classId: found.classId, score: found.score, box });
    }
    const finished = performance.now();
    const timings: DetectionTimings = {
      preprocessMs: sent - started,
      roundTripMs: answer.roundTripMs,
      inferenceMs: answer.timings.inferenceMs,
      postprocessMs: finished - answered,
      totalMs: finished - started,
    };
    return { objects, width, height, timings };
  }

  /** Free the model. Queued calls reject with `DISPOSED`; later calls too. */
  async dispose(): Promise<void> {
    await this.model.dispose();
    this.#context = undefined;
  }

  /** A plain summary for logs and `JSON.stringify`. */
  toJSON(): {
    readonly task: 'object-detection';
    readonly model: string;
    readonly backend: Backend;
    readonly inputSize: number;
    readonly classes: number;
    readonly disposed: boolean;
  } {
    return {
      task: 'object-detection',
      model: this.model.id,
      backend: this.backend,
      inputSize: this.inputSize,
      classes: this.labels.length,
      disposed: this.disposed,
    };
  }

  #canvas(): OffscreenCanvasRenderingContext2D {
    if (this.#context !== undefined) return this.#context;
    const context = new OffscreenCanvas(this.inputSize, this.inputSize).getContext('2d', { willReadFrequently: true });
    if (context === null) throw new Error('OffscreenCanvas has no 2d context here');
    this.#context = context;
    return context;
  }

  #badOutputs(detail: string): InferenceError {
    return new InferenceError(`Model "${this.model.id}" answered outputs that are not a NanoDet head: ${detail}.`, { model: this.model.id, detail });
  }
}

/** The detection settings given in `options` (undefined ones left out, so they do not hide the task's defaults). */
function definedOf(options: DetectionSettings): DetectionSettings {
  const { minScore, maxResults, iouThreshold } = options;
  return {
    ...(minScore === undefined ? {} : { minScore }),
    ...(maxResults === undefined ? {} : { maxResults }),
    ...(iouThreshold === undefined ? {} : { iouThreshold }),
  };
}

/**
 * Load the object detector (NanoDet-g 416 on COCO by default) into a worker, scheduled as an
 * image model.
 *
 * @example
 * import { createRuntime, loadObjectDetection } from 'inpage';
 * const detector = await loadObjectDetection(createRuntime(), { backend: 'auto' });
 * const { objects } = await detector.detect(await createImageBitmap(file));
 */
export async function loadObjectDetection(runtime: Runtime, options: ObjectDetectionOptions = {}): Promise<ObjectDetectionTask> {
  const defaults = checkSettings(options);
  checkNumber('maxImagePixels', options.maxImagePixels, 1, Number.MAX_SAFE_INTEGER, true);
  const labels = labelsOf(options.labels);
  const ownModel = options.modelUrl !== undefined;
  const descriptor: ModelDescriptor = {
    format: 'tfjs-graph',
    source: options.modelUrl ?? runtime.modelUrl(nanodetPath),
    backend: options.backend ?? 'auto',
    modality: 'image',
    ...(options.name === undefined ? {} : { id: options.name }),
    ...(options.worker === undefined ? {} : { worker: options.worker }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.batching === undefined ? {} : { batching: options.batching }),
    ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
    // The default files must be the ones inpage was tested with: a stale copy fails loudly.
    ...(ownModel ? {} : { sha256: mapOf(nanodetFiles, (file) => file.sha256), expectedBytes: mapOf(nanodetFiles, (file) => file.bytes) }),
  };
  const model = await runtime.load(descriptor);
  try {
    return new ObjectDetectionTask(model, inputSideOf(model), labels, defaults, options.maxImagePixels ?? 4096 * 4096);
  } catch (error) {
    await model.dispose();
    throw error;
  }
}

/** The class names: the COCO list by default, else a non-empty array of strings (`INVALID_OPTIONS` otherwise). */
function labelsOf(given: unknown): readonly string[] {
  if (given === undefined) return cocoLabels;
  if (Array.isArray(given) && given.length > 0 && given.every((label): label is string => typeof label === 'string')) return given;
  throw new InvalidOptionsError('`labels` must be a non-empty array of class names.', {
    input: 'labels',
    expected: 'string[]',
    got: Array.isArray(given) ? `[${given.map((label) => typeof label).join(', ')}]` : typeof given,
  });
}

function mapOf<T, U>(record: Readonly<Record<string, T>>, fn: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));
}
