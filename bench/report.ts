/**
 * Benchmark reports as data and Markdown: the types every bench writes, the table
 * renderer, and the merge of one `npm run bench` run into `bench/results/latest.{json,md}`.
 * Pure (no I/O; tables from inpage/testing): bench/support.ts writes the per-bench files, and
 * bench/latest-reporter.ts gathers a run and writes what this module renders.
 */

/** The test annotation by which writeReport() tells bench/latest-reporter.ts which report it wrote (description: the JSON file). */
export const reportAnnotation = 'bench-report';

import { cell, markdownTable, tablesOf, type Row } from '../node/testing/markdown';

// Tables are inpage/testing's, as its reporter renders them for apps' performance tests.
export { cell, markdownTable, tablesOf, type Row };

/** A benchmark's results. */
export interface Report {
  readonly name: string;
  readonly title: string;
  /** Browser, backend, settings, command. */
  readonly environment: Record<string, string | number | boolean>;
  readonly rows: readonly Row[];
  readonly notes?: readonly string[];
}

/** How one benchmark test ended, and the reports it wrote before it ended. */
export interface BenchOutcome {
  /** The spec file, relative to bench/, e.g. `kv-prefix.bench.ts`. */
  readonly file: string;
  readonly title: string;
  readonly status: 'passed' | 'failed' | 'timedOut' | 'skipped' | 'interrupted';
  readonly durationMs: number;
  /** The error, ANSI colours stripped (failures only). */
  readonly error?: string;
  /** Names of the reports the test wrote (`Report.name`), in order. */
  readonly reports: readonly string[];
}

/** One run of `npm run bench`: what ran, how it ended, and what it measured. */
export interface LatestRun {
  /** ISO 8601 start of the run. */
  readonly generatedAt: string;
  readonly durationSeconds: number;
  readonly command: string;
  /** The browser, e.g. `Chromium 156.0.8078.79` (from the reports, else the binary). */
  readonly browser: string;
  /** `git rev-parse --short HEAD`, with `+dirty` when the tree had changes; absent outside git. */
  readonly commit?: string;
  /** The BENCH_* knobs set for this run (unset ones are at their defaults). */
  readonly settings: Readonly<Record<string, string>>;
  readonly cores?: number;
  readonly outcomes: readonly BenchOutcome[];
  readonly reports: readonly Report[];
  /** Errors outside any test (web server, config): they fail the run too. */
  readonly globalErrors?: readonly string[];
}

/** The contents of latest.json. */
export interface LatestJson {
  readonly generatedAt: string;
  readonly durationSeconds: number;
  readonly command: string;
  readonly browser: string;
  readonly commit: string | null;
  readonly cores: number | null;
  readonly settings: Readonly<Record<string, string>>;
  readonly ok: boolean;
  readonly benches: readonly BenchOutcome[];
  readonly failures: readonly { readonly bench: string; readonly status: string; readonly error: string }[];
  readonly reports: readonly Report[];
}

/** The backend(s) a report measured: `environment.backend`/`backends`, else its rows' `backend` column. */
export function backendOf(report: Report): string {
  const declared = report.environment.backend ?? report.environment.backends;
  if (declared !== undefined && String(declared) !== '') return String(declared);
  const fromRows = [...new Set(report.rows.map((r) => r.backend).filter((b) => b !== undefined && b !== ''))];
  return fromRows.length > 0 ? fromRows.join(', ') : 'not recorded';
}

/** The browser a report ran in, from its environment. */
export function browserOf(report: Report): string {
  const browser = report.environment.browser;
  return browser === undefined || String(browser) === '' ? 'not recorded' : String(browser);
}

/** A failure's error on one line for Markdown: its first lines (up to a call log or stack), joined. */
export function errorSummary(text: string | undefined): string {
  const lines: string[] = [];
  for (const raw of (text ?? '').split('\n')) {
    const line = raw.trim();
    if (line === 'Call log:' || line.startsWith('at ') || lines.length === 4) break;
    if (line !== '') lines.push(line);
  }
  const summary = lines.join(' · ');
  return summary.length > 300 ? `${summary.slice(0, 297)}...` : summary;
}

