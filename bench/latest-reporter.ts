/**
 * A Playwright reporter for `npm run bench` (scripts/bench.mjs passes it with `--reporter`):
 * it collects how each benchmark ended and the reports it wrote (writeReport() annotates
 * the test with the report's file, read as soon as the test ends), then writes
 * bench/results/latest.json and latest.md, failures included. Rendering is ./report's.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FullResult, Reporter, TestCase, TestError, TestResult } from '@playwright/test/reporter';
import { latestJson, renderLatest, reportAnnotation, type BenchOutcome, type LatestRun, type Report } from './report';

const benchDir = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(benchDir, 'results');

/** Environment variables that change what the benches measure, recorded in the header. */
const knobs = [
  'BENCH_QUICK',
  'BENCH_BACKENDS',
  'BENCH_SECONDS',
  'BENCH_ROUNDS',
  'BENCH_RELOADS',
  'WARM_RUNS',
  'SLOW_RUNS',
  'SOAK_SECONDS',
  'SOAK_WINDOWS',
  'SOAK_MEMORY_ENTRIES',
];

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

function errorText(error: TestError | undefined): string | undefined {
  if (error === undefined) return undefined;
  return stripAnsi(error.message ?? error.value ?? 'unknown error').slice(0, 4000);
}

/** Run a command for one line of output, or undefined if it fails. */
function output(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], cwd: benchDir }).trim();
  } catch {
    return undefined;
  }
}

function gitCommit(): string | undefined {
  const head = output('git', ['rev-parse', '--short', 'HEAD']);
  if (head === undefined) return undefined;
  const dirty = output('git', ['status', '--porcelain', '--untracked-files=no']);
  return dirty === undefined || dirty === '' ? head : `${head}+dirty`;
}

export default class LatestReporter implements Reporter {
  private started = new Date();
  private readonly outcomes: BenchOutcome[] = [];
  private readonly reports: Report[] = [];
  private readonly globalErrors: string[] = [];

  onBegin(): void {
    this.started = new Date();
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const names: string[] = [];
    for (const annotation of result.annotations) {
      if (annotation.type !== reportAnnotation || annotation.description === undefined) continue;
      try {
        const report = JSON.parse(readFileSync(annotation.description, 'utf8')) as Report;
        this.reports.push(report);
        names.push(report.name);
      } catch (error) {
        this.globalErrors.push(`could not read ${annotation.description}: ${String(error)}`);
      }
    }
    const error = errorText(result.error);
    this.outcomes.push({
      file: relative(benchDir, test.location.file),
      title: test.title,
      status: result.status,
      durationMs: result.duration,
      ...(error === undefined ? {} : { error }),
      reports: names,
    });
  }

  onError(error: TestError): void {
    this.globalErrors.push(errorText(error) ?? 'unknown error');
  }

  onEnd(result: FullResult): void {
    const browsers = [...new Set(this.reports.map((r) => r.environment.browser).filter((b) => b !== undefined))].map(String);
    const executable = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
    const browser = browsers.length > 0 ? browsers.join('; ') : (output(executable, ['--version']) ?? 'unknown');
    const settings = Object.fromEntries(knobs.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k] ?? '']])));
    if (this.outcomes.length === 0 && this.globalErrors.length === 0 && result.status !== 'passed') this.globalErrors.push(`run ended: ${result.status}`);
    const commit = gitCommit();
    const run: LatestRun = {
      generatedAt: this.started.toISOString(),
      durationSeconds: Math.round((Date.now() - this.started.getTime()) / 1000),
      command: process.env.BENCH_COMMAND ?? `playwright ${process.argv.slice(2).join(' ')}`,
      browser,
      ...(commit === undefined ? {} : { commit }),
      settings,
      cores: cpus().length,
      outcomes: this.outcomes,
      reports: this.reports,
      globalErrors: this.globalErrors,
    };
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(latestJson(run), null, 2)}\n`);
    writeFileSync(join(resultsDir, 'latest.md'), renderLatest(run));
    const failed = this.outcomes.filter((o) => o.status !== 'passed').length + this.globalErrors.length;
    console.log(
      `\nbench: ${this.reports.length} report(s) from ${this.outcomes.length} bench(es)${failed > 0 ? `, ${failed} failure(s)` : ''} → ${relative(process.cwd(), join(resultsDir, 'latest.md'))} and latest.json`,
    );
  }

  printsToStdio(): boolean {
    return false;
  }
}
