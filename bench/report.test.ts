import { describe, expect, it } from 'vitest';
import {
  backendOf,
  errorSummary,
  latestJson,
  markdownTable,
  renderLatest,
  renderSection,
  tablesOf,
  type BenchOutcome,
  type LatestRun,
  type Report,
} from './report';

const kvPrefix: Report = {
  name: 'kv-prefix',
  title: 'KV prefix cache: time to first token (wasm)',
  environment: { browser: 'Chromium 156.0.8078.79', backend: 'wasm', cores: 2, command: 'npx playwright test -c bench/playwright.config.ts kv-prefix' },
  rows: [
    { mode: 'uncached', 'TTFT p50 ms': 934.2, speed_up: 1 },
    { mode: 'cached in memory', 'TTFT p50 ms': 50.4, speed_up: 18.53 },
  ],
  notes: ['Floors: cached in memory ≥ 5× faster than uncached.'],
};

const batching: Report = {
  name: 'batching-wasm',
  title: 'Scheduler: batching, overhead, isolation',
  environment: { browser: 'Chromium 156.0.8078.79', backends: 'wasm', secondsPerPoint: 1 },
  rows: [
    { backend: 'wasm', model: 'vad', concurrency: 8, 'batched req/s': 2631.4, 'throughput ×': 1.532 },
    { backend: 'wasm', model: 'vad', concurrency: 32, 'batched req/s': 3652, 'throughput ×': 2.06 },
    { backend: 'wasm', model: 'vad (lone frame)', concurrency: 1, 'added ms': 0.04 },
    { backend: 'wasm', model: 'vad (isolation)', concurrency: 64, '× idle (priorities)': 3.92 },
  ],
};

const passed = (file: string, reports: string[]): BenchOutcome => ({
  file,
  title: file.replace('.bench.ts', ''),
  status: 'passed',
  durationMs: 42_000,
  reports,
});

function run(overrides: Partial<LatestRun> = {}): LatestRun {
  return {
    generatedAt: '2025-01-02T03:04:05.000Z',
    durationSeconds: 312,
    command: 'BENCH_QUICK=1 npm run bench',
    browser: 'Chromium 156.0.8078.79',
    commit: 'abc1234+dirty',
    settings: { BENCH_QUICK: '1', BENCH_BACKENDS: 'wasm' },
    cores: 2,
    outcomes: [passed('kv-prefix.bench.ts', ['kv-prefix']), passed('batching.bench.ts', ['batching-wasm'])],
    reports: [kvPrefix, batching],
    ...overrides,
  };
}

describe('markdownTable', () => {
  it('renders headers, a separator and formatted cells, escaping pipes', () => {
    const table = markdownTable([
      { a: 1, b: 2.345, c: 'x|y' },
      { a: 12.34, b: 123.4 },
    ]);
    expect(table.split('\n')).toEqual(['| a | b | c |', '| --- | --- | --- |', '| 1 | 2.35 | x\\|y |', '| 12.3 | 123 |  |']);
  });
});

describe('tablesOf', () => {
  it('splits consecutive rows with different columns into separate tables', () => {
    const groups = tablesOf(batching.rows);
    expect(groups.map((g) => g.length)).toEqual([2, 1, 1]);
    expect(groups[1]?.[0]?.model).toBe('vad (lone frame)');
  });
});

describe('backendOf', () => {
  it('reads the environment, else the rows', () => {
    expect(backendOf(kvPrefix)).toBe('wasm');
    expect(backendOf(batching)).toBe('wasm');
    expect(backendOf({ ...batching, environment: {}, rows: [{ backend: 'wasm' }, { backend: 'webgpu' }] })).toBe('wasm, webgpu');
    expect(backendOf({ ...kvPrefix, environment: {} })).toBe('not recorded');
  });
});

describe('renderSection', () => {
  it('heads the section with backend and browser, keeps the ratios and the notes', () => {
    const section = renderSection(kvPrefix, passed('kv-prefix.bench.ts', ['kv-prefix']));
    expect(section).toContain('## KV prefix cache: time to first token (wasm)');
    expect(section).toContain('backend: **wasm** · browser: Chromium 156.0.8078.79 · passed in 42 s');
    expect(section).toContain('| mode | TTFT p50 ms | speed_up |');
    expect(section).toContain('| cached in memory | 50.4 | 18.5 |');
    expect(section).toContain('- command: npx playwright test -c bench/playwright.config.ts kv-prefix');
    expect(section).not.toContain('- browser:');
    expect(section).toContain('Floors: cached in memory ≥ 5× faster than uncached.');
  });
});

