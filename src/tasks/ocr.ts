/**
 * OCR (PP-OCRv4, ONNX): text lines of an image, each with its text, confidence, box
 * (four corners in image pixels) and orientation, in reading order. Detection,
 * orientation and recognition run in a worker, where all boxes of an image are batched:
 * an image costs three engine calls. Images go through the scheduler one per call
 * (priorities, deadlines and superseding apply).
 */
import { transfer } from 'comlink';
import { InvalidOptionsError } from '../errors';
import type { OcrResult, OcrTaskSpec, StageTimings, TaskResult } from '../protocol';
import { prepareImage, type ImageInput, type PreparedImage } from './image-input';
import { assertUsable, type CallOptions, type LoadedTask, type TaskLoader, type TaskOptions } from './loaded-task';
import { firstReplica, fixedBatchOfOne, ReplicatedTask } from './replicated-task';
import type { TaskQueue } from './task-queue';
import { resolveReplicas } from '../scheduler/replicas';
import { checkCallOptions } from '../scheduler/call-options';
import { checkName, checkOptionsObject } from '../model-descriptor';

/** Options for {@link Runtime.ocr}. */
export interface OcrOptions extends TaskOptions {
  /** Largest accepted image in pixels; larger inputs reject with `INVALID_INPUT` (an encoded file from its header, before decoding). @default 4096 × 4096 */
  readonly maxImagePixels?: number;
  /**
   * The detector sees the image scaled down so its longer side is at most this many
   * pixels (never scaled up). Larger finds smaller text and costs more. @default 960
   */
  readonly maxSideLength?: number;
  /** Mean text probability a detected box needs to be read, 0…1. @default 0.6 */
  readonly boxThreshold?: number;
  /** How far boxes grow around the detector's (shrunk) text regions; too small clips letters and spaces. @default 2 */
  readonly unclipRatio?: number;
  /** Lines read with a lower confidence are left out, 0…1. @default 0.5 */
  readonly minConfidence?: number;
  /** Detection model. @default `${modelBaseUrl}ocr/ch_PP-OCRv4_det_infer.onnx` */
  readonly detUrl?: string;
  /** Orientation classifier. @default `${modelBaseUrl}ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx` */
  readonly clsUrl?: string;
  /** Recognition model. @default `${modelBaseUrl}ocr/ch_PP-OCRv4_rec_infer.onnx` */
  readonly recUrl?: string;
  /** The recogniser's character list, one per line. @default `${modelBaseUrl}ocr/ppocr_keys_v1.txt` */
  readonly keysUrl?: string;
  /** Name in metrics. @default the task id (`ocr-1` …) */
  readonly name?: string;
}

/** An OCR result with where its time went. */
export interface DetailedOcrResult {
  readonly result: OcrResult;
  /** Stage timings measured in the worker; `engineCalls` is 3 for an image with text (detect, orient, read). */
  readonly timings: StageTimings;
  /** Main-thread wall time from the call to the answer (including time queued), ms. */
  readonly roundTripMs: number;
}

/**
 * A loaded OCR pipeline.
 *
 * @example
 * const ocr = await runtime.ocr();
 * const { lines } = await ocr.read(await canvas.convertToBlob()); // 512×160, three lines in 32px Arial
 * // [{ text: 'The quick brown fox', confidence: 0.999, angle: 0,
 * //    box: [{ x: 16.1, y: 12.1 }, { x: 304.9, y: 12.1 }, { x: 304.9, y: 49.9 }, { x: 16.1, y: 49.9 }] },
 * //  { text: 'jumps over the lazy dog', confidence: 0.989, … }, { text: 'Inference in the page 2026', … }]
 */
export class OcrTask extends ReplicatedTask<PreparedImage, TaskResult<OcrResult>> {
  // Not enumerable (ES private): `JSON.stringify(task)` must not walk the runtime.
  readonly #loader: TaskLoader;
  readonly #maxImagePixels: number;

  /** @internal use `runtime.ocr()` */
  constructor(replicas: readonly LoadedTask[], queue: TaskQueue<PreparedImage, TaskResult<OcrResult>>, loader: TaskLoader, maxImagePixels: number) {
    super(replicas, queue);
    this.#loader = loader;
    this.#maxImagePixels = maxImagePixels;
  }

  /**
   * Read the text lines of an image, in reading order (rows top to bottom, each row left
   * to right). Undecodable images and images over `maxImagePixels` reject with
   * `INVALID_INPUT` before any model runs.
   *
   * @example
   * const { lines } = await ocr.read(await canvas.convertToBlob());
   * lines.map((line) => line.text); // ['The quick brown fox', 'jumps over the lazy dog', 'Inference in the page 2026']
   */
  async read(image: ImageInput, options: CallOptions = {}): Promise<OcrResult> {
    return (await this.readDetailed(image, options)).result;
  }

