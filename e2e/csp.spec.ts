/**
 * A strict Content-Security-Policy, `script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'`
 * (no `unsafe-eval`, no `unsafe-inline`, no blob: or data: workers), and a page without
 * cross-origin isolation (no SharedArrayBuffer, so single-threaded WASM).
 *
 * The preview server sends the headers (vite.config.ts, `e2eHeaderSwitches`), switched per
 * test by a cookie: on every response, documents and worker scripts alike, as a server
 * configured for it would. A dedicated worker takes its CSP from its own script's response,
 * so each test ends by proving the policy was in force in the page and in each session
 * worker (`eval` throws, a blob: worker is refused: fixtures/csp.ts), after checking that
 * nothing else violated it there, nor on the console of the page and its workers.
 */
import speech from '../public/samples/speech-16k.json' with { type: 'json' };
import { expect, test, type Page } from '@playwright/test';
import { expectNoViolationsAndPolicyInForce, recordCspViolations, strictCsp } from './fixtures/csp';

/** Vite's build of workers/session-worker.ts. */
const sessionWorker = /\/assets\/session-worker-[^/]*\.js$/;

/** Console errors of the page and its workers, and uncaught errors, as they come. */
type Logged = string[];

/**
 * Ask the preview server for the strict CSP and/or no cross-origin isolation for this test's
 * browser context (cookies, see vite.config.ts), record CSP violations, and collect errors.
 */
async function serve(page: Page, baseURL: string | undefined, options: { csp: boolean; isolation: boolean }): Promise<Logged> {
  const url = baseURL ?? '';
  const cookies = [];
  if (options.csp) cookies.push({ name: 'inpage-csp', value: 'strict', url });
  if (!options.isolation) cookies.push({ name: 'inpage-isolation', value: 'off', url });
  await page.context().addCookies(cookies);
  await recordCspViolations(page, sessionWorker);
  const logged: Logged = [];
  // Workers' console messages reach the page's console event too.
  page.on('console', (message) => {
    const worker = message.worker();
    if (message.type() === 'error') logged.push(`${worker === null ? 'page' : `worker ${worker.url()}`}: ${message.text()}`);
  });
  page.on('pageerror', (error) => logged.push(`pageerror: ${error.message}`));
  return logged;
}

/** Nothing was logged or violated the policy, and the policy is in force in the page and its session workers. */
async function expectCleanUnderPolicy(page: Page, logged: Logged): Promise<void> {
  expect(logged).toEqual([]);
  await expectNoViolationsAndPolicyInForce(page, sessionWorker);
}

const pairs = [
  ['How old are you?', 'What is your age?'],
  ['The weather is lovely today.', 'It is a beautiful sunny day.'],
  ['I would like to book a flight to Paris.', 'Please reserve a plane ticket to Paris for me.'],
] as const;

type TaskName = 'vad' | 'frame' | 'embeddings' | 'pose';

/** What the harness runs: VAD (ONNX Runtime), embeddings and pose (TF.js), checked as their own specs check them. */
interface TaskResults {
  environment: { crossOriginIsolated: boolean; ortNumThreads: number; tfjsNumThreads: number };
  page: { crossOriginIsolated: boolean; sharedArrayBuffer: boolean };
  vad?: { backend: string; segments: { startMs: number; endMs: number }[] };
  /** One Silero frame through `runtime.load` on the backend and on WASM: the same speech probability. */
  frame?: { backend: string; probability: number; wasm: number };
  embeddings?: { backend: string; lengths: number[]; paraphrase: number[]; unrelated: number[] };
  pose?: { backend: string; nose: { name: string; x: number; y: number; score: number } | undefined };
  /** Load and first call of each task, ms. */
  ms: Partial<Record<TaskName, number>>;
}

