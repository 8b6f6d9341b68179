/**
 * What both example specs need: open an example page, wait for its report
 * (`window.inpageExample`), and record what went over the network and to the console;
 * the speech sample's truth and the check of VAD segments against it.
 */
import { readFileSync } from 'node:fs';
import { expect, type Page, type Request } from '@playwright/test';

interface Truth {
  readonly speech: readonly { readonly startMs: number; readonly endMs: number }[];
}
/** The speech sample's segments, from the repository's own sample truth. */
export const speech = JSON.parse(readFileSync(new URL('../../public/samples/speech-16k.json', import.meta.url), 'utf8')) as Truth; // a committed JSON file of that shape

/** What an example page reports: results and typed errors per task, and `runtime.environment()`. */
export interface Report {
  done: boolean;
  results: Record<string, Record<string, unknown>>;
  errors: Record<string, { name: string; code?: string; message: string }>;
  environment?: { crossOriginIsolated: boolean; workerEvaluations: number; engines: { onnxruntime: string; tfjs: string } };
}

/** One answered request. */
export interface Seen {
  readonly url: string;
  readonly status: number | undefined;
  readonly contentType: string | undefined;
}

/** A run of an example page: its report, every request (page and workers), the answers, and console warnings/errors. */
export interface ExampleRun {
  readonly report: Report;
  readonly requests: string[];
  readonly responses: Seen[];
  readonly console: string[];
}

declare global {
  interface Window {
    inpageExample?: { done: boolean };
  }
}

/** Open the example with `query` and wait until every task finished. */
export async function runExample(page: Page, query: string): Promise<ExampleRun> {
  const requests: string[] = [];
  const responses: Seen[] = [];
  const consoleLines: string[] = [];
  const onRequest = (request: Request): void => {
    requests.push(request.url());
  };
  const onFinished = (request: Request): void => {
    void request.response().then((response) => {
      responses.push({ url: request.url(), status: response?.status(), contentType: response?.headers()['content-type'] });
    });
  };
  // The context sees the workers' requests too (the page's own events do not).
  page.context().on('request', onRequest);
  page.context().on('requestfinished', onFinished);
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') consoleLines.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  await page.goto(query);
  await page.waitForFunction(() => window.inpageExample?.done === true, undefined, { timeout: 200_000, polling: 250 });
  const report = await page.evaluate(() => window.inpageExample as unknown as Report); // the page's own report object, plain data
  page.context().off('request', onRequest);
  page.context().off('requestfinished', onFinished);
  return { report, requests, responses, console: consoleLines };
}

/** The VAD result found the sample's speech: as many segments, each within 150 ms (start) and 300 ms (end). */
export function expectSpeechSegments(result: Record<string, unknown> | undefined): void {
  const segments = (result as { segments: [number, number][] } | undefined)?.segments ?? []; // the example reports [startMs, endMs] pairs
  expect(segments).toHaveLength(speech.speech.length);
  segments.forEach(([start, end], i) => {
    expect(Math.abs(start - (speech.speech[i]?.startMs ?? 0)), `segment ${i} start`).toBeLessThan(150);
    expect(Math.abs(end - (speech.speech[i]?.endMs ?? 0)), `segment ${i} end`).toBeLessThan(300);
  });
}

/** The custom model (Silero VAD run by hand through `runtime.load`) answered a silent frame. */
export function expectCustomModel(result: Record<string, unknown> | undefined, backend: string): void {
  expect(result).toMatchObject({ backend, inputs: ['input', 'state', 'sr'], outputs: ['output', 'stateN'], usesLstm: true });
  expect((result as { silenceProbability: number } | undefined)?.silenceProbability).toBeLessThan(0.1);
}

/** The failure a page reports when its worker script answers 404: the URL, and how to pass `createWorker`. */
export async function expectMissingWorkerError(page: Page): Promise<void> {
  await page.route(/worker[^/]*\.js$/, (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'gone' }));
  const { report } = await runExample(page, '?backend=wasm&tasks=custom');
  const error = report.errors.custom;
  expect(error?.code).toBe('WORKER_CRASHED');
  expect(error?.message).toMatch(/worker[^ ]*\.js answered HTTP 404/);
  expect(error?.message).toContain('createWorker');
}
