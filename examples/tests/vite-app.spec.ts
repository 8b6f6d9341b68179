/**
 * The Vite example, installed from the packed tarball, in `vite` dev, `vite build` +
 * `vite preview`, a build under `base: '/sub/'`, and a build served with a strict
 * Content-Security-Policy: every built-in task and a model of the app's own answer
 * correctly, the worker and every asset come from the app's own origin under its base, the
 * worker module is evaluated once, and nothing is logged (nor, under the CSP, violated).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { expectNoViolationsAndPolicyInForce, recordCspViolations, strictCsp } from '../../e2e/fixtures/csp';
import { expectCustomModel, expectMissingWorkerError, expectSpeechSegments, runExample, type Report } from './example-page';

/** The package's worker.js, as `vite build` emits it. */
const builtWorker = /\/assets\/worker-[^/]*\.js$/;

/** Every request came from the app's origin; engines and models from `<base>inpage/`, the worker from under the base. */
function expectAssetsUnderBase(requests: readonly string[], baseURL: string | undefined): void {
  const base = new URL(baseURL ?? '/');
  expect(requests.filter((url) => new URL(url).origin !== base.origin)).toEqual([]);
  const assets = requests.filter((url) => /\.(onnx|wasm|bin)$|ort-wasm[^/]*\.mjs$|\/model\.json$|movenet-lightning\.json$/.test(new URL(url).pathname));
  expect(assets.length).toBeGreaterThan(4);
  for (const url of assets) expect(new URL(url).pathname, url).toMatch(new RegExp(`^${base.pathname}inpage/(ort|tfjs|models)/`));
  const workers = requests.filter((url) => /worker[^/]*\.js$/.test(new URL(url).pathname));
  expect(workers.length).toBeGreaterThan(0);
  for (const url of workers) expect(new URL(url).pathname.startsWith(base.pathname), url).toBe(true);
  // The VAD task and the custom model load the same file: downloaded once, then read from IndexedDB.
  expect(requests.filter((url) => url.endsWith('/inpage/models/silero_vad_v5.onnx'))).toHaveLength(1);
}

/** The ONNX Runtime builds whose files the app fetched: `cpu` (ort-wasm-simd-threaded.{mjs,wasm}) and/or `jsep` (….jsep.{mjs,wasm}). */
function ortBuildsFetched(requests: readonly string[]): string[] {
  const files = requests.map((url) => new URL(url).pathname).filter((path) => /\/inpage\/ort\/ort-wasm-simd-threaded(\.jsep)?\.wasm$/.test(path));
  return [...new Set(files.map((path) => (path.endsWith('.jsep.wasm') ? 'jsep' : 'cpu')))].sort();
}

/** Every built-in task and the custom model answered correctly on wasm, in a cross-origin-isolated page. */
function expectEveryTask(report: Report): void {
  expect(report.errors).toEqual({});

  expect(report.results.vad).toMatchObject({ backend: 'wasm' });
  expectSpeechSegments(report.results.vad);

  const pose = report.results.pose as { keypoints: number; nose: { x: number; y: number; score: number } };
  expect(pose.keypoints).toBe(17);
  expect(Math.abs(pose.nose.x - 222)).toBeLessThan(20);
  expect(Math.abs(pose.nose.y - 121)).toBeLessThan(20);

  expect(report.results.ocr).toMatchObject({ backend: 'wasm', lines: ['The quick brown fox', 'jumps over the lazy dog'] });

  const embeddings = report.results.embeddings as { dimensions: number; paraphrase: number; unrelated: number; uint8VsFp32: number };
  expect(embeddings.dimensions).toBe(512);
  expect(embeddings.uint8VsFp32).toBeGreaterThan(0.99);
  expect(embeddings.paraphrase).toBeGreaterThan(0.7);
  expect(embeddings.unrelated).toBeLessThan(embeddings.paraphrase - 0.2);

  const generation = report.results.generation as { text: string; tokenIds: number[]; promptTokens: number; finishReason: string };
  expect(generation.promptTokens).toBe(5);
  expect(generation.tokenIds).toHaveLength(6);
  expect(generation.finishReason).toBe('length');
  expect(generation.text.length).toBeGreaterThan(0);

  expectCustomModel(report.results.custom, 'wasm');

  // The worker module ran once per worker, the page is cross-origin isolated (the plugin's headers).
  expect(report.environment).toMatchObject({ crossOriginIsolated: true, workerEvaluations: 1, engines: { onnxruntime: '1.30.0', tfjs: '4.22.0' } });
}