/** Open the harness and run `tasks` on `backend` in one runtime, which stays up (its workers are probed afterwards). */
async function runTasks(page: Page, backend: 'wasm' | 'webgpu', tasks: readonly TaskName[], ortNumThreads = 0): Promise<TaskResults> {
  await page.goto('/e2e/harness.html');
  await expect(page.locator('#status')).toHaveText('ready');
  const result = await page.evaluate(
    async ({ backend, tasks, ortNumThreads, sentences }) => {
      // Leave Playwright's evaluation first: DevTools lets `eval` through while it runs.
      await new Promise((resolve) => setTimeout(resolve));
      const { createRuntime, EmbeddingTask } = window.inpage;
      const runtime = createRuntime({ ortNumThreads });
      const environment = await runtime.environment();
      const out: TaskResults = {
        environment: {
          crossOriginIsolated: environment.crossOriginIsolated,
          ortNumThreads: environment.ortNumThreads,
          tfjsNumThreads: environment.tfjsNumThreads,
        },
        page: { crossOriginIsolated: globalThis.crossOriginIsolated, sharedArrayBuffer: typeof SharedArrayBuffer === 'function' },
        ms: {},
      };
      let started = performance.now();
      const lap = (task: TaskName) => {
        out.ms[task] = Math.round(performance.now() - started);
        started = performance.now();
      };
      if (tasks.includes('vad')) {
        const vad = await runtime.vad({ backend });
        const detected = await vad.detect(await (await fetch('/samples/speech-16k.wav')).blob());
        out.vad = { backend: vad.backend, segments: detected.segments.map(({ startMs, endMs }) => ({ startMs, endMs })) };
        lap('vad');
      }
      if (tasks.includes('frame')) {
        const { tensor } = window.inpage;
        const inputs = () => ({
          input: tensor(
            'float32',
            [1, 576],
            new Float32Array(576).map((_, k) => Math.sin(k / 5) * 0.3),
          ),
          state: tensor('float32', [2, 1, 128], new Float32Array(256)),
          sr: tensor('int64', [], BigInt64Array.of(16000n)),
        });
        const source = '/models/silero_vad_v5.onnx';
        const model = await runtime.load({ format: 'onnx', source, backend, id: 'frame' });
        const reference = await runtime.load({ format: 'onnx', source, backend: 'wasm', id: 'frame-wasm' });
        const probability = Number((await model.run(inputs())).output?.data[0]);
        out.frame = { backend: model.backend, probability, wasm: Number((await reference.run(inputs())).output?.data[0]) };
        lap('frame');
      }
      if (tasks.includes('embeddings')) {
        const encoder = await runtime.embeddings({ backend });
        const vectors = await encoder.embed(sentences);
        const cosine = (i: number, j: number) => EmbeddingTask.cosineSimilarity(vectors[i] ?? new Float32Array(), vectors[j] ?? new Float32Array());
        const unrelated: number[] = [];
        for (let i = 0; i < sentences.length; i++)
          for (let j = i + 1; j < sentences.length; j++) if (Math.floor(i / 2) !== Math.floor(j / 2)) unrelated.push(cosine(i, j));
        out.embeddings = { backend: encoder.backend, lengths: vectors.map((v) => v.length), paraphrase: [0, 2, 4].map((i) => cosine(i, i + 1)), unrelated };
        lap('embeddings');
      }
      if (tasks.includes('pose')) {
        const pose = await runtime.pose({ backend });
        const { keypoints } = await pose.detect('/samples/astronaut.jpg');
        out.pose = { backend: pose.backend, nose: keypoints[0] };
        lap('pose');
      }
      return out;
    },
    { backend, tasks, ortNumThreads, sentences: pairs.flat() },
  );
  test.info().annotations.push({ type: `load + first call on ${backend}`, description: JSON.stringify(result.ms) });
  return result;
}

/** Each task that ran answered on `backend` as its own spec asserts. */
function expectCorrect(result: TaskResults, backend: 'wasm' | 'webgpu', tasks: readonly TaskName[]): void {
  if (tasks.includes('vad')) {
    expect(result.vad?.backend).toBe(backend);
    const segments = result.vad?.segments ?? [];
    expect(segments).toHaveLength(speech.speech.length);
    segments.forEach((segment, i) => {
      expect(Math.abs(segment.startMs - (speech.speech[i]?.startMs ?? 0)), `segment ${i} start`).toBeLessThanOrEqual(150);
      expect(Math.abs(segment.endMs - (speech.speech[i]?.endMs ?? 0)), `segment ${i} end`).toBeLessThanOrEqual(300);
    });
  }
  if (tasks.includes('frame')) {
    expect(result.frame?.backend).toBe(backend);
    expect(result.frame?.probability).toBeGreaterThan(0);
    expect(result.frame?.probability).toBeCloseTo(result.frame?.wasm ?? Number.NaN, 4);
  }
  if (tasks.includes('embeddings')) {
    expect(result.embeddings?.backend).toBe(backend);
    expect(result.embeddings?.lengths).toEqual(pairs.flat().map(() => 512));
    const worstUnrelated = Math.max(...(result.embeddings?.unrelated ?? []));
    expect(result.embeddings?.paraphrase).toHaveLength(3);
    result.embeddings?.paraphrase.forEach((cosine, i) => expect(cosine, `pair ${i}`).toBeGreaterThan(worstUnrelated + 0.15));
  }
  if (tasks.includes('pose')) {
    expect(result.pose?.backend).toBe(backend);
    // The astronaut's face is near (222, 121) in the 512×512 photo.
    expect(result.pose?.nose?.name).toBe('nose');
    expect(Math.abs((result.pose?.nose?.x ?? 0) - 222)).toBeLessThan(20);
    expect(Math.abs((result.pose?.nose?.y ?? 0) - 121)).toBeLessThan(20);
  }
}

test('the strict CSP is on every response, the harness page and its worker scripts alike', async ({ page, baseURL }) => {
  await serve(page, baseURL, { csp: true, isolation: true });
  const worker = page.waitForResponse(sessionWorker);
  await page.goto('/e2e/harness.html');
  await expect(page.locator('#status')).toHaveText('ready');
  const document = await page.request.get('/e2e/harness.html');
  await page.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    await runtime.environment();
    await runtime.dispose();
  });
  // Both straight from the server (the worker's script also went through the recorder's route).
  for (const response of [document, await page.request.get((await worker).url())]) {
    expect(response.headers()['content-security-policy'], response.url()).toBe(strictCsp);
    expect(response.headers()['cross-origin-embedder-policy'], response.url()).toBe('require-corp');
  }
});

