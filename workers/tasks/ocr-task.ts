/**
 * OCR (PP-OCRv4, ONNX): detection finds text boxes, the orientation classifier says
 * which are upside down, recognition reads them. All boxes of an image go through the
 * classifier in one batched call and through the recogniser in one batched call (up to
 * {@link maxCropsPerCall} boxes per call), so an image costs three engine calls.
 */
import { InferenceError, ModelLoadError } from '../../src/errors';
import type { ImageSource, ModelInfo, OcrLine, OcrResult, OcrTaskSpec, Priority, RunResult, TaskInfo, TaskResult } from '../../src/protocol';
import { fetchCheckedText } from '../../src/cache/response-check';
import { tensor } from '../../src/tensor';
import { StageClock, taskBackend, type TaskContext, type WorkerTask } from './context';
import { decodeImage, drawToPixels } from './image';
import { ctcAlphabet, ctcDecodeBatch, type DecodedText } from './ocr-ctc';
import { boxesFromProbabilityMap, defaultDbOptions } from './ocr-detect';
import { inReadingOrder, orderedForPage, quadSize, scaleQuad, type Quad } from './ocr-geometry';
import { batchWidth, cropTensor, cropWidth, detLayout, detTensor, drawCrops, rotateQuad, uprightQuad } from './ocr-input';

/** Height of the crops both the classifier and the recogniser read. */
export const cropHeight = 48;
/** The orientation classifier's fixed input width. */
export const classifierWidth = 192;
/** Recognition batches are at least this wide (PaddleOCR's 320 for a 48-pixel height)… */
export const minRecognitionWidth = 320;
/** …and at most this wide; longer lines are squeezed to fit. */
export const maxRecognitionWidth = 960;
/** Crops per classifier or recogniser call; more boxes than this take more (batched) calls. */
export const maxCropsPerCall = 32;
/** A crop counts as upside down when the classifier's "180°" probability exceeds this. */
export const rotatedThreshold = 0.9;
/** Boxes narrower or shorter than this in image pixels are dropped (PaddleOCR's `filter_tag_det_res`). */
const minBoxSide = 3;

interface OcrModels {
  readonly det: string;
  readonly cls: string;
  readonly rec: string;
}

/** The worker side of the OCR task. */
/** The side of the square image `'auto'` times the detector on. */
const probeSide = 640;

export class OcrWorkerTask implements WorkerTask {
  readonly kind = 'ocr';

  private constructor(
    readonly info: TaskInfo,
    private readonly spec: OcrTaskSpec,
    private readonly context: TaskContext,
    private readonly models: OcrModels,
    private readonly alphabet: readonly string[],
  ) {}

  /** Fetch the character list and load the three models, all on the backend detection resolves to. */
  static async create(spec: OcrTaskSpec, context: TaskContext): Promise<OcrWorkerTask> {
    const started = performance.now();
    const models: OcrModels = { det: `${spec.taskId}/det`, cls: `${spec.taskId}/cls`, rec: `${spec.taskId}/rec` };
    const alphabet = await fetchAlphabet(spec, context);
    const loaded: ModelInfo[] = [];
    try {
      const det = await context.loadModel({
        modelId: models.det,
        format: 'onnx',
        source: { kind: 'url', url: spec.detUrl },
        backend: spec.backend,
        shapes: { x: [1, 3, 'height', 'width'] },
        // 'auto' times the detector on a page-sized image, where the choice matters.
        probe: { batchSizes: [1], dims: { height: probeSide, width: probeSide } },
      });
      loaded.push(det);
      // 'auto' is resolved once, by the detector; the other two follow it.
      const cls = await context.loadModel({
        modelId: models.cls,
        format: 'onnx',
        source: { kind: 'url', url: spec.clsUrl },
        backend: det.backend,
        shapes: { x: ['crops', 3, cropHeight, classifierWidth] },
      });
      loaded.push(cls);
      const rec = await context.loadModel({
        modelId: models.rec,
        format: 'onnx',
        source: { kind: 'url', url: spec.recUrl },
        backend: det.backend,
        shapes: { x: ['crops', 3, cropHeight, 'width'] },
      });
      loaded.push(rec);
      const classes = rec.outputs[0]?.shape?.[2];
      if (typeof classes === 'number' && classes !== alphabet.length) {
        throw new ModelLoadError(
          `The recognition model has ${classes} classes, but ${spec.keysUrl} gives ${alphabet.length} (blank + ${alphabet.length - 2} keys + space). Pass the keys file that belongs to the model.`,
          { model: models.rec, expected: `${alphabet.length} classes`, got: `${classes} classes` },
        );
      }
    } catch (error) {
      await Promise.all(loaded.map((model) => context.releaseModel(model.modelId)));
      throw error;
    }
    const info: TaskInfo = {
      taskId: spec.taskId,
      kind: 'ocr',
      backend: taskBackend(loaded),
      models: loaded,
      loadMs: performance.now() - started,
      facts: { classes: alphabet.length, maxSideLength: spec.maxSideLength, cropHeight, maxRecognitionWidth, maxCropsPerCall },
    };
    return new OcrWorkerTask(info, spec, context, models, alphabet);
  }

