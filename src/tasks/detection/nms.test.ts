import { describe, expect, it } from 'vitest';
import { area, iou, nonMaxSuppression, type ScoredBox } from './nms';

const box = (classId: number, score: number, x1: number, y1: number, x2: number, y2: number): ScoredBox => ({ classId, score, x1, y1, x2, y2 });

describe('iou', () => {
  it('is intersection over union', () => {
    expect(iou(box(0, 1, 0, 0, 10, 10), box(0, 1, 0, 0, 10, 10))).toBe(1);
    expect(iou(box(0, 1, 0, 0, 10, 10), box(0, 1, 5, 0, 15, 10))).toBeCloseTo(50 / 150, 9);
    expect(iou(box(0, 1, 0, 0, 10, 10), box(0, 1, 2, 2, 4, 4))).toBeCloseTo(4 / 100, 9);
  });

  it('is 0 for disjoint, touching or empty boxes', () => {
    expect(iou(box(0, 1, 0, 0, 10, 10), box(0, 1, 20, 20, 30, 30))).toBe(0);
    expect(iou(box(0, 1, 0, 0, 10, 10), box(0, 1, 10, 0, 20, 10))).toBe(0);
    expect(iou(box(0, 1, 0, 0, 0, 0), box(0, 1, 0, 0, 0, 0))).toBe(0);
    expect(area(box(0, 1, 5, 5, 1, 1))).toBe(0);
  });
});

describe('nonMaxSuppression', () => {
  const options = { iouThreshold: 0.5, maxResults: 100 };

  it('keeps the best of overlapping boxes of a class, best first', () => {
    const boxes = [box(0, 0.6, 1, 1, 11, 11), box(0, 0.9, 0, 0, 10, 10), box(0, 0.7, 50, 50, 60, 60)];
    expect(nonMaxSuppression(boxes, options).map((b) => b.score)).toEqual([0.9, 0.7]);
  });

  it('never suppresses across classes', () => {
    const boxes = [box(0, 0.9, 0, 0, 10, 10), box(17, 0.8, 0, 0, 10, 10)];
    expect(nonMaxSuppression(boxes, options).map((b) => b.classId)).toEqual([0, 17]);
  });

  it('keeps boxes overlapping by no more than the threshold', () => {
    // IoU 50/150 = 0.33.
    const boxes = [box(0, 0.9, 0, 0, 10, 10), box(0, 0.8, 5, 0, 15, 10)];
    expect(nonMaxSuppression(boxes, { iouThreshold: 0.34, maxResults: 10 })).toHaveLength(2);
    expect(nonMaxSuppression(boxes, { iouThreshold: 0.33, maxResults: 10 })).toHaveLength(1);
  });

  it('stops at maxResults, drops empty boxes, keeps input order on ties', () => {
    const boxes = [box(1, 0.5, 0, 0, 1, 1), box(2, 0.5, 0, 0, 1, 1), box(3, 0.9, 3, 3, 3, 9), box(4, 0.4, 0, 0, 1, 1)];
    expect(nonMaxSuppression(boxes, { iouThreshold: 0.5, maxResults: 2 }).map((b) => b.classId)).toEqual([1, 2]);
    expect(nonMaxSuppression([], options)).toEqual([]);
  });
});
