/**
 * Greedy non-maximum suppression, per class: the best-scoring box of a class is kept and
 * every other box of that class overlapping it by more than the IoU threshold is dropped,
 * then the next best left, and so on. Boxes of different classes never suppress each other
 * (a person on a horse keeps both). Pure functions.
 */
import type { Corners } from './letterbox';

/** A box with a class and a score. */
export interface ScoredBox extends Corners {
  readonly classId: number;
  readonly score: number;
}

/** Options of {@link nonMaxSuppression}. */
export interface NmsOptions {
  /** Drop a box overlapping a better one of its class by more than this (intersection over union, 0…1). */
  readonly iouThreshold: number;
  /** Keep at most this many boxes in all. */
  readonly maxResults: number;
}

/** The area of a box (0 for an empty or inverted one). */
export function area(box: Corners): number {
  return Math.max(0, box.x2 - box.x1) * Math.max(0, box.y2 - box.y1);
}

/** Intersection over union of two boxes, 0…1 (0 when either is empty). */
export function iou(a: Corners, b: Corners): number {
  const width = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const height = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (width <= 0 || height <= 0) return 0;
  const intersection = width * height;
  const union = area(a) + area(b) - intersection;
  return union > 0 ? intersection / union : 0;
}

/** The boxes NMS keeps, best first (ties keep their input order). */
export function nonMaxSuppression<T extends ScoredBox>(boxes: readonly T[], options: NmsOptions): T[] {
  const ordered = boxes.map((box, index) => ({ box, index })).sort((a, b) => b.box.score - a.box.score || a.index - b.index);
  const kept: T[] = [];
  const keptByClass = new Map<number, T[]>();
  for (const { box } of ordered) {
    if (kept.length >= options.maxResults) break;
    if (area(box) <= 0) continue;
    const same = keptByClass.get(box.classId) ?? [];
    if (same.some((other) => iou(box, other) > options.iouThreshold)) continue;
    same.push(box);
    keptByClass.set(box.classId, same);
    kept.push(box);
  }
  return kept;
}