  /** Read every line of text in `image`, in reading order. */
  async read(image: ImageSource, priority?: Priority): Promise<TaskResult<OcrResult>> {
    const clock = new StageClock();
    const bitmap = await clock.pre(() => decodeImage(image, this.spec.maxImagePixels, this.info.taskId));
    try {
      const { width, height } = bitmap;
      const boxes = await this.detect(bitmap, clock, priority);
      if (boxes.length === 0) return { value: { lines: [], width, height }, timings: clock.timings() };
      const upright = boxes.map(uprightQuad);
      const rotated = await this.classify(bitmap, upright, clock, priority);
      const decoded = await this.recognise(
        bitmap,
        upright.map((quad, i) => (rotated[i] === true ? rotateQuad(quad, 2) : quad)),
        clock,
        priority,
      );
      const lines = await clock.post(() => {
        const read: OcrLine[] = [];
        boxes.forEach((box, i) => {
          const { text, confidence } = decoded[i] ?? { text: '', confidence: 0 };
          const trimmed = text.trim();
          if (trimmed === '' || confidence < this.spec.minConfidence) return;
          read.push({ text: trimmed, confidence, box, angle: rotated[i] === true ? 180 : 0 });
        });
        return orderedForPage(read);
      });
      return { value: { lines, width, height }, timings: clock.timings() };
    } finally {
      bitmap.close();
    }
  }

  /** Text boxes in image pixels, in reading order. */
  private async detect(bitmap: ImageBitmap, clock: StageClock, priority?: Priority): Promise<Quad[]> {
    const layout = detLayout(bitmap.width, bitmap.height, this.spec.maxSideLength);
    const input = await clock.pre(() => detTensor(drawToPixels(bitmap, layout.contentWidth, layout.contentHeight), layout));
    const result = await clock.infer(() =>
      this.context.runModel(this.models.det, { x: tensor('float32', [1, 3, layout.inputHeight, layout.inputWidth], input) }, priority),
    );
    return clock.post(() => {
      const map = Object.values(result.outputs)[0];
      if (map?.dtype !== 'float32' || map.data.length !== layout.inputWidth * layout.inputHeight)
        throw new InferenceError(`The detection model returned ${describe(map)}, expected a [1, 1, ${layout.inputHeight}, ${layout.inputWidth}] float32 map.`, {
          model: this.models.det,
        });
      const found = boxesFromProbabilityMap(
        { data: map.data, stride: layout.inputWidth, width: layout.contentWidth, height: layout.contentHeight },
        { ...defaultDbOptions, boxThreshold: this.spec.boxThreshold, unclipRatio: this.spec.unclipRatio },
      );
      const scaleX = bitmap.width / layout.contentWidth;
      const scaleY = bitmap.height / layout.contentHeight;
      const boxes = found
        .map(({ box }) => ({ box: scaleQuad(box, scaleX, scaleY, bitmap.width, bitmap.height) }))
        .filter(({ box }) => {
          const size = quadSize(box);
          return size.width > minBoxSide && size.height > minBoxSide;
        });
      return inReadingOrder(boxes).map(({ box }) => box);
    });
  }

