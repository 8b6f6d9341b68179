/**
 * Plane geometry for OCR boxes: convex hulls, minimum-area rectangles, corner order,
 * growing a rectangle, and sorting boxes into reading order. Pure functions over
 * continuous pixel coordinates (pixel `i` spans `[i, i + 1)`, like a canvas).
 */
import type { Point } from '../../src/protocol';

/** Four corners clockwise from the top-left: top-left, top-right, bottom-right, bottom-left. */
export type Quad = readonly [Point, Point, Point, Point];

/** A rectangle at any rotation. */
export interface RotatedRect {
  readonly center: Point;
  /** Extent along `axis`. */
  readonly width: number;
  /** Extent across `axis`. */
  readonly height: number;
  /** Unit vector along the rectangle's width. */
  readonly axis: Point;
}

function cross(o: Point, a: Point, b: Point): number {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

/**
 * Convex hull (Andrew's monotone chain), counter-clockwise in y-up terms, without
 * collinear points. Fewer than three distinct points come back as they are (deduplicated).
 *
 * @example
 * convexHull([{ x: 0, y: 0 }, { x: 2, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 2 }, { x: 0, y: 2 }]).length; // 4
 */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  const unique = sorted.filter((p, i) => i === 0 || p.x !== sorted[i - 1]?.x || p.y !== sorted[i - 1]?.y);
  if (unique.length < 3) return unique;
  const half = (input: readonly Point[]): Point[] => {
    const chain: Point[] = [];
    for (const p of input) {
      while (chain.length >= 2) {
        const a = chain[chain.length - 2];
        const b = chain[chain.length - 1];
        if (a === undefined || b === undefined || cross(a, b, p) > 0) break;
        chain.pop();
      }
      chain.push(p);
    }
    chain.pop();
    return chain;
  };
  return [...half(unique), ...half([...unique].reverse())];
}

/**
 * The smallest-area rectangle around a convex hull (rotating calipers: one side of the
 * optimum lies on a hull edge). A degenerate hull (a point or a segment) gives a
 * rectangle of height 0.
 *
 * @example
 * minAreaRect(convexHull(points)); // { center, width, height, axis }
 */
export function minAreaRect(hull: readonly Point[]): RotatedRect {
  const first = hull[0];
  if (first === undefined) return { center: { x: 0, y: 0 }, width: 0, height: 0, axis: { x: 1, y: 0 } };
  let best: RotatedRect = { center: first, width: 0, height: 0, axis: { x: 1, y: 0 } };
  let bestArea = Number.POSITIVE_INFINITY;
  for (let i = 0; i < hull.length; i += 1) {
    const origin = hull[i] ?? first;
    const next = hull[(i + 1) % hull.length] ?? first;
    const length = Math.hypot(next.x - origin.x, next.y - origin.y);
    if (length === 0) continue;
    const axis = { x: (next.x - origin.x) / length, y: (next.y - origin.y) / length };
    let minAlong = Number.POSITIVE_INFINITY;
    let maxAlong = Number.NEGATIVE_INFINITY;
    let minAcross = Number.POSITIVE_INFINITY;
    let maxAcross = Number.NEGATIVE_INFINITY;
    for (const p of hull) {
      const dx = p.x - origin.x;
      const dy = p.y - origin.y;
      const along = dx * axis.x + dy * axis.y;
      const across = -dx * axis.y + dy * axis.x;
      minAlong = Math.min(minAlong, along);
      maxAlong = Math.max(maxAlong, along);
      minAcross = Math.min(minAcross, across);
      maxAcross = Math.max(maxAcross, across);
    }
    const width = maxAlong - minAlong;
    const height = maxAcross - minAcross;
    if (width * height < bestArea || (bestArea === 0 && width * height === 0 && width > best.width)) {
      bestArea = width * height;
      const midAlong = (minAlong + maxAlong) / 2;
      const midAcross = (minAcross + maxAcross) / 2;
      best = {
        center: { x: origin.x + axis.x * midAlong - axis.y * midAcross, y: origin.y + axis.y * midAlong + axis.x * midAcross },
        width,
        height,
        axis,
      };
    }
  }
  return best;
}

/** `rect` grown by `distance` on every side. */
export function expandRect(rect: RotatedRect, distance: number): RotatedRect {
  return { ...rect, width: rect.width + 2 * distance, height: rect.height + 2 * distance };
}

/**
 * Order four corners clockwise from the top-left, as PaddleOCR does: the two leftmost
 * points (by x) are the left side, the upper of each side is its top.
 *
 * @example
 * orderCorners([{ x: 9, y: 9 }, { x: 0, y: 0 }, { x: 9, y: 0 }, { x: 0, y: 9 }]);
 * // [{ x: 0, y: 0 }, { x: 9, y: 0 }, { x: 9, y: 9 }, { x: 0, y: 9 }]
 */