describe('renderLatest', () => {
  it('writes a header, how to read, a summary and every report section in order', () => {
    const md = renderLatest(run());
    expect(md.startsWith('# Benchmarks: latest run\n')).toBe(true);
    expect(md).toContain('- date: 2025-01-02T03:04:05.000Z (took 5 min 12 s)');
    expect(md).toContain('- browser: Chromium 156.0.8078.79');
    expect(md).toContain('- commit: abc1234+dirty');
    expect(md).toContain('- settings: BENCH_QUICK=1, BENCH_BACKENDS=wasm');
    expect(md).toContain('measured side by side in this one run on this machine');
    expect(md).toContain('above 1× means the feature helps');
    expect(md).toContain('SwiftShader');
    expect(md).toContain('This was a quick run');
    expect(md).toContain('| kv-prefix.bench.ts | wasm | Chromium 156.0.8078.79 | passed | 42 s | kv-prefix.md |');
    expect(md).not.toContain('## Failures');
    const kv = md.indexOf('## KV prefix cache');
    const sched = md.indexOf('## Scheduler: batching');
    expect(kv).toBeGreaterThan(0);
    expect(sched).toBeGreaterThan(kv);
    // the batching report's three row kinds as three tables, ratios kept
    expect(md).toContain('| backend | model | concurrency | batched req/s | throughput × |');
    expect(md).toContain('| wasm | vad | 8 | 2631 | 1.53 |');
    expect(md).toContain('| backend | model | concurrency | × idle (priorities) |');
    expect(md).toContain('| wasm | vad (isolation) | 64 | 3.92 |');
  });

  it('says nothing about a quick run for a full one', () => {
    expect(renderLatest(run({ settings: {} }))).not.toContain('quick run');
    expect(renderLatest(run({ settings: {} }))).toContain('- settings: defaults');
  });

  it('lists failures: with and without a report, and errors outside any bench', () => {
    const md = renderLatest(
      run({
        outcomes: [
          {
            file: 'kv-prefix.bench.ts',
            title: 'KV prefix',
            status: 'failed',
            durationMs: 1000,
            error: 'Error: in-memory speed-up\n\nExpected: >= 5',
            reports: ['kv-prefix'],
          },
          {
            file: 'batching.bench.ts',
            title: 'batching',
            status: 'timedOut',
            durationMs: 1_800_000,
            error: 'Test timeout of 1800000ms exceeded.',
            reports: [],
          },
          passed('cache.bench.ts', []),
        ],
        reports: [kvPrefix],
        globalErrors: ['Error: Timed out waiting 300000ms from config.webServer.'],
      }),
    );
    const failures = md.slice(md.indexOf('## Failures'), md.indexOf('## KV prefix'));
    expect(failures).toContain('- kv-prefix.bench.ts › KV prefix: **failed** (its report is below): Error: in-memory speed-up · Expected: >= 5\n');
    expect(failures).toContain('- batching.bench.ts › batching: **timedOut** (no report written): Test timeout of 1800000ms exceeded.');
    expect(failures).toContain('- outside any benchmark: Error: Timed out waiting 300000ms from config.webServer.');
    expect(failures).not.toContain('cache.bench.ts');
    expect(md).toContain('| batching.bench.ts |  |  | **timedOut** | 30 min 0 s | (none) |');
    // the failed bench's report is still shown, flagged
    expect(md).toContain('> **failed** after writing this report: Error: in-memory speed-up · Expected: >= 5');
    expect(md).not.toContain('## Scheduler');
  });
});

describe('errorSummary', () => {
  it('joins the first lines, stops at a call log or stack, and caps the length', () => {
    expect(errorSummary('Error: page.goto: timeout\n\nCall log:\n  - navigating to /e2e/harness.html')).toBe('Error: page.goto: timeout');
    expect(errorSummary('Error: boom\n    at bench (kv-prefix.bench.ts:1:1)')).toBe('Error: boom');
    expect(errorSummary('x'.repeat(400))).toHaveLength(300);
    expect(errorSummary(undefined)).toBe('');
  });
});

describe('latestJson', () => {
  it('keeps the run, every report in full and the failures', () => {
    const ok = latestJson(run());
    expect(ok.ok).toBe(true);
    expect(ok.failures).toEqual([]);
    expect(ok.commit).toBe('abc1234+dirty');
    expect(ok.browser).toBe('Chromium 156.0.8078.79');
    expect(ok.reports).toEqual([kvPrefix, batching]);
    const failed = latestJson(
      run({ outcomes: [{ ...passed('kv-prefix.bench.ts', ['kv-prefix']), status: 'failed', error: 'boom' }], globalErrors: ['server'], commit: undefined }),
    );
    expect(failed.ok).toBe(false);
    expect(failed.commit).toBeNull();
    expect(failed.failures).toEqual([
      { bench: 'kv-prefix.bench.ts › kv-prefix', status: 'failed', error: 'boom' },
      { bench: '(outside any benchmark)', status: 'failed', error: 'server' },
    ]);
  });
});