test('every built-in task and a custom model answer correctly on wasm, from same-origin assets', async ({ page, baseURL }, info) => {
  test.skip(
    info.project.name === 'vite-base' || info.project.name === 'vite-csp',
    'the build under a base and the build under a CSP run their own tests below',
  );
  const { report, requests, console: logged } = await runExample(page, '?backend=wasm');
  expectEveryTask(report);
  expectAssetsUnderBase(requests, baseURL);
  // WASM sessions run on ORT's CPU-only build: the JSEP build's 28 MB are never fetched.
  expect(ortBuildsFetched(requests)).toEqual(['cpu']);
  expect(logged).toEqual([]);
});

// Only the production build runs under the CSP: that is what gets deployed with one. The dev
// server (Vite's HMR client, modules transformed on the fly) is not tested under it.
test('under a strict Content-Security-Policy, every task answers with no violation in the page or the worker', async ({ page, baseURL }, info) => {
  test.skip(info.project.name !== 'vite-csp', 'the production build served with the CSP header (CSP=strict, see vite-app/vite.config.ts)');
  await recordCspViolations(page, builtWorker);
  const { report, requests, console: logged } = await runExample(page, '?backend=wasm');
  expectEveryTask(report);
  expectAssetsUnderBase(requests, baseURL);
  expect(logged).toEqual([]);
  // The header is on the page and on the worker's script (a worker's CSP comes from its own response)…
  const worker = requests.find((url) => builtWorker.test(new URL(url).pathname));
  for (const url of [baseURL ?? '/', worker ?? '']) expect((await page.request.get(url)).headers()['content-security-policy'], url).toBe(strictCsp);
  // …and in force in both, where nothing violated it.
  await expectNoViolationsAndPolicyInForce(page, builtWorker);
});

test('under its base, the ONNX and TF.js engines, the models and the worker all load from /sub/', async ({ page, baseURL }, info) => {
  test.skip(info.project.name !== 'vite-base', 'only the build under base /sub/');
  expect(new URL(baseURL ?? '/').pathname).toBe('/sub/');
  const { report, requests, console: logged } = await runExample(page, '?backend=wasm&tasks=vad,pose,custom');
  expect(report.errors).toEqual({});
  expectSpeechSegments(report.results.vad);
  expect(report.results.pose).toMatchObject({ backend: 'wasm', keypoints: 17 });
  expectCustomModel(report.results.custom, 'wasm');
  expect(report.environment).toMatchObject({ crossOriginIsolated: true, workerEvaluations: 1 });
  expectAssetsUnderBase(requests, baseURL);
  expect(logged).toEqual([]);
});

test('a reload answers from the weights cache: no model file is downloaded again', async ({ page }, info) => {
  test.skip(info.project.name !== 'vite-build', 'once is enough');
  await runExample(page, '?backend=wasm&tasks=vad,custom');
  const { report, requests } = await runExample(page, '?backend=wasm&tasks=vad,custom');
  expect(report.errors).toEqual({});
  expect(requests.filter((url) => /\/inpage\/models\//.test(url))).toEqual([]);
});

test('the packaged worker runs ONNX Runtime on WebGPU (the custom model)', async ({ page }, info) => {
  test.skip(info.project.name !== 'vite-dev', 'WebGPU is SwiftShader here: once is enough (e2e/ covers every task on WebGPU)');
  const { report, requests, console: logged } = await runExample(page, '?backend=webgpu&tasks=custom');
  expect(report.errors).toEqual({});
  expectCustomModel(report.results.custom, 'webgpu');
  // WebGPU sessions run on ORT's JSEP build, and only it is fetched.
  expect(ortBuildsFetched(requests)).toEqual(['jsep']);
  expect(logged).toEqual([]);
});

test('a worker script that is not served fails with the URL and how to pass createWorker', async ({ page }, info) => {
  test.skip(info.project.name !== 'vite-build', 'once is enough');
  await expectMissingWorkerError(page);
});

test("the dev server serves the package's worker.js byte for byte (no Vite client injected)", async ({ page }, info) => {
  test.skip(info.project.name !== 'vite-dev', 'dev only');
  const { requests } = await runExample(page, '?backend=wasm&tasks=custom');
  const worker = requests.find((url) => /worker[^/]*\.js$/.test(new URL(url).pathname));
  expect(worker).toBeDefined();
  const served = await (await page.request.get(worker ?? '')).body();
  const shipped = readFileSync(new URL('../vite-app/node_modules/inpage/dist/worker.js', import.meta.url));
  const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
  expect(sha256(served)).toBe(sha256(shipped));
});
