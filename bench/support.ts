/**
 * Shared helpers for benchmarks: order statistics and the report writer (a JSON file
 * and a Markdown table per benchmark, under bench/results/). The report types and the
 * table renderer live in ./report (pure, unit-tested).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type Page } from '@playwright/test';
import { readAdapter } from '../node/testing/adapter';
import { markdownTable, reportAnnotation, tablesOf, type Report } from './report';

export { markdownTable, type Report, type Row } from './report';

// Order statistics are inpage/testing's (nearest rank), as apps' performance tests get them.
export { median, quantile } from '../node/testing/stats';

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** Write `bench/results/<name>.json` and `.md`, print the table, and note the report on the running test. */
export function writeReport(report: Report): void {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${report.name}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  const environment = Object.entries(report.environment)
    .map(([k, v]) => `- ${k}: ${String(v)}`)
    .join('\n');
  // Rows of different kinds (each its own columns) as separate tables, as in latest.md.
  const tables = tablesOf(report.rows).map(markdownTable).join('\n\n');
  const markdown = `## ${report.title}\n\n${environment}\n\n${tables}\n${(report.notes ?? []).map((n) => `\n${n}`).join('')}\n`;
  writeFileSync(join(resultsDir, `${report.name}.md`), markdown);
  console.log(`\n${markdown}`);
  test.info().annotations.push({ type: reportAnnotation, description: file });
}

/** What a report runs on, read in the page at run time (never assumed). */
export interface MachineFacts {
  /** `navigator.hardwareConcurrency`. */
  readonly cores: number;
  /** The WebGPU adapter: vendor, architecture and description from `adapter.info`, "(software: …)" for a CPU adapter; or why there is none. */
  readonly webgpu: string;
}

/** Read {@link MachineFacts} in the page (the adapter through inpage/testing's `readAdapter`, SwiftShader named as software). */
export async function machineFacts(page: Page): Promise<MachineFacts> {
  const [adapter, cores] = await Promise.all([readAdapter(page), page.evaluate(() => navigator.hardwareConcurrency)]);
  return { cores, webgpu: adapter.summary };
}
