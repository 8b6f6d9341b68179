import { describe, expect, it } from 'vitest';
import { snapshotSplit } from './cdp-heap';
import { p99Ratio, quantileSorted, soakChecks, windowOf, windowStats, type SoakOutcome } from './soak-stats';

describe('soak windows', () => {
  it('puts a request in the window of its start, equal slices, late starts in the last', () => {
    expect(windowOf(0, 10_000, 5)).toBe(0);
    expect(windowOf(1_999, 10_000, 5)).toBe(0);
    expect(windowOf(2_000, 10_000, 5)).toBe(1);
    expect(windowOf(9_999, 10_000, 5)).toBe(4);
    expect(windowOf(10_500, 10_000, 5)).toBe(4); // started as the load stopped
    expect(windowOf(-1, 10_000, 5)).toBe(0);
    expect(() => windowOf(0, 0, 5)).toThrow(RangeError);
  });

  it('takes nearest-rank quantiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantileSorted(sorted, 0.5)).toBe(50);
    expect(quantileSorted(sorted, 0.99)).toBe(99);
    expect(quantileSorted(sorted, 1)).toBe(100);
    expect(quantileSorted([7], 0.99)).toBe(7);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('counts, rates, quantiles and errors per window', () => {
    // 10 s, 2 windows: 100 requests of 1…100 ms in the first, 50 of 2× that in the second.
    const samples = [
      ...Array.from({ length: 100 }, (_, i) => ({ startMs: i * 10, ms: i + 1 })),
      ...Array.from({ length: 50 }, (_, i) => ({ startMs: 5_000 + i * 10, ms: 2 * (i + 1) })),
    ];
    const failures = [
      { startMs: 6_000, code: 'DEADLINE_EXCEEDED' },
      { startMs: 7_000, code: 'WORKER_CRASHED' },
    ];
    const [first, second] = windowStats(samples, failures, 10_000, 2);
    expect(first).toEqual({ window: 1, fromS: 0, toS: 5, count: 100, perSecond: 20, p50: 50, p95: 95, p99: 99, errors: 0 });
    expect(second).toMatchObject({ window: 2, fromS: 5, toS: 10, count: 50, perSecond: 10, p50: 50, p99: 100, errors: 2 });
    expect(p99Ratio(windowStats(samples, failures, 10_000, 2))).toBeCloseTo(100 / 99);
  });

  it('gives no ratio when the first or last window is empty', () => {
    const stats = windowStats([{ startMs: 100, ms: 5 }], [], 10_000, 5);
    expect(stats.map((w) => w.count)).toEqual([1, 0, 0, 0, 0]);
    expect(stats[4]?.p99).toBeNaN();
    expect(p99Ratio(stats)).toBeNaN();
    expect(p99Ratio([])).toBeNaN();
  });
});

describe('soak checks', () => {
  const passing: SoakOutcome = {
    requests: 93_158,
    seconds: 601.2,
    p99Ratios: [
      { type: 'vad', ratio: 1.05 },
      { type: 'embed (new text)', ratio: 1.3 },
    ],
    heaps: [
      { target: 'page', start: 6_000_000, end: 6_300_000 },
      { target: 'audio-onnx', start: 3_000_000, end: 2_900_000 },
    ],
    resources: [
      { target: 'audio-onnx', what: 'ORT sessions', start: 1, end: 1 },
      { target: 'text-tfjs:wasm', what: 'TF.js tensors', start: 61, end: 60 },
      { target: 'text-tfjs:webgpu', what: 'TF.js GPU pool free bytes', start: 100, end: 900, limit: 900 },
    ],
    errors: 0,
    hung: 0,
  };

  it('passes every bar at its limit, in a fixed order', () => {
    const checks = soakChecks(passing);
    expect(checks.map((c) => c.check)).toEqual([
      'requests',
      'duration',
      'p99 last ÷ first: vad',
      'p99 last ÷ first: embed (new text)',
      'heap after GC, end ÷ start: page',
      'heap after GC, end ÷ start: audio-onnx',
      'ORT sessions: audio-onnx',
      'TF.js tensors: text-tfjs:wasm',
      'TF.js GPU pool free bytes: text-tfjs:webgpu',
      'errors',
      'lost or hung requests',
    ]);
    expect(checks.every((c) => c.pass)).toBe(true);
    expect(checks[0]).toEqual({ check: 'requests', bar: '≥ 50,000', measured: '93,158', pass: true });
    expect(checks[4]?.measured).toBe('1.050');
    expect(checks.at(-3)?.bar).toBe('≤ 900');
  });

  it('fails each bar just past it, and what cannot be measured', () => {
    const checks = soakChecks({
      requests: 49_999,
      seconds: 599,
      p99Ratios: [
        { type: 'vad', ratio: 1.31 },
        { type: 'pose', ratio: Number.NaN },
      ],
      heaps: [
        { target: 'page', start: 1_000_000, end: 1_050_001 },
        { target: 'audio-onnx', start: 1_000_000, end: undefined },
      ],
      resources: [
        { target: 'audio-onnx', what: 'ORT sessions', start: 1, end: 2 },
        { target: 'image-tfjs:wasm', what: 'TF.js tensors', start: 180, end: undefined },
        { target: 'text-tfjs:webgpu', what: 'TF.js GPU pool free bytes', start: 100, end: 901, limit: 900 },
      ],
      errors: 1,
      hung: 3,
    });
    expect(checks.filter((c) => c.pass)).toEqual([]);
    expect(checks.find((c) => c.check === 'p99 last ÷ first: pose')?.measured).toBe('n/a');
    expect(checks.find((c) => c.check === 'heap after GC, end ÷ start: audio-onnx')?.measured).toBe('gone at the end');
    expect(checks.find((c) => c.check === 'ORT sessions: audio-onnx')?.measured).toBe('1 → 2');
    expect(checks.find((c) => c.check === 'TF.js tensors: image-tfjs:wasm')?.measured).toBe('180 → gone');
  });
});

describe('heap snapshot split', () => {
  it('sums JS objects and code apart, leaving native and synthetic nodes out', () => {
    const types = [
      'hidden',
      'array',
      'string',
      'object',
      'code',
      'closure',
      'regexp',
      'number',
      'native',
      'synthetic',
      'concatenated string',
      'sliced string',
      'symbol',
      'bigint',
      'object shape',
    ];
    const node = (type: string, size: number) => [types.indexOf(type), 0, 1, size, 0, 0, 0];
    const json = {
      snapshot: { meta: { node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'], node_types: [types, 'string'] } },
      nodes: [
        ...node('synthetic', 0),
        ...node('object', 100),
        ...node('array', 40),
        ...node('string', 24),
        ...node('closure', 32),
        ...node('object shape', 80),
        ...node('code', 500),
        ...node('code', 250),
        ...node('native', 4_096),
        ...node('hidden', 16),
      ],
    };
    expect(snapshotSplit(json)).toEqual({ objectBytes: 276, codeBytes: 750 });
  });
});
