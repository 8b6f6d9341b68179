/**
 * `inpage/testing/reporter`: a Playwright reporter that gathers each test's
 * `inpage-perf.json` (attached by the `inpage` fixture), writes it per test as JSON and
 * Markdown plus a summary, and compares the run with a baseline file: a metric whose ratio
 * to its baseline passes the tolerance is a regression, and the run fails.
 *
 * ```ts
 * reporter: [['list'], ['inpage/testing/reporter', { outputDir: 'perf-results', baseline: 'perf-baseline.json', tolerance: { ratio: 0.2 } }]]
 * ```
 * `INPAGE_UPDATE_BASELINE=1` (or `updateBaseline: true`) writes the baseline from this run instead.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FullConfig, FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import {
  baselineEntries,
  compareWithBaseline,
  comparisonMarkdown,
  recordMarkdown,
  type Baseline,
  type BaselineComparison,
  type MetricValues,
  type PerfRecord,
  type Tolerance,
} from './record.js';

/** Options of `inpage/testing/reporter`. */
export interface InpageReporterOptions {
  /** Where the per-test files and the summary go (relative to the config's folder). @default 'inpage-perf' */
  readonly outputDir?: string;
  /** A baseline file to compare with (relative to the config's folder); none: no comparison. */
  readonly baseline?: string;
  /** How much change passes. @default { ratio: 0.2, minDeltaMs: 1, errorRate: 0.01 } */
  readonly tolerance?: Tolerance;
  /** Write the baseline from this run instead of comparing. @default process.env.INPAGE_UPDATE_BASELINE === '1' */
  readonly updateBaseline?: boolean;
}

/** A file name from a test's title path. */
function slug(record: PerfRecord): string {
  const text = [record.test.project, record.test.file, ...record.test.titlePath].filter((p) => p !== '').join('-');
  return (
    text
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 120) || 'test'
  );
}

function isRecord(value: unknown): value is PerfRecord {
  return typeof value === 'object' && value !== null && (value as { version?: unknown }).version === 1 && Array.isArray((value as { loads?: unknown }).loads);
}

function isBaseline(value: unknown): value is Baseline {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { version?: unknown }).version === 1 &&
    typeof (value as { entries?: unknown }).entries === 'object'
  );
}

/**
 * The reporter (the default export of `inpage/testing/reporter`).
 *
 * @example
 * // playwright.config.ts
 * reporter: [['list'], ['inpage/testing/reporter', { outputDir: 'perf-results', baseline: 'perf-baseline.json', tolerance: { ratio: 0.2 } }]],
 */
export default class InpageReporter implements Reporter {
  private readonly records: PerfRecord[] = [];
  private root = process.cwd();
  /** What the last run's comparison found (for tests of the reporter). */
  comparison: BaselineComparison | undefined;

  constructor(private readonly options: InpageReporterOptions = {}) {}

  onBegin(config: FullConfig): void {
    this.root = config.configFile === undefined ? config.rootDir : dirname(config.configFile);
  }

  printsToStdio(): boolean {
    return false;
  }

  onTestEnd(_test: TestCase, result: TestResult): void {
    for (const attachment of result.attachments) {
      if (attachment.name !== 'inpage-perf.json') continue;
      const text = attachment.body?.toString('utf8') ?? (attachment.path === undefined ? undefined : readFileSync(attachment.path, 'utf8'));
      if (text === undefined) continue;
      const parsed: unknown = JSON.parse(text);
      if (isRecord(parsed)) this.records.push(parsed);
    }
  }

  async onEnd(result: FullResult): Promise<{ status?: FullResult['status'] } | undefined> {
    const outputDir = resolve(this.root, this.options.outputDir ?? 'inpage-perf');
    mkdirSync(outputDir, { recursive: true });
    const entries: Record<string, MetricValues> = {};
    const used = new Set<string>();
    for (const record of this.records) {
      let name = slug(record);
      for (let n = 2; used.has(name); n += 1) name = `${slug(record)}-${n}`;
      used.add(name);
      writeFileSync(join(outputDir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
      writeFileSync(join(outputDir, `${name}.md`), recordMarkdown(record));
      Object.assign(entries, baselineEntries(record));
    }
    const summary = [`# Performance: ${this.records.length} test(s) with loads`, '', ...this.records.map(recordMarkdown)];
    const update = this.options.updateBaseline ?? process.env.INPAGE_UPDATE_BASELINE === '1';
    let status: FullResult['status'] | undefined;
    if (this.options.baseline !== undefined) {
      const file = resolve(this.root, this.options.baseline);
      if (update && result.status !== 'passed') {
        console.log(`inpage/testing: the run ${result.status}; the baseline ${file} was left as it was (a baseline comes from a passing run)`);
      } else if (update) {
        const baseline: Baseline = { version: 1, createdAt: new Date().toISOString(), entries };
        writeFileSync(file, `${JSON.stringify(baseline, null, 2)}\n`);
        console.log(`inpage/testing: wrote the baseline ${file} (${Object.keys(entries).length} entries)`);
      } else if (!existsSync(file)) {
        console.log(`inpage/testing: no baseline at ${file}; run with INPAGE_UPDATE_BASELINE=1 to write one from this run`);
      } else {
        const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
        if (!isBaseline(parsed)) throw new Error(`inpage/testing: ${file} is not a baseline file (version 1, entries)`);
        const comparison = compareWithBaseline(entries, parsed, this.options.tolerance);
        this.comparison = comparison;
        summary.push(comparisonMarkdown(comparison));
        writeFileSync(join(outputDir, 'comparison.json'), `${JSON.stringify(comparison, null, 2)}\n`);
        if (comparison.regressions.length > 0) {
          status = 'failed';
          console.log(`inpage/testing: ${comparison.regressions.length} regression(s) against ${file}:`);
          for (const r of comparison.regressions)
            console.log(
              `  ${r.key}: ${r.metric} ${r.current.toPrecision(4)} vs baseline ${r.baseline.toPrecision(4)} (×${Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : '—'})`,
            );
        } else console.log(`inpage/testing: ${comparison.compared.length} metric(s) within tolerance of ${file}`);
      }
    }
    writeFileSync(join(outputDir, 'summary.md'), `${summary.join('\n')}\n`);
    writeFileSync(join(outputDir, 'summary.json'), `${JSON.stringify({ records: this.records, entries, comparison: this.comparison ?? null }, null, 2)}\n`);
    return status === undefined ? undefined : { status };
  }
}
