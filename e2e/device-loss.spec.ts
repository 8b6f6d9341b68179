/**
 * WebGPU device loss: the device the engine uses is destroyed under it (what a driver reset
 * or a GPU process restart does). The worker notices (`GPUDevice.lost`) and ends itself;
 * the runtime starts a fresh worker, loads the model again — on WebGPU while an adapter is
 * there, else on WASM with a warning — and sends the requests in flight once more. None is
 * lost.
 */
import { expect, test } from './fixtures/page';

// A fresh worker and a WebGPU (SwiftShader) load per loss.
test.describe.configure({ timeout: 300_000 });

/**
 * The session worker, wrapped: it remembers every GPUDevice made in it and destroys them on
 * `inpage-test:lose-device`; with `noAdapter`, the worker sees no WebGPU adapter at all.
 */
const wrapperSource = (noAdapter: boolean): string => `import SESSION_WORKER_URL;
const devices = [];
const requestDevice = GPUAdapter.prototype.requestDevice;
GPUAdapter.prototype.requestDevice = async function (...args) {
  const device = await requestDevice.apply(this, args);
  devices.push(device);
  return device;
};
${noAdapter ? 'navigator.gpu.requestAdapter = async () => null;' : ''}
self.addEventListener('message', (event) => {
  if (event.data === 'inpage-test:lose-device') for (const device of devices) device.destroy();
});`;

const wrappers = { withAdapter: wrapperSource(false), noAdapter: wrapperSource(true) };

test('an ONNX model whose WebGPU device is lost with 32 requests in flight: a fresh worker on a new device answers them all', async ({ harness }) => {
  const result = await harness.evaluate(async (wrappers) => {
    const { createRuntime, tensor } = window.inpage;
    const { sessionWorkerUrl } = window.harness;
    const workers: Worker[] = [];
    const source = (url: string, noAdapter: boolean): string =>
      (noAdapter ? wrappers.noAdapter : wrappers.withAdapter).replace('SESSION_WORKER_URL', JSON.stringify(url));
    const runtime = createRuntime({
      createWorker: (name) => {
        const code = source(sessionWorkerUrl, false);
        const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })), { type: 'module', name });
        workers.push(worker);
        return worker;
      },
    });
    const frame = (i: number) => ({
      input: tensor(
        'float32',
        [1, 576],
        new Float32Array(576).map((_, k) => Math.sin((k + 11 * i) / 5) * 0.3),
      ),
      state: tensor('float32', [2, 1, 128], new Float32Array(256)),
      sr: tensor('int64', [], BigInt64Array.of(16000n)),
    });
    const vad = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'webgpu', id: 'vad' });
    const expected: number[] = [];
    for (let i = 0; i < 32; i += 1) expected.push(Number((await vad.run(frame(i))).output?.data[0]));
    const calls = Array.from({ length: 32 }, (_, i) =>
      vad.run(frame(i)).then(
        (r) => Math.abs(Number(r.output?.data[0]) - (expected[i] ?? Number.NaN)),
        (e: unknown) => (e instanceof window.inpage.InpageError ? e.code : String(e)),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    workers[0]?.postMessage('inpage-test:lose-device');
    const settled = await Promise.race([Promise.all(calls), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 180_000))]);
    const metrics = runtime.metrics.snapshot().models.find((m) => m.name === 'vad');
    const out = { settled, backend: vad.backend, workersStarted: workers.length, restarts: metrics?.workerRestarts, retries: metrics?.retries };
    await runtime.dispose();
    return out;
  }, wrappers);
  expect(result.settled).not.toBe('hung');
  const settled = result.settled as (number | string)[];
  expect(settled.filter((s) => typeof s === 'string')).toEqual([]);
  for (const delta of settled) expect(delta).toBeLessThan(1e-4);
  expect(result.backend).toBe('webgpu');
  expect(result.workersStarted).toBe(2);
  expect(result.restarts).toBe(1);
});

test('a task (pose, TF.js) whose WebGPU device is lost where no adapter is left: it moves to WASM with a warning, and the calls in flight are answered', async ({
  harness,
}) => {
  const warnings: string[] = [];
  harness.on('console', (message) => {
    if (message.type() === 'warning' && message.text().includes('lost WebGPU')) warnings.push(message.text());
  });
  const result = await harness.evaluate(async (wrappers) => {
    const { createRuntime } = window.inpage;
    const { sessionWorkerUrl } = window.harness;
    const workers: Worker[] = [];
    const source = (url: string, noAdapter: boolean): string =>
      (noAdapter ? wrappers.noAdapter : wrappers.withAdapter).replace('SESSION_WORKER_URL', JSON.stringify(url));
    const runtime = createRuntime({
      createWorker: (name) => {
        // The first worker has WebGPU; the ones after it find no adapter.
        const code = source(sessionWorkerUrl, workers.length > 0);
        const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })), { type: 'module', name });
        workers.push(worker);
        return worker;
      },
    });
    const pose = await runtime.pose({ backend: 'webgpu', name: 'pose' });
    const blob = await (await fetch('/samples/astronaut.jpg')).blob();
    const before = pose.backend;
    const reference = (await pose.detect(blob)).keypoints.map((k) => [k.x, k.y, k.score]);
    const calls = Array.from({ length: 3 }, () => pose.detect(blob));
    await new Promise((resolve) => setTimeout(resolve, 5));
    workers[0]?.postMessage('inpage-test:lose-device');
    const settled = await Promise.race([Promise.allSettled(calls), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 180_000))]);
    const after = (await pose.detect(blob)).keypoints.map((k) => [k.x, k.y, k.score]);
    const metrics = runtime.metrics.snapshot().models.find((m) => m.name === 'pose');
    const out = {
      before,
      backend: pose.backend,
      reference,
      after,
      settled:
        settled === 'hung'
          ? 'hung'
          : settled.map((s) =>
              s.status === 'fulfilled'
                ? s.value.keypoints.map((k) => [k.x, k.y, k.score])
                : s.reason instanceof window.inpage.InpageError
                  ? s.reason.code
                  : String(s.reason),
            ),
      restarts: metrics?.workerRestarts,
      metricsBackend: metrics?.backend,
    };
    await runtime.dispose();
    return out;
  }, wrappers);
  expect(result.before).toBe('webgpu');
  expect(result.settled).not.toBe('hung');
  const answers = [...(result.settled as (number[][] | string)[]), result.after];
  for (const answer of answers) {
    expect(Array.isArray(answer), String(answer)).toBe(true);
    // WASM against WebGPU: the same keypoints within a small tolerance.
    (answer as number[][]).forEach(([x, y], i) => {
      expect(Math.abs((x ?? 0) - (result.reference[i]?.[0] ?? Number.NaN))).toBeLessThan(0.02);
      expect(Math.abs((y ?? 0) - (result.reference[i]?.[1] ?? Number.NaN))).toBeLessThan(0.02);
    });
  }
  expect(result.backend).toBe('wasm');
  expect(result.metricsBackend).toBe('wasm');
  expect(result.restarts).toBe(1);
  expect(warnings.length).toBeGreaterThan(0);
});
