/**
 * Shared helpers for benchmarks: order statistics and the report writer (a JSON file
 * and a Markdown table per benchmark, under bench/results/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** One row of a report: column name → value. */
export type Row = Record<string, string | number>;

/** A benchmark's results. */
export interface Report {
  readonly name: string;
  readonly title: string;
  /** Browser, backend notes, command. */
  readonly environment: Record<string, string | number | boolean>;
  readonly rows: readonly Row[];
  readonly notes?: readonly string[];
}

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

function cell(value: string | number): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value;
}

/** Render rows as a Markdown table. */
export function markdownTable(rows: readonly Row[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const lines = [`| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${columns.map((c) => cell(row[c] ?? '')).join(' | ')} |`);
  return lines.join('\n');
}

/** Write `bench/results/<name>.json` and `.md`, and print the table. */
export function writeReport(report: Report): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${report.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const environment = Object.entries(report.environment)
    .map(([k, v]) => `- ${k}: ${String(v)}`)
    .join('\n');
  const markdown = `## ${report.title}\n\n${environment}\n\n${markdownTable(report.rows)}\n${(report.notes ?? []).map((n) => `\n${n}`).join('')}\n`;
  writeFileSync(join(resultsDir, `${report.name}.md`), markdown);
  console.log(`\n${markdown}`);
}
