/**
 * Backend choice: `'auto'` picks WebGPU when an adapter exists and the session builds,
 * else WASM (and says why); an explicit `'webgpu'` without WebGPU fails with a typed
 * `BACKEND_UNAVAILABLE` error saying why.
 */
import { launchWithoutWebGpu } from './fixtures/no-webgpu';
import { expect, test } from './fixtures/page';

test('auto picks WebGPU when it works, and the worker reports its environment', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const environment = await runtime.environment();
    const vad = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx' });
    const pose = await runtime.load({ format: 'tfjs-graph', source: '/models/movenet-lightning/movenet-lightning.json', backend: 'auto' });
    const out = { environment, vad: [vad.backend, vad.fallbackReason], pose: [pose.backend, pose.fallbackReason] };
    await runtime.dispose();
    return out;
  });
  expect(result.environment.webgpu.available).toBe(true);
  expect(result.environment.crossOriginIsolated).toBe(true);
  expect(result.vad).toEqual(['webgpu', undefined]);
  expect(result.pose).toEqual(['webgpu', undefined]);
});

test('without WebGPU, auto falls back to WASM with a reason and webgpu fails typed', async ({ baseURL }) => {
  const browser = await launchWithoutWebGpu();
  try {
    const page = await browser.newPage({ baseURL });
    await page.goto('/e2e/harness.html');
    await expect(page.locator('#status')).toHaveText('ready');
    const result = await page.evaluate(async () => {
      const { caught } = window.harness;
      const runtime = window.inpage.createRuntime();
      const environment = await runtime.environment();
      const vad = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'auto' });
      const pose = await runtime.load({ format: 'tfjs-graph', source: '/models/movenet-lightning/movenet-lightning.json', backend: 'auto' });
      const ortGpu = await caught(runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'webgpu' }));
      const tfGpu = await caught(runtime.load({ format: 'tfjs-graph', source: '/models/movenet-lightning/movenet-lightning.json', backend: 'webgpu' }));
      const out = { webgpu: environment.webgpu.available, vad: [vad.backend, vad.fallbackReason], pose: [pose.backend, pose.fallbackReason], ortGpu, tfGpu };
      await runtime.dispose();
      return out;
    });
    expect(result.webgpu).toBe(false);
    expect(result.vad[0]).toBe('wasm');
    expect(result.vad[1]).toMatch(/WebGPU unavailable/);
    expect(result.pose[0]).toBe('wasm');
    expect(result.pose[1]).toMatch(/WebGPU unavailable/);
    for (const error of [result.ortGpu, result.tfGpu]) {
      expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', name: 'BackendUnavailableError', isOwnClass: true, backend: 'webgpu' });
      expect(error?.message).toMatch(/WebGPU is not available|not available/);
    }
  } finally {
    await browser.close();
  }
});