export function orderCorners(points: readonly [Point, Point, Point, Point]): Quad {
  const [a, b, c, d] = [...points].sort((p, q) => p.x - q.x || p.y - q.y);
  if (a === undefined || b === undefined || c === undefined || d === undefined) return points;
  const [topLeft, bottomLeft] = a.y <= b.y ? [a, b] : [b, a];
  const [topRight, bottomRight] = c.y <= d.y ? [c, d] : [d, c];
  return [topLeft, topRight, bottomRight, bottomLeft];
}

/** The corners of `rect`, clockwise from the top-left. */
export function rectCorners(rect: RotatedRect): Quad {
  const { center, axis } = rect;
  const halfW = rect.width / 2;
  const halfH = rect.height / 2;
  const corner = (u: number, v: number): Point => ({
    x: center.x + axis.x * u * halfW - axis.y * v * halfH,
    y: center.y + axis.y * u * halfW + axis.x * v * halfH,
  });
  return orderCorners([corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1)]);
}

/** Side lengths of a quad: `width` from its top edge, `height` from its left edge. */
export function quadSize(quad: Quad): { readonly width: number; readonly height: number } {
  const [topLeft, topRight, , bottomLeft] = quad;
  return {
    width: Math.hypot(topRight.x - topLeft.x, topRight.y - topLeft.y),
    height: Math.hypot(bottomLeft.x - topLeft.x, bottomLeft.y - topLeft.y),
  };
}

/** Whether `p` lies inside the convex quad (either winding; edges count as inside). */
export function insideQuad(quad: Quad, p: Point): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i += 1) {
    const a = quad[i] ?? quad[0];
    const b = quad[(i + 1) % 4] ?? quad[0];
    const side = cross(a, b, p);
    if (side === 0) continue;
    if (sign === 0) sign = Math.sign(side);
    else if (Math.sign(side) !== sign) return false;
  }
  return true;
}

/** `quad` scaled by (`scaleX`, `scaleY`) and clamped into `[0, width] × [0, height]`. */
export function scaleQuad(quad: Quad, scaleX: number, scaleY: number, width: number, height: number): Quad {
  const map = (p: Point): Point => ({ x: Math.min(width, Math.max(0, p.x * scaleX)), y: Math.min(height, Math.max(0, p.y * scaleY)) });
  return [map(quad[0]), map(quad[1]), map(quad[2]), map(quad[3])];
}

function verticalExtent(quad: Quad): { readonly top: number; readonly bottom: number; readonly left: number } {
  const ys = quad.map((p) => p.y);
  return { top: Math.min(...ys), bottom: Math.max(...ys), left: Math.min(...quad.map((p) => p.x)) };
}

/**
 * Items sorted into reading order: rows top to bottom, each row left to right. Two boxes
 * share a row when their vertical spans overlap by at least half the shorter one.
 *
 * @example
 * inReadingOrder([{ box: right }, { box: below }, { box: left }]); // [left, right, below]
 */
export function inReadingOrder<T extends { readonly box: Quad }>(items: readonly T[]): T[] {
  const placed = items.map((item) => ({ item, ...verticalExtent(item.box) }));
  placed.sort((a, b) => a.top + a.bottom - (b.top + b.bottom) || a.left - b.left);
  const rows: (typeof placed)[] = [];
  for (const entry of placed) {
    const row = rows[rows.length - 1];
    const anchor = row?.[0];
    if (row !== undefined && anchor !== undefined) {
      const overlap = Math.min(anchor.bottom, entry.bottom) - Math.max(anchor.top, entry.top);
      const shorter = Math.min(anchor.bottom - anchor.top, entry.bottom - entry.top);
      if (overlap >= shorter / 2) {
        row.push(entry);
        continue;
      }
    }
    rows.push([entry]);
  }
  return rows.flatMap((row) => row.sort((a, b) => a.left - b.left).map((entry) => entry.item));
}

/**
 * Read lines in the page's reading order. They come top to bottom, left to right in image
 * coordinates ({@link inReadingOrder}); on a page turned 180° (most lines read upside down) that is the text's
 * last line first, so the order is reversed: bottom to top, right to left.
 */
export function orderedForPage<T extends { readonly angle: number }>(lines: readonly T[]): T[] {
  const upsideDown = lines.filter((line) => line.angle === 180).length;
  return upsideDown * 2 > lines.length ? [...lines].reverse() : [...lines];
}
