/**
 * DB (Differentiable Binarization) post-processing for PP-OCR detection: threshold the
 * text probability map, find connected regions, fit a minimum-area rectangle to each,
 * score it, and grow it by the "unclip" distance (DB's maps shrink text regions).
 *
 * A pure function of the map, following PaddleOCR's `DBPostProcess` (fast box score,
 * no dilation). PaddleOCR traces OpenCV contours through pixel centres; so does this,
 * with 8-connected regions and their convex hull standing in for the contours.
 */
import { convexHull, expandRect, insideQuad, minAreaRect, rectCorners, type Quad } from './ocr-geometry';
import type { Point } from '../../src/protocol';

/** Tuning of the DB post-processing. */
export interface DbOptions {
  /** A pixel is text when its probability exceeds this. @default 0.3 */
  readonly threshold: number;
  /** A box is kept when the mean probability inside it reaches this. @default 0.6 */
  readonly boxThreshold: number;
  /** Growth: each side moves out by `area × unclipRatio / perimeter`. @default 1.5 */
  readonly unclipRatio: number;
  /** Boxes with a side shorter than this (map pixels) are dropped; after growth, shorter than this + 2. @default 3 */
  readonly minSize: number;
  /** At most this many regions are considered. @default 1000 */
  readonly maxCandidates: number;
}

/** PaddleOCR's defaults (`det_db_*`), with its usual unclip ratio. */
export const defaultDbOptions: DbOptions = { threshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, minSize: 3, maxCandidates: 1000 };

/** A row-major probability map, of which the top-left `width` × `height` are looked at. */
export interface ProbabilityMap {
  readonly data: Float32Array;
  /** Row length of `data`. */
  readonly stride: number;
  readonly width: number;
  readonly height: number;
}

/** One detected text region, in map coordinates. */
export interface DetectedBox {
  readonly box: Quad;
  /** Mean probability inside the region's rectangle before growth. */
  readonly score: number;
}

/**
 * Text boxes found in a DB probability map, in map coordinates (pixel `i` spans `[i, i + 1)`).
 *
 * @example
 * boxesFromProbabilityMap({ data, stride: 640, width: 640, height: 200 });
 * // [{ box: [{ x: 20.1, y: 21.5 }, …], score: 0.93 }, …]
 */
export function boxesFromProbabilityMap(map: ProbabilityMap, options: DbOptions = defaultDbOptions): DetectedBox[] {
  const boxes: DetectedBox[] = [];
  for (const hullPoints of regionOutlines(map, options.threshold, options.maxCandidates)) {
    const rect = minAreaRect(convexHull(hullPoints));
    if (Math.min(rect.width, rect.height) < options.minSize) continue;
    const corners = rectCorners(rect);
    const score = meanInside(map, corners);
    if (score < options.boxThreshold) continue;
    const area = rect.width * rect.height;
    const perimeter = 2 * (rect.width + rect.height);
    const grown = expandRect(rect, (area * options.unclipRatio) / perimeter);
    if (Math.min(grown.width, grown.height) < options.minSize + 2) continue;
    boxes.push({ box: rectCorners(grown), score });
  }
  return boxes;
}

/**
 * For each 8-connected region of pixels above `threshold`: the centres of its leftmost
 * and rightmost pixel on every row (enough for the convex hull).
 */
function regionOutlines(map: ProbabilityMap, threshold: number, maxRegions: number): Point[][] {
  const { data, stride, width, height } = map;
  const visited = new Uint8Array(width * height);
  // Every pixel is queued at most once overall, so one queue holds all regions back to back.
  const queue = new Int32Array(width * height);
  const regions: Point[][] = [];
  const on = (x: number, y: number): boolean => (data[y * stride + x] ?? 0) > threshold;
  let tail = 0;
  for (let start = 0; start < width * height && regions.length < maxRegions; start += 1) {
    if (visited[start] === 1 || !on(start % width, Math.floor(start / width))) continue;
    const head = tail;
    let read = tail;
    queue[tail++] = start;
    visited[start] = 1;
    while (read < tail) {
      const index = queue[read++] ?? 0;
      const x = index % width;
      const y = (index - x) / width;
      for (let dy = -1; dy <= 1; dy += 1) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx += 1) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const neighbour = ny * width + nx;
          if (visited[neighbour] === 1 || !on(nx, ny)) continue;
          visited[neighbour] = 1;
          queue[tail++] = neighbour;
        }
      }
    }
    regions.push(rowExtremes(queue.subarray(head, tail), width));
  }
  return regions;
}

function rowExtremes(pixels: Int32Array, width: number): Point[] {
  const extremes = new Map<number, { min: number; max: number }>();
  for (const index of pixels) {
    const x = index % width;
    const y = (index - x) / width;
    const row = extremes.get(y);
    if (row === undefined) extremes.set(y, { min: x, max: x });
    else {
      row.min = Math.min(row.min, x);
      row.max = Math.max(row.max, x);
    }
  }
  const points: Point[] = [];
  for (const [y, { min, max }] of extremes) {
    points.push({ x: min + 0.5, y: y + 0.5 });
    if (max !== min) points.push({ x: max + 0.5, y: y + 0.5 });
  }
  return points;
}

/** Mean probability over the pixels whose centres lie inside `quad` (0 when none do). */
function meanInside(map: ProbabilityMap, quad: Quad): number {
  const xs = quad.map((p) => p.x);
  const ys = quad.map((p) => p.y);
  const left = Math.max(0, Math.floor(Math.min(...xs)));
  const right = Math.min(map.width - 1, Math.ceil(Math.max(...xs)));
  const top = Math.max(0, Math.floor(Math.min(...ys)));
  const bottom = Math.min(map.height - 1, Math.ceil(Math.max(...ys)));
  let sum = 0;
  let count = 0;
  for (let y = top; y <= bottom; y += 1) {
    for (let x = left; x <= right; x += 1) {
      if (!insideQuad(quad, { x: x + 0.5, y: y + 0.5 })) continue;
      sum += map.data[y * map.stride + x] ?? 0;
      count += 1;
    }
  }
  return count === 0 ? 0 : sum / count;
}
