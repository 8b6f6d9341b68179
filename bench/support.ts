/**
 * Shared helpers for benchmarks: order statistics and the report writer (a JSON file
 * and a Markdown table per benchmark, under bench/results/). The report types and the
 * table renderer live in ./report (pure, unit-tested).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type Page } from '@playwright/test';
import { markdownTable, reportAnnotation, tablesOf, type Report } from './report';

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
  /** The WebGPU adapter: vendor, architecture and description from `adapter.info`, "fallback" when it is a software adapter; or why there is none. */
  readonly webgpu: string;
}

/** Read {@link MachineFacts} in the page. */
export async function machineFacts(page: Page): Promise<MachineFacts> {
  return page.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GPUAdapterLike | null> } }).gpu;
    interface GPUAdapterLike {
      readonly info?: { readonly vendor: string; readonly architecture: string; readonly description: string };
      readonly isFallbackAdapter?: boolean;
    }
    let webgpu = 'no navigator.gpu';
    if (gpu !== undefined) {
      // A first requestAdapter() can answer null while the GPU process starts (seen on the H200 machine): ask again.
      let adapter: GPUAdapterLike | null = null;
      for (let attempt = 0; attempt < 3 && adapter === null; attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500));
        adapter = await gpu.requestAdapter();
      }
      if (adapter === null) webgpu = 'no adapter';
      else {
        const info = adapter.info;
        const parts = [info?.vendor, info?.architecture, info?.description].filter((p) => p !== undefined && p !== '');
        webgpu = `${parts.join(' / ') || 'unnamed adapter'}${adapter.isFallbackAdapter === true ? ' (fallback adapter)' : ''}`;
      }
    }
    return { cores: navigator.hardwareConcurrency, webgpu };
  });
}
