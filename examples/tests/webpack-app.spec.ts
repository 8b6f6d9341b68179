/**
 * The webpack example, installed from the packed tarball, in `webpack serve` (dev) and as a
 * production build served by its serve.mjs: with `createRuntime()` and no options, the VAD
 * task and a model of the app's own answer correctly; the worker is the asset webpack
 * emitted, the engines and models come from `/inpage/` as `npx inpage assets` laid them
 * out, everything is same-origin, the page is cross-origin isolated, and nothing is logged.
 */
import { expect, test } from '@playwright/test';
import { expectCustomModel, expectMissingWorkerError, expectSpeechSegments, runExample } from './example-page';

test('VAD and a custom model answer correctly on wasm with createRuntime() and no options, from same-origin assets', async ({ page, baseURL }) => {
  const { report, requests, responses, console: logged } = await runExample(page, '?backend=wasm');
  expect(report.errors).toEqual({});

  expect(report.results.vad).toMatchObject({ backend: 'wasm' });
  expectSpeechSegments(report.results.vad);
  expectCustomModel(report.results.custom, 'wasm');

  // The worker module ran once per worker; the page is cross-origin isolated (the server's COOP/COEP).
  expect(report.environment).toMatchObject({ crossOriginIsolated: true, workerEvaluations: 1, engines: { onnxruntime: '1.30.0', tfjs: '4.22.0' } });

  // Everything came from the app's origin.
  const base = new URL(baseURL ?? '/');
  const foreign = requests.filter((url) => new URL(url).origin !== base.origin);
  expect(foreign).toEqual([]);

  // The worker is the asset webpack emitted at the output's root, not a file in node_modules,
  // and it was served as JavaScript.
  const workers = requests.filter((url) => /worker[^/]*\.js$/.test(new URL(url).pathname));
  expect(workers.length).toBeGreaterThan(0);
  for (const url of workers) expect(new URL(url).pathname, url).toMatch(/^\/worker\.[0-9a-f]{8}\.js$/);
  expect(requests.filter((url) => url.includes('node_modules'))).toEqual([]);
  for (const url of workers) expect(responses.find((r) => r.url === url)?.contentType, url).toMatch(/^(text|application)\/javascript/);

  // Engines and models from /inpage/{ort,tfjs,models}/, where `npm run assets` put them.
  const assets = requests.filter((url) => /\.(onnx|wasm|bin|mjs)$/.test(new URL(url).pathname));
  expect(assets.length).toBeGreaterThanOrEqual(3); // ORT's .mjs loader and .wasm, the Silero model
  for (const url of assets) expect(new URL(url).pathname, url).toMatch(/^\/inpage\/(ort|tfjs|models)\//);
  expect(assets.some((url) => new URL(url).pathname.startsWith('/inpage/ort/') && url.endsWith('.wasm'))).toBe(true);
  for (const url of assets.filter((u) => u.endsWith('.wasm'))) expect(responses.find((r) => r.url === url)?.contentType, url).toBe('application/wasm');
  // The VAD task and the custom model load the same file: downloaded once, then read from IndexedDB.
  expect(requests.filter((url) => url.endsWith('/inpage/models/silero_vad_v5.onnx'))).toHaveLength(1);
  // Nothing failed over the network.
  expect(responses.filter((r) => r.status !== undefined && r.status >= 400)).toEqual([]);

  expect(logged).toEqual([]);
});

test('a missing file is a real 404, and a missing worker fails with its URL and how to pass createWorker', async ({ page, request }) => {
  const missing = await request.get('inpage/models/no-such-model.onnx');
  expect(missing.status()).toBe(404);

  await expectMissingWorkerError(page);
});
