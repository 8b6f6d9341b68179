/**
 * `inpage/testing`: Playwright performance tests for apps that use inpage.
 *
 * - `test`: Playwright's `test` with Chromium launched for WebGPU (or with WebGPU off, per
 *   project) and an `inpage` fixture: the page's runtime metrics, its WebGPU adapter,
 *   `waitForIdle()`, and closed- and open-loop load drivers.
 * - `expect`: with `toMeetLatencyBudget({ p95Ms, … })`.
 * - `inpage/testing/reporter`: per-test JSON and Markdown, and a baseline comparison that
 *   fails the run on a regression.
 *
 * Node side; `@playwright/test` is a peer dependency. The page side is `exposeMetrics` in
 * the main entry (or nothing: the fixture makes every runtime expose itself).
 *
 * @module
 */
export { chromiumFlags, expect, test } from './fixture.js';
export type { InpageBrowser, InpageFixture, InpageTestOptions, InpageWorkerOptions } from './fixture.js';
export { adapterInfo, readAdapter } from './adapter.js';
export type { AdapterInfo } from './adapter.js';
export { judgeBudget } from './budget.js';
export type { BudgetVerdict, LatencyBudget } from './budget.js';
export { LoadOptionsError } from './load.js';
export type { ClosedLoopOptions, LoadOptions, LoadResult, OpenLoopOptions, PageCall } from './load.js';
export { baselineEntries, compareWithBaseline, comparisonMarkdown, metricDirection, recordMarkdown } from './record.js';
export type {
  Baseline,
  BaselineComparison,
  CacheSummary,
  LoadSummary,
  MetricComparison,
  MetricName,
  MetricValues,
  ModelSummary,
  PerfRecord,
  Tolerance,
} from './record.js';
export { describeDistribution, distribution, histogram, median, quantile, quantileSorted } from './stats.js';
export type { Distribution } from './stats.js';
export { cell, markdownTable, tablesOf } from './markdown.js';
export type { Row } from './markdown.js';
export { default as InpageReporter } from './reporter.js';
export type { InpageReporterOptions } from './reporter.js';
