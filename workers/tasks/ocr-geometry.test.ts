import { describe, expect, it } from 'vitest';
import type { Point } from '../../src/protocol';
import { convexHull, insideQuad, inReadingOrder, minAreaRect, orderCorners, orderedForPage, rectCorners, scaleQuad, type Quad } from './ocr-geometry';

const quad = (left: number, top: number, right: number, bottom: number): Quad => [
  { x: left, y: top },
  { x: right, y: top },
  { x: right, y: bottom },
  { x: left, y: bottom },
];

describe('convexHull and minAreaRect', () => {
  it('drops interior and collinear points', () => {
    const points: Point[] = [
      { x: 0, y: 0 },
      { x: 5, y: 0 },
      { x: 10, y: 0 },
      { x: 10, y: 4 },
      { x: 0, y: 4 },
      { x: 3, y: 2 },
    ];
    expect(convexHull(points)).toHaveLength(4);
  });

  it('fits a rotated rectangle exactly', () => {
    const angle = Math.PI / 6;
    const axis = { x: Math.cos(angle), y: Math.sin(angle) };
    const corners = rectCorners({ center: { x: 50, y: 40 }, width: 30, height: 8, axis });
    const rect = minAreaRect(convexHull([...corners]));
    expect(rect.width * rect.height).toBeCloseTo(240, 6);
    expect(Math.max(rect.width, rect.height)).toBeCloseTo(30, 6);
    expect(rect.center.x).toBeCloseTo(50, 6);
    expect(rect.center.y).toBeCloseTo(40, 6);
  });

  it('gives a zero-height rectangle for points on a line', () => {
    const rect = minAreaRect(
      convexHull([
        { x: 1, y: 1 },
        { x: 5, y: 1 },
        { x: 9, y: 1 },
      ]),
    );
    expect(rect.width).toBeCloseTo(8, 6);
    expect(rect.height).toBe(0);
  });
});

describe('corners', () => {
  it('orders any four corners clockwise from the top-left', () => {
    expect(
      orderCorners([
        { x: 9, y: 9 },
        { x: 0, y: 0 },
        { x: 9, y: 0 },
        { x: 0, y: 9 },
      ]),
    ).toEqual(quad(0, 0, 9, 9));
  });

  it('tests points against a quad, edges included', () => {
    const box = quad(0, 0, 10, 5);
    expect(insideQuad(box, { x: 5, y: 2 })).toBe(true);
    expect(insideQuad(box, { x: 10, y: 5 })).toBe(true);
    expect(insideQuad(box, { x: 11, y: 2 })).toBe(false);
  });

  it('scales into image pixels and clamps to the image', () => {
    expect(scaleQuad(quad(-2, 1, 50, 30), 2, 2, 90, 100)).toEqual(quad(0, 2, 90, 60));
  });
});

describe('inReadingOrder', () => {
  const item = (name: string, box: Quad) => ({ name, box });

  it('sorts rows top to bottom, and boxes within a row left to right', () => {
    const items = [
      item('row2', quad(10, 60, 300, 90)),
      item('row1-right', quad(200, 12, 300, 42)),
      item('row3', quad(10, 110, 200, 140)),
      // Slightly higher than its right neighbour, but on the same row.
      item('row1-left', quad(10, 10, 180, 40)),
    ];
    expect(inReadingOrder(items).map((i) => i.name)).toEqual(['row1-left', 'row1-right', 'row2', 'row3']);
  });

  it('puts a box on the next row when the vertical overlap is under half the shorter box', () => {
    const items = [item('lower-left', quad(0, 25, 100, 55)), item('upper-right', quad(150, 0, 250, 30))];
    expect(inReadingOrder(items).map((i) => i.name)).toEqual(['upper-right', 'lower-left']);
  });
});

describe('orderedForPage', () => {
  it('reverses the lines of a page turned 180° (most lines upside down), keeps an upright page', () => {
    const lines = (angles: number[]) => angles.map((angle, i) => ({ name: `line${i}`, angle }));
    expect(orderedForPage(lines([180, 180, 180])).map((l) => l.name)).toEqual(['line2', 'line1', 'line0']);
    expect(orderedForPage(lines([180, 0, 180])).map((l) => l.name)).toEqual(['line2', 'line1', 'line0']);
    expect(orderedForPage(lines([0, 180, 0])).map((l) => l.name)).toEqual(['line0', 'line1', 'line2']);
    expect(orderedForPage(lines([180, 0])).map((l) => l.name)).toEqual(['line0', 'line1']); // a tie is read as it stands
  });
});