test('under the strict CSP, ONNX Runtime (VAD, 2 WASM threads) and TF.js (embeddings, pose) answer on wasm, with no violation in the page or its workers', async ({
  page,
  baseURL,
}) => {
  const logged = await serve(page, baseURL, { csp: true, isolation: true });
  const tasks = ['vad', 'embeddings', 'pose'] as const;
  const result = await runTasks(page, 'wasm', tasks, 2);
  expect(result.page).toEqual({ crossOriginIsolated: true, sharedArrayBuffer: true });
  // ORT's pthread workers are module workers of its own same-origin .mjs: worker-src 'self' allows them.
  expect(result.environment).toEqual({ crossOriginIsolated: true, ortNumThreads: 2, tfjsNumThreads: 1 });
  // WASM sessions run on ORT's CPU-only build, so its threads are workers of ort-wasm-simd-threaded.mjs (never the JSEP build's loader).
  const ortWorkers = page
    .workers()
    .map((w) => w.url())
    .filter((url) => url.includes('/ort/'));
  expect(ortWorkers.filter((url) => url.endsWith('/ort/ort-wasm-simd-threaded.mjs')).length, 'ONNX Runtime thread workers').toBeGreaterThan(0);
  expect(
    ortWorkers.filter((url) => url.includes('.jsep.')),
    'JSEP build workers on a WASM-only page',
  ).toEqual([]);
  expectCorrect(result, 'wasm', tasks);
  await expectCleanUnderPolicy(page, logged);
});

test('under the strict CSP, ONNX Runtime (a VAD frame) and TF.js (pose) answer on webgpu, with no violation in the page or its workers', async ({
  page,
  baseURL,
}) => {
  test.slow(); // SwiftShader runs WebGPU on the CPU
  const logged = await serve(page, baseURL, { csp: true, isolation: true });
  // One frame, not a whole clip: SwiftShader takes ~90 s for the clip (the wasm test runs it).
  const tasks = ['frame', 'pose'] as const;
  const result = await runTasks(page, 'webgpu', tasks);
  expectCorrect(result, 'webgpu', tasks);
  await expectCleanUnderPolicy(page, logged);
});

test('without cross-origin isolation (and under the strict CSP) WASM runs single-threaded and answers correctly', async ({ page, baseURL }) => {
  const logged = await serve(page, baseURL, { csp: true, isolation: false });
  const document = await page.request.get('/e2e/harness.html');
  expect(document.headers()['cross-origin-opener-policy']).toBeUndefined();
  expect(document.headers()['cross-origin-embedder-policy']).toBeUndefined();
  // Four threads asked for; without SharedArrayBuffer ONNX Runtime runs one.
  const tasks = ['vad', 'embeddings'] as const;
  const result = await runTasks(page, 'wasm', tasks, 4);
  expect(result.page).toEqual({ crossOriginIsolated: false, sharedArrayBuffer: false });
  expect(result.environment).toEqual({ crossOriginIsolated: false, ortNumThreads: 1, tfjsNumThreads: 1 });
  expectCorrect(result, 'wasm', tasks);
  await expectCleanUnderPolicy(page, logged);
});

test('the demo page runs its panels under the strict CSP, and its search form works without inline handlers', async ({ page, baseURL }) => {
  test.setTimeout(240_000);
  const logged = await serve(page, baseURL, { csp: true, isolation: true });
  await page.goto('/?backend=wasm&panels=vad,pose,embed');
  await expect(page.locator('#status')).toHaveText('Done.', { timeout: 200_000 });
  for (const panel of ['vad', 'pose', 'embed']) {
    await expect(page.locator(`#${panel}-backend`)).toHaveText('wasm');
    await expect(page.locator(`#${panel}-error`)).toBeHidden();
  }
  const segments = (await page.locator('#vad-segments').textContent()) ?? '';
  const starts = [...segments.matchAll(/(\d+)–(\d+) ms/g)].map((m) => Number(m[1]));
  expect(starts).toHaveLength(speech.speech.length);
  for (const { startMs } of speech.speech) expect(starts.some((s) => Math.abs(s - startMs) <= 150)).toBe(true);
  const keypoints = await page.locator('#pose-keypoints li').allTextContents();
  for (const name of ['nose', 'leftShoulder', 'rightShoulder']) expect(keypoints.some((k) => k.startsWith(`${name}:`))).toBe(true);
  await expect(page.locator('#embed-results li').first()).toContainText('Heavy rain is expected');
  // A search submits the form: the page's script answers it, and the page stays where it is.
  const url = page.url();
  await page.fill('#embed-query', 'When does the plane to Paris take off?');
  await page.click('#embed-form button[type="submit"]');
  await expect(page.locator('#embed-results li').first()).toContainText('Our flight to Paris');
  expect(page.url()).toBe(url);
  await expectCleanUnderPolicy(page, logged);
});
