/**
 * The Playwright side of `inpage/testing`: `test` with an `inpage` fixture and Chromium
 * launched for WebGPU (or with WebGPU off), and `expect` with `toMeetLatencyBudget`.
 *
 * Each test's loads are recorded; at its end the fixture attaches `inpage-perf.json` and
 * `inpage-perf.md` to the test (they show in Playwright's HTML report), which
 * `inpage/testing/reporter` gathers into files and compares with a baseline.
 */
import { test as base, expect as baseExpect, type MatcherReturnType, type Page } from '@playwright/test';
import type { MetricsHook, MetricsSnapshot } from 'inpage';
import { readAdapter, type AdapterInfo } from './adapter.js';
import { judgeBudget, type LatencyBudget } from './budget.js';
import { closedPlan, drive, openPlan, type ClosedLoopOptions, type LoadResult, type OpenLoopOptions, type PageCall } from './load.js';
import { recordMarkdown, summarizeLoad, summarizeMetrics, type PerfRecord } from './record.js';

/** Which browser a project gets: WebGPU on (the default), or off so every backend falls back to WASM. */
export type InpageBrowser = 'webgpu' | 'wasm-only';

/**
 * Chromium flags per {@link InpageBrowser}. `webgpu` turns WebGPU on where Chromium keeps it
 * off (Linux, headless) and ignores the GPU blocklist; on Linux with an NVIDIA GPU, add
 * {@link chromiumFlags.linuxGpu} through `inpageChromiumArgs`, or Chromium falls back to
 * SwiftShader. `wasm-only` removes `--enable-unsafe-webgpu` (it would win) and disables
 * WebGPU: `navigator.gpu` stays but gives no adapter.
 */
export const chromiumFlags = {
  webgpu: ['--enable-unsafe-webgpu', '--ignore-gpu-blocklist'],
  'wasm-only': ['--disable-webgpu'],
  /** Headless Linux on an NVIDIA GPU through ANGLE and Vulkan (measured on an H200; `--use-angle=vulkan` crashed its GPU process). */
  linuxGpu: ['--use-gl=angle', '--use-angle=gl-egl', '--enable-features=Vulkan', '--disable-vulkan-surface', '--disable-gpu-sandbox'],
} as const;

