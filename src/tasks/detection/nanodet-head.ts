/**
 * Decoding NanoDet's head (v0.x: GFL head, `legacy` layout), pure functions.
 *
 * The graph answers, per feature level (strides 8, 16, 32 for a 416 input: grids of 52², 26²
 * and 13² cells), two tensors: class scores `[1, cells, classes]` (after the sigmoid) and box
 * distance distributions `[1, cells, 4 × bins]` (logits; `bins` = reg_max + 1). A cell's
 * centre is `((col + 0.5) × stride, (row + 0.5) × stride)`; each side's distance is the
 * expectation of its softmax over `0 … bins-1`, times the stride (Generalized Focal Loss's
 * "integral"); the box is `centre − left/top … centre + right/bottom`, in model-input pixels.
 */
import type { Corners } from './letterbox';

/** A raw output tensor: its dims and values. */
export interface RawOutput {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** One feature level of the head. */
export interface HeadLevel {
  readonly stride: number;
  /** Grid size in cells (square inputs: `gridWidth === gridHeight`). */
  readonly gridWidth: number;
  readonly gridHeight: number;
  readonly classes: number;
  /** Distance bins per side (reg_max + 1). */
  readonly bins: number;
  /** `[cells × classes]` scores in 0…1, cells row-major over the grid. */
  readonly scores: Float32Array;
  /** `[cells × 4 × bins]` logits: left, top, right, bottom. */
  readonly distances: Float32Array;
}

/** A scored box of one class, in model-input pixels. */
export interface ClassBox extends Corners {
  readonly classId: number;
  readonly score: number;
}

/** Options of {@link decodeHead}. */
export interface DecodeOptions {
  /** Keep (cell, class) pairs scoring at least this. */
  readonly minScore: number;
  /** Keep at most this many candidates, best first (mmdetection's `nms_pre`), so NMS stays cheap. */
  readonly maxCandidates: number;
}

/**
 * Pair the head's outputs by level: for each cell count, the tensor whose last dimension
 * is `classes` holds scores, the other (a multiple of 4) distances. The stride follows
 * from the grid: `inputSize / √cells`. Throws an `Error` naming what does not fit.
 */
export function headLevels(outputs: readonly RawOutput[], inputSize: number, classes: number): HeadLevel[] {
  const byCells = new Map<number, RawOutput[]>();
  for (const output of outputs) {
    const [batch, cells, channels] = output.dims;
    if (output.dims.length !== 3 || batch !== 1 || cells === undefined || channels === undefined || output.data.length !== cells * channels)
      throw new Error(`output "${output.name}" has dims [${output.dims.join(', ')}]; expected [1, cells, channels]`);
    byCells.set(cells, [...(byCells.get(cells) ?? []), output]);
  }
  const levels: HeadLevel[] = [];
  for (const [cells, pair] of byCells) {
    const scores = pair.find((o) => o.dims[2] === classes);
    const distances = pair.find((o) => o !== scores);
    const side = Math.round(Math.sqrt(cells));
    const bins = (distances?.dims[2] ?? 0) / 4;
    if (pair.length !== 2 || scores === undefined || distances === undefined || !Number.isInteger(bins) || bins < 2)
      throw new Error(
        `the ${cells}-cell level has outputs ${pair.map((o) => `"${o.name}" [${o.dims.join(', ')}]`).join(' and ')}; expected one [1, ${cells}, ${classes}] (scores) and one [1, ${cells}, 4 × bins] (box distances)`,
      );
    if (side * side !== cells || inputSize % side !== 0)
      throw new Error(`a level of ${cells} cells is not a square grid dividing the ${inputSize}-pixel input`);
    levels.push({ stride: inputSize / side, gridWidth: side, gridHeight: side, classes, bins, scores: scores.data, distances: distances.data });
  }
  if (levels.length === 0) throw new Error('the model gave no outputs');
  return levels.sort((a, b) => a.stride - b.stride);
}

/** The expectation of `softmax(logits[offset … offset + bins))` over `0 … bins-1`. */
export function integral(logits: Float32Array, offset: number, bins: number): number {
  let max = -Infinity;
  for (let j = 0; j < bins; j += 1) max = Math.max(max, logits[offset + j] ?? -Infinity);
  let sum = 0;
  let weighted = 0;
  for (let j = 0; j < bins; j += 1) {
    const e = Math.exp((logits[offset + j] ?? -Infinity) - max);
    sum += e;
    weighted += e * j;
  }
  return sum > 0 ? weighted / sum : 0;
}

/** Every (cell, class) pair scoring at least `minScore`, as a box in model-input pixels; best first, at most `maxCandidates`. */
export function decodeHead(levels: readonly HeadLevel[], options: DecodeOptions): ClassBox[] {
  const found: ClassBox[] = [];
  for (const level of levels) {
    const { stride, gridWidth, gridHeight, classes, bins, scores, distances } = level;
    for (let cell = 0; cell < gridWidth * gridHeight; cell += 1) {
      let box: Corners | undefined;
      for (let classId = 0; classId < classes; classId += 1) {
        const score = scores[cell * classes + classId] ?? 0;
        if (!(score >= options.minScore)) continue;
        if (box === undefined) {
          const cx = ((cell % gridWidth) + 0.5) * stride;
          const cy = (Math.floor(cell / gridWidth) + 0.5) * stride;
          const at = cell * 4 * bins;
          box = {
            x1: cx - integral(distances, at, bins) * stride,
            y1: cy - integral(distances, at + bins, bins) * stride,
            x2: cx + integral(distances, at + 2 * bins, bins) * stride,
            y2: cy + integral(distances, at + 3 * bins, bins) * stride,
          };
        }
        found.push({ ...box, classId, score });
      }
    }
  }
  found.sort((a, b) => b.score - a.score);
  return found.length > options.maxCandidates ? found.slice(0, options.maxCandidates) : found;
}