  /** Draw `quads` as one `[n, 3, 48, tensorWidth]` batch and run `modelId` on it: one engine call. */
  private async runCrops(
    bitmap: ImageBitmap,
    quads: readonly Quad[],
    widths: readonly number[],
    tensorWidth: number,
    modelId: string,
    clock: StageClock,
    priority?: Priority,
  ): Promise<RunResult> {
    const input = await clock.pre(() => cropTensor(drawCrops(bitmap, quads, widths, cropHeight, tensorWidth), widths, cropHeight, tensorWidth));
    return clock.infer(() => this.context.runModel(modelId, { x: tensor('float32', [quads.length, 3, cropHeight, tensorWidth], input) }, priority));
  }

  /** For each crop: is it upside down? One classifier call per {@link maxCropsPerCall} crops. */
  private async classify(bitmap: ImageBitmap, quads: readonly Quad[], clock: StageClock, priority?: Priority): Promise<boolean[]> {
    const rotated: boolean[] = [];
    for (const chunk of chunks(quads.map((quad, index) => ({ quad, index })))) {
      const widths = chunk.map(({ quad }) => cropWidth(quad, cropHeight, classifierWidth));
      const result = await this.runCrops(
        bitmap,
        chunk.map(({ quad }) => quad),
        widths,
        classifierWidth,
        this.models.cls,
        clock,
        priority,
      );
      await clock.post(() => {
        const scores = Object.values(result.outputs)[0];
        if (scores?.dtype !== 'float32' || scores.data.length !== chunk.length * 2)
          throw new InferenceError(`The orientation model returned ${describe(scores)}, expected [${chunk.length}, 2] float32 scores.`, {
            model: this.models.cls,
          });
        chunk.forEach(({ index }, i) => {
          rotated[index] = (scores.data[i * 2 + 1] ?? 0) > rotatedThreshold;
        });
      });
    }
    return rotated;
  }

  /** Read each crop. Crops are grouped by width so each batch pads little; results come back in input order. */
  private async recognise(bitmap: ImageBitmap, quads: readonly Quad[], clock: StageClock, priority?: Priority): Promise<DecodedText[]> {
    const decoded: DecodedText[] = [];
    const entries = quads.map((quad, index) => ({ quad, index, width: cropWidth(quad, cropHeight, maxRecognitionWidth) }));
    entries.sort((a, b) => a.width - b.width);
    for (const chunk of chunks(entries)) {
      const widths = chunk.map(({ width }) => width);
      const tensorWidth = batchWidth(widths, minRecognitionWidth, maxRecognitionWidth);
      const result = await this.runCrops(
        bitmap,
        chunk.map(({ quad }) => quad),
        widths,
        tensorWidth,
        this.models.rec,
        clock,
        priority,
      );
      await clock.post(() => {
        const scores = Object.values(result.outputs)[0];
        if (scores?.dtype !== 'float32' || scores.dims.length !== 3 || scores.dims[0] !== chunk.length || scores.dims[2] !== this.alphabet.length)
          throw new InferenceError(
            `The recognition model returned ${describe(scores)}, expected [${chunk.length}, steps, ${this.alphabet.length}] float32 scores.`,
            { model: this.models.rec },
          );
        ctcDecodeBatch(scores.data, scores.dims, this.alphabet).forEach((text, i) => {
          const entry = chunk[i];
          if (entry !== undefined) decoded[entry.index] = text;
        });
      });
    }
    return decoded;
  }

  async release(): Promise<void> {
    await Promise.all([this.models.det, this.models.cls, this.models.rec].map((modelId) => this.context.releaseModel(modelId)));
  }
}

async function fetchAlphabet(spec: OcrTaskSpec, context: TaskContext): Promise<string[]> {
  // Checked like a model file: a non-OK status or an HTML page (an SPA fallback) is a clear error; the default file's size and hash.
  const text = await fetchCheckedText({
    model: `${spec.taskId}/rec`,
    url: spec.keysUrl,
    what: 'the OCR character list',
    input: 'keysUrl',
    ...context.expect(spec.keysUrl),
  });
  return ctcAlphabet(text);
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += maxCropsPerCall) out.push(items.slice(i, i + maxCropsPerCall));
  return out;
}

function describe(value: { readonly dtype: string; readonly dims: readonly number[] } | undefined): string {
  return value === undefined ? 'no output' : `${value.dtype} [${value.dims.join(', ')}]`;
}