/** The `inpage` fixture: the page's runtime metrics, its WebGPU adapter, and load drivers. */
export interface InpageFixture {
  /** The page's exposed runtimes' metrics (per model: stage percentiles, batch sizes, errors by code, throughput, TTFT; caches' hit rates). */
  metrics(): Promise<MetricsSnapshot>;
  /** What WebGPU is in this browser: vendor, description, whether it is a software adapter (SwiftShader said plainly). */
  adapter(): Promise<AdapterInfo>;
  /** Wait until every exposed runtime's queues are empty and no request is in flight. */
  waitForIdle(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Closed loop: `clients` callers of `call` (a page function) back to back for `durationMs`; recorded under its label. */
  closedLoop<A>(call: PageCall<A>, options: ClosedLoopOptions<A>): Promise<LoadResult>;
  /** Open loop: Poisson arrivals of `call` at `ratePerSecond` for `durationMs`, each timed from its arrival; recorded under its label. */
  openLoop<A>(call: PageCall<A>, options: OpenLoopOptions<A>): Promise<LoadResult>;
  /** Record a result measured another way (it is recorded already when a driver made it). */
  record(result: LoadResult): void;
}

/** Test-scoped options (set them in `use` or `test.use`). */
export interface InpageTestOptions {
  /** Make every runtime the page creates expose its metrics, with no change to the app. @default true */
  readonly inpageExpose: boolean;
}

/** Worker-scoped options (set them per project). */
export interface InpageWorkerOptions {
  /** WebGPU on or off for this project's browser. @default 'webgpu' */
  readonly inpageBrowser: InpageBrowser;
  /** More Chromium flags, e.g. {@link chromiumFlags.linuxGpu}. @default [] */
  readonly inpageChromiumArgs: readonly string[];
}

const hookMissing =
  'inpage/testing: the page exposes no runtime. Create the runtime after the page loads with the fixture in use (every runtime exposes itself), or call exposeMetrics(runtime) from "inpage" in the page.';

async function readHook(page: Page): Promise<{ version: unknown; snapshot: MetricsSnapshot } | null> {
  return page.evaluate(() => {
    const hook = (globalThis as { __inpage__?: MetricsHook }).__inpage__;
    if (hook === undefined) return null;
    return { version: hook.version, snapshot: hook.snapshot() };
  });
}

function checked(hook: Awaited<ReturnType<typeof readHook>>): { snapshot: MetricsSnapshot } {
  if (hook === null) throw new Error(hookMissing);
  if (hook.version !== 1)
    throw new Error(
      `inpage/testing: the page's inpage speaks metrics hook version ${String(hook.version)}; this kit knows version 1. Use the same inpage version in the app and the tests.`,
    );
  return hook;
}

/**
 * `test` with the `inpage` fixture and Chromium flags for WebGPU (see {@link InpageWorkerOptions}).
 *
 * @example
 * import { expect, test } from 'inpage/testing';
 *
 * test('8 users searching at once', async ({ page, inpage }) => {
 *   await page.goto('/');
 *   const result = await inpage.closedLoop((query, { client, i }) => window.search(`${query} ${client} ${i}`), {
 *     clients: 8,
 *     durationMs: 5000,
 *     warmupMs: 1000,
 *     arg: 'weather in',
 *   });
 *   expect(result).toMeetLatencyBudget({ p95Ms: 200, errorRate: 0 });
 *   expect(await inpage.metrics()).toMeetLatencyBudget({ model: 'search', stage: 'inference', p95Ms: 100 });
 * });
 */
export const test = base.extend<InpageTestOptions & { inpage: InpageFixture }, InpageWorkerOptions>({
  inpageBrowser: ['webgpu', { scope: 'worker', option: true }],
  inpageChromiumArgs: [[], { scope: 'worker', option: true }],
  inpageExpose: [true, { option: true }],
  launchOptions: [
    async ({ launchOptions, inpageBrowser, inpageChromiumArgs }, use) => {
      const own = (launchOptions.args ?? []).filter((arg) => inpageBrowser === 'webgpu' || arg !== '--enable-unsafe-webgpu');
      await use({ ...launchOptions, args: [...new Set([...own, ...chromiumFlags[inpageBrowser], ...inpageChromiumArgs])] });
    },
    { scope: 'worker' },
  ],
  context: async ({ context, inpageExpose }, use) => {
    if (inpageExpose) await context.addInitScript(() => Object.assign(globalThis, { __INPAGE_EXPOSE_METRICS__: true }));
    await use(context);
  },
  inpage: async ({ page, browser }, use, testInfo) => {
    const loads: LoadResult[] = [];
    const fixture: InpageFixture = {
      metrics: async () => checked(await readHook(page)).snapshot,
      adapter: () => readAdapter(page),
      waitForIdle: async ({ timeoutMs = 30_000 } = {}) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          // Idle as the hook's idle() says it, read from the one snapshot (no second merge in the page).
          const { snapshot } = checked(await readHook(page));
          if (snapshot.models.every((m) => m.queueDepth === 0 && m.inFlight === 0)) return;
          if (Date.now() > deadline) {
            const busy = snapshot.models
              .filter((m) => m.queueDepth > 0 || m.inFlight > 0)
              .map((m) => `${m.name}: ${m.queueDepth} queued, ${m.inFlight} in flight`);
            throw new Error(`inpage/testing: not idle after ${timeoutMs} ms (${busy.join('; ')})`);
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      closedLoop: async (call, options) => {
        const result = await drive(page, call, closedPlan(call, options), options.label);
        loads.push(result);
        return result;
      },
      openLoop: async (call, options) => {
        const result = await drive(page, call, openPlan(call, options), options.label);
        loads.push(result);
        return result;
      },
      record: (result) => {
        loads.push(result);
      },
    };
    await use(fixture);
    if (loads.length === 0 || page.isClosed()) return;
    // The last metrics the page shows (else the last load's), the adapter and the browser, as the record.
    const hook = await readHook(page).catch(() => null);
    const snapshot = hook?.snapshot ?? loads.at(-1)?.metrics ?? null;
    const adapter = await readAdapter(page).catch(() => null);
    const record: PerfRecord = {
      version: 1,
      test: { title: testInfo.title, titlePath: testInfo.titlePath.slice(1), file: testInfo.titlePath[0] ?? '', project: testInfo.project.name },
      browser: `${browser.browserType().name()} ${browser.version()}`,
      adapter,
      loads: loads.map(summarizeLoad),
      ...summarizeMetrics(snapshot),
    };
    await testInfo.attach('inpage-perf.json', { body: JSON.stringify(record, null, 2), contentType: 'application/json' });
    await testInfo.attach('inpage-perf.md', { body: recordMarkdown(record), contentType: 'text/markdown' });
  },
});

/**
 * `expect` with `toMeetLatencyBudget`.
 *
 * @example
 * const result = await inpage.openLoop((_, { i }) => window.detectSpeech(i), { ratePerSecond: 10, durationMs: 10_000 });
 * expect(result).toMeetLatencyBudget({ p99Ms: 300, errorRate: 0 });
 */
export const expect = baseExpect.extend({
  /**
   * A load result (without `model`: its own latencies) or a metrics snapshot (with `model`:
   * that model's stage) within the budget's limits; the message shows the distribution.
   */
  toMeetLatencyBudget(received: LoadResult | MetricsSnapshot, budget: LatencyBudget): MatcherReturnType {
    const verdict = judgeBudget(received, budget);
    return { pass: verdict.pass, message: () => verdict.message, name: 'toMeetLatencyBudget' };
  },
});