  /**
   * Like {@link OcrTask.read}, with the worker's stage timings and engine call count.
   *
   * @example
   * const { result, timings } = await ocr.readDetailed(blob);
   * timings.engineCalls; // 3: detection, orientation, recognition (every box in one batch)
   */
  async readDetailed(image: ImageInput, options: CallOptions = {}): Promise<DetailedOcrResult> {
    assertUsable(this.task);
    // Before the image is prepared: a refused call leaves the caller's bitmap open.
    checkCallOptions(this.name, options);
    const started = performance.now();
    const prepared = await prepareImage(image, this.name, (url) => this.#loader.resolveUrl(url), this.#maxImagePixels);
    let answer: TaskResult<OcrResult>;
    try {
      answer = await this.queue.run(prepared, options);
    } finally {
      prepared.release();
    }
    return { result: answer.value, timings: answer.timings, roundTripMs: performance.now() - started };
  }
}

/** Throw `INVALID_OPTIONS` unless `value` is a number in `[min, max]` (`min` excluded when `exclusiveMin`). */
function checkRange(name: string, value: number, min: number, max: number, exclusiveMin = false): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max;
  if (!ok) {
    const expected = `a number ${exclusiveMin ? '>' : '≥'} ${min}${Number.isFinite(max) ? ` and ≤ ${max}` : ''}`;
    throw new InvalidOptionsError(`Expected \`${name}\` to be ${expected}, got ${String(value)}.`, { input: name, expected, got: String(value) });
  }
  return value;
}

/**
 * Load the OCR task: the character list and the three models, all on one backend.
 *
 * @example
 * const ocr = await loadOcr(runtime, { backend: 'wasm', maxImagePixels: 2048 * 2048 });
 */
export async function loadOcr(loader: TaskLoader, options: OcrOptions = {}): Promise<OcrTask> {
  checkOptionsObject(options);
  checkName(options.name, 'name');
  const backend = options.backend ?? 'auto';
  const spec: Omit<OcrTaskSpec, 'taskId'> = {
    kind: 'ocr',
    backend,
    detUrl: loader.resolveUrl(options.detUrl ?? loader.modelUrl('ocr/ch_PP-OCRv4_det_infer.onnx'), 'detUrl'),
    clsUrl: loader.resolveUrl(options.clsUrl ?? loader.modelUrl('ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx'), 'clsUrl'),
    recUrl: loader.resolveUrl(options.recUrl ?? loader.modelUrl('ocr/ch_PP-OCRv4_rec_infer.onnx'), 'recUrl'),
    keysUrl: loader.resolveUrl(options.keysUrl ?? loader.modelUrl('ocr/ppocr_keys_v1.txt'), 'keysUrl'),
    maxImagePixels: checkRange('maxImagePixels', options.maxImagePixels ?? 4096 * 4096, 0, Number.POSITIVE_INFINITY, true),
    maxSideLength: Math.round(checkRange('maxSideLength', options.maxSideLength ?? 960, 32, Number.POSITIVE_INFINITY)),
    boxThreshold: checkRange('boxThreshold', options.boxThreshold ?? 0.6, 0, 1),
    unclipRatio: checkRange('unclipRatio', options.unclipRatio ?? 2, 0, Number.POSITIVE_INFINITY),
    minConfidence: checkRange('minConfidence', options.minConfidence ?? 0.5, 0, 1),
  };
  const replicaPlan = resolveReplicas(options.replicas);
  const replicas = await loader.loadReplicas(spec, options.worker ?? `image-onnx:${backend}`, replicaPlan.count, options.onProgress);
  const first = firstReplica(replicas);
  const queue = loader.createQueue<PreparedImage, TaskResult<OcrResult>>(
    options.name ?? first.info.taskId,
    'image',
    first.info.backend,
    options,
    replicaPlan,
    async (payloads, replica, { priority }) => {
      const task = replicas[replica] ?? first;
      const results: TaskResult<TaskResult<OcrResult>>[] = [];
      for (const image of payloads) {
        const answer = await task.call(async (api) => {
          const { source, transfer: transferables } = await image.sendable();
          return api.ocr(task.info.taskId, transfer(source, transferables), priority);
        });
        results.push({ value: answer, timings: answer.timings });
      }
      return results;
    },
    // One image per worker call: the batching that pays happens inside it, across the image's boxes.
    fixedBatchOfOne,
  );
  for (const replica of replicas) replica.reportAs(queue.name);
  return new OcrTask(replicas, queue, loader, spec.maxImagePixels);
}
