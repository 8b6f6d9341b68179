/**
 * Shared helpers for benchmarks: order statistics and the report writer (a JSON file
 * and a Markdown table per benchmark, under bench/results/). The report types and the
 * table renderer live in ./report (pure, unit-tested).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from '@playwright/test';
import { markdownTable, reportAnnotation, type Report } from './report';

export { markdownTable, type Report, type Row } from './report';

/** The value below which `q` (0…1) of the samples fall (nearest rank). */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** The median. */
export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** Write `bench/results/<name>.json` and `.md`, print the table, and note the report on the running test. */
export function writeReport(report: Report): void {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${report.name}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  const environment = Object.entries(report.environment)
    .map(([k, v]) => `- ${k}: ${String(v)}`)
    .join('\n');
  const markdown = `## ${report.title}\n\n${environment}\n\n${markdownTable(report.rows)}\n${(report.notes ?? []).map((n) => `\n${n}`).join('')}\n`;
  writeFileSync(join(resultsDir, `${report.name}.md`), markdown);
  console.log(`\n${markdown}`);
  test.info().annotations.push({ type: reportAnnotation, description: file });
}