function benchLabel(outcome: BenchOutcome): string {
  return `${outcome.file} › ${outcome.title}`;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${cell(s)} s`;
}

/** Environment keys shown in a section's header line rather than its list. */
const headerKeys = new Set(['browser', 'backend', 'backends']);

/** The outcomes that did not pass (skipped tests count: the run did not measure them). */
export function failuresOf(run: LatestRun): BenchOutcome[] {
  return run.outcomes.filter((o) => o.status !== 'passed');
}

/** latest.json: the run, its benches, the failures, and every report in full. */
export function latestJson(run: LatestRun): LatestJson {
  const failures = failuresOf(run).map((o) => ({ bench: benchLabel(o), status: o.status, error: o.error ?? '' }));
  for (const error of run.globalErrors ?? []) failures.push({ bench: '(outside any benchmark)', status: 'failed', error });
  return {
    generatedAt: run.generatedAt,
    durationSeconds: run.durationSeconds,
    command: run.command,
    browser: run.browser,
    commit: run.commit ?? null,
    cores: run.cores ?? null,
    settings: run.settings,
    ok: failures.length === 0,
    benches: run.outcomes,
    failures,
    reports: run.reports,
  };
}

/** One report's section of latest.md. */
export function renderSection(report: Report, outcome?: BenchOutcome): string {
  const status = outcome === undefined ? '' : ` · ${outcome.status === 'passed' ? 'passed' : `**${outcome.status}**`} in ${seconds(outcome.durationMs)}`;
  const lines = [`## ${report.title}`, '', `backend: **${backendOf(report)}** · browser: ${browserOf(report)}${status}`, ''];
  const environment = Object.entries(report.environment).filter(([key]) => !headerKeys.has(key));
  for (const [key, value] of environment) lines.push(`- ${key}: ${String(value)}`);
  if (environment.length > 0) lines.push('');
  for (const table of tablesOf(report.rows)) lines.push(markdownTable(table), '');
  for (const note of report.notes ?? []) lines.push(note, '');
  if (outcome !== undefined && outcome.status !== 'passed') lines.push(`> **${outcome.status}** after writing this report: ${errorSummary(outcome.error)}`, '');
  return lines.join('\n');
}

/** latest.md: a header (date, browser, commit, settings), how to read it, a summary, failures, then every report. */
export function renderLatest(run: LatestRun): string {
  const byName = new Map(run.reports.map((r) => [r.name, r]));
  const outcomeOf = new Map(run.outcomes.flatMap((o) => o.reports.map((name) => [name, o] as const)));
  const failures = failuresOf(run);
  const settings = Object.entries(run.settings);
  const quick = run.settings.BENCH_QUICK !== undefined && run.settings.BENCH_QUICK !== '' && run.settings.BENCH_QUICK !== '0';
  const lines = [
    '# Benchmarks: latest run',
    '',
    `- date: ${run.generatedAt} (took ${seconds(run.durationSeconds * 1000)})`,
    `- browser: ${run.browser}`,
    `- commit: ${run.commit ?? 'unknown'}`,
    ...(run.cores === undefined ? [] : [`- cores: ${run.cores}`]),
    `- command: \`${run.command}\``,
    `- settings: ${settings.length === 0 ? 'defaults' : settings.map(([k, v]) => `${k}=${v}`).join(', ')}`,
    '',
    'How to read: every ratio (`×`, `speed_up`, `of ideal`) compares two ways of doing the same work, measured side by side in this one run ' +
      'on this machine, interleaved where the bench can; absolute times depend on the machine and on what else ran, the ratios much less. ' +
      'Speed-ups and throughput ratios (`throughput ×`, `speedup ×`, `speed_up`, `of ideal`): above 1× means the feature helps. ' +
      'Latency and cost ratios (`p95 ×`, `× idle`, `× memory`): lower is better. ' +
      'A bench that asserts a floor (kv-prefix) fails, and is listed under Failures, when its ratio falls below it. ' +
      'WebGPU: each report\u2019s header names the adapter it ran on, read in the page. On SwiftShader (WebGPU emulated on the CPU, what headless Chromium gets ' +
      'without a GPU) its ratios speak to per-call overhead and batching on an emulated GPU, not to GPU speed.',
    '',
  ];
  if (quick) lines.push('This was a quick run (`BENCH_QUICK=1`): fewer samples and wasm only, so its ratios are noisier than a full run.', '');

  lines.push('| bench | backend | browser | status | time | report |', '| --- | --- | --- | --- | --- | --- |');
  for (const outcome of run.outcomes) {
    const reports = outcome.reports.map((name) => byName.get(name)).filter((r): r is Report => r !== undefined);
    const backend = reports.length === 0 ? '' : [...new Set(reports.map(backendOf))].join('; ');
    const browser = reports.length === 0 ? '' : [...new Set(reports.map(browserOf))].join('; ');
    const status = outcome.status === 'passed' ? 'passed' : `**${outcome.status}**`;
    const written = outcome.reports.length === 0 ? '(none)' : outcome.reports.map((n) => `${n}.md`).join(', ');
    lines.push(`| ${outcome.file} | ${backend} | ${browser} | ${status} | ${seconds(outcome.durationMs)} | ${written} |`);
  }
  lines.push('');

  if (failures.length > 0 || (run.globalErrors ?? []).length > 0) {
    lines.push('## Failures', '');
    for (const outcome of failures) {
      const wrote = outcome.reports.length === 0 ? 'no report written' : `its report is below`;
      lines.push(`- ${benchLabel(outcome)}: **${outcome.status}** (${wrote})${outcome.error === undefined ? '' : `: ${errorSummary(outcome.error)}`}`);
    }
    for (const error of run.globalErrors ?? []) lines.push(`- outside any benchmark: ${errorSummary(error)}`);
    lines.push('');
  }

  const shown = new Set<string>();
  for (const report of run.reports) {
    if (shown.has(report.name)) continue;
    shown.add(report.name);
    lines.push(renderSection(report, outcomeOf.get(report.name)));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
