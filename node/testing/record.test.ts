import { describe, expect, it } from 'vitest';
import { adapterInfo } from './adapter';
import { fakeLoad, fakeSnapshot } from './load.fixture';
import {
  baselineEntries,
  compareWithBaseline,
  comparisonMarkdown,
  recordMarkdown,
  summarizeLoad,
  summarizeMetrics,
  type Baseline,
  type PerfRecord,
} from './record';

function record(samples: readonly number[], failed = 0): PerfRecord {
  return {
    version: 1,
    test: { title: 'search box', titlePath: ['search box'], file: 'app.perf.ts', project: 'wasm-only' },
    browser: 'chromium 142',
    adapter: adapterInfo('google', 'swiftshader', '', false),
    loads: [summarizeLoad(fakeLoad(samples, failed))],
    ...summarizeMetrics(fakeSnapshot()),
  };
}

const fast = Array.from({ length: 100 }, (_, i) => 10 + (i % 10)); // p95 19 ms
const baseline: Baseline = { version: 1, createdAt: '2026-12-01T00:00:00Z', entries: baselineEntries(record(fast)) };

describe('performance records and baselines', () => {
  it('keeps per load and per model the numbers a baseline compares', () => {
    expect(Object.keys(baseline.entries)).toEqual(['wasm-only › app.perf.ts › search box › embed-8', 'wasm-only › app.perf.ts › search box › model:embed']);
    expect(baseline.entries['wasm-only › app.perf.ts › search box › embed-8']).toEqual({
      p50Ms: 14,
      p95Ms: 19,
      p99Ms: 19,
      throughputPerSecond: 100,
      errorRate: 0,
    });
    expect(baseline.entries['wasm-only › app.perf.ts › search box › model:embed']).toMatchObject({ errorRate: 1 / 21 });
    expect(baseline.entries['wasm-only › app.perf.ts › search box › model:embed']?.p50Ms).toBeCloseTo(19, 0); // the registry's sketch: within its error
  });

  it('finds an injected 30% p95 regression and nothing else', () => {
    const slower = fast.map((v) => (v >= 18 ? v * 1.3 : v)); // the tail, 30% slower
    const comparison = compareWithBaseline(baselineEntries(record(slower)), baseline);
    expect(comparison.regressions.map((r) => `${r.metric} ${r.baseline}→${r.current.toFixed(1)}`)).toEqual(['p95Ms 19→24.7', 'p99Ms 19→24.7']);
    expect(comparisonMarkdown(comparison)).toContain('**2 regression(s):**');
  });

  it('lets noise within the tolerance pass, and reads throughput and error rate the right way round', () => {
    const same = compareWithBaseline(baselineEntries(record(fast.map((v) => v * 1.1))), baseline);
    expect(same.regressions).toEqual([]);
    const key = 'wasm-only › app.perf.ts › search box › embed-8';
    const fewer = compareWithBaseline({ [key]: { throughputPerSecond: 70 } }, baseline);
    expect(fewer.regressions.map((r) => r.metric)).toEqual(['throughputPerSecond']);
    expect(compareWithBaseline({ [key]: { throughputPerSecond: 130 } }, baseline).compared[0]?.verdict).toBe('improvement');
    expect(compareWithBaseline({ [key]: { errorRate: 0.05 } }, baseline).regressions).toHaveLength(1);
    expect(compareWithBaseline({ [key]: { errorRate: 0.005 } }, baseline).regressions).toHaveLength(0);
    // Sub-millisecond jitter never counts, whatever the ratio; a per-metric tolerance overrides the default.
    expect(compareWithBaseline({ k: { p50Ms: 0.9 } }, { ...baseline, entries: { k: { p50Ms: 0.3 } } }).regressions).toEqual([]);
    expect(compareWithBaseline({ [key]: { p95Ms: 30 } }, baseline, { ratio: { p95Ms: 1 } }).regressions).toEqual([]);
  });

  it('says what the baseline has that the run lacks, and the reverse', () => {
    const comparison = compareWithBaseline({ other: { p50Ms: 1 } }, baseline);
    expect(comparison.missing).toHaveLength(2);
    expect(comparison.added).toEqual(['other']);
  });

  it('renders a record as Markdown with the adapter said plainly', () => {
    const markdown = recordMarkdown(record(fast));
    expect(markdown).toContain('WebGPU: google / swiftshader (software: SwiftShader, WebGPU on the CPU)');
    expect(markdown).toContain('| embed-8 | closed, 8 clients | 100 | 0 | 100 | 14 | 18 | 19 | 19 | 19 |');
    expect(markdown).toContain('| embed | wasm | 21 | 1 |');
    expect(markdown).toContain('Latency of "embed-8":');
  });
});
