import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FullConfig, FullResult, TestCase, TestResult } from '@playwright/test/reporter';
import { describe, expect, it, vi } from 'vitest';
import { adapterInfo } from './adapter';
import { fakeLoad } from './load.fixture';
import { summarizeLoad, type Baseline, type PerfRecord } from './record';
import InpageReporter from './reporter';

function result(samples: readonly number[]): TestResult {
  const record: PerfRecord = {
    version: 1,
    test: { title: 'search', titlePath: ['search'], file: 'app.perf.ts', project: 'webgpu' },
    browser: 'chromium 142',
    adapter: adapterInfo('nvidia', 'hopper', 'NVIDIA H200', false),
    loads: [summarizeLoad(fakeLoad(samples))],
    models: [],
    caches: [],
  };
  // Only the fields the reporter reads; Playwright's TestResult has many more.
  return { attachments: [{ name: 'inpage-perf.json', contentType: 'application/json', body: Buffer.from(JSON.stringify(record)) }] } as unknown as TestResult;
}

async function run(dir: string, samples: readonly number[], options: ConstructorParameters<typeof InpageReporter>[0], status: FullResult['status'] = 'passed') {
  const reporter = new InpageReporter(options);
  reporter.onBegin({ configFile: join(dir, 'playwright.config.ts'), rootDir: dir } as FullConfig); // the two fields it reads
  reporter.onTestEnd({} as TestCase, result(samples));
  return { reporter, outcome: await reporter.onEnd({ status } as FullResult) }; // the one field it reads
}

describe('inpage/testing/reporter', () => {
  it('writes per-test files, a baseline on request, and fails the run on an injected regression', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inpage-reporter-'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const fast = Array.from({ length: 50 }, (_, i) => 20 + (i % 5));
    const first = await run(dir, fast, { outputDir: 'out', baseline: 'baseline.json', updateBaseline: true });
    expect(first.outcome).toBeUndefined();
    const baseline = JSON.parse(readFileSync(join(dir, 'baseline.json'), 'utf8')) as Baseline; // the file the reporter just wrote
    expect(Object.keys(baseline.entries)).toEqual(['webgpu › app.perf.ts › search › embed-8']);
    expect(readFileSync(join(dir, 'out', 'webgpu-app.perf.ts-search.md'), 'utf8')).toContain('WebGPU: nvidia / hopper / NVIDIA H200');

    const same = await run(dir, fast, { outputDir: 'out', baseline: 'baseline.json' });
    expect(same.outcome).toBeUndefined();
    expect(same.reporter.comparison?.regressions).toEqual([]);

    const slow = await run(
      dir,
      fast.map((v) => v * 1.5),
      { outputDir: 'out', baseline: 'baseline.json' },
    );
    expect(slow.outcome).toEqual({ status: 'failed' });
    expect(slow.reporter.comparison?.regressions.map((r) => r.metric)).toEqual(['p50Ms', 'p95Ms', 'p99Ms']);
    expect(readFileSync(join(dir, 'out', 'summary.md'), 'utf8')).toContain('**3 regression(s):**');
    expect(log.mock.calls.flat().join('\n')).toMatch(
      /3 regression\(s\) against .*baseline\.json:\n {2}webgpu › app\.perf\.ts › search › embed-8: p50Ms 33\.00 vs baseline 22\.00 \(×1\.50\)/,
    );
    log.mockRestore();
  });

  it('writes no baseline from a run that failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inpage-reporter-'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await run(dir, [1, 2, 3], { baseline: 'baseline.json', updateBaseline: true }, 'failed');
    expect(existsSync(join(dir, 'baseline.json'))).toBe(false);
    expect(log.mock.calls.flat().join('\n')).toMatch(/the run failed; the baseline .* was left as it was/);
    log.mockRestore();
  });

  it('refuses a baseline file that is not one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inpage-reporter-'));
    writeFileSync(join(dir, 'baseline.json'), '{"p95": 3}');
    await expect(run(dir, [1, 2, 3], { baseline: 'baseline.json' })).rejects.toThrow(/is not a baseline file/);
  });
});
