/**
 * Backend choice: `'auto'` passes over a software adapter (SwiftShader, this machine's
 * WebGPU) unless allowed; on an allowed or hardware adapter it times ONNX models on both
 * backends at load and keeps the faster; without WebGPU it takes WASM. Each says why in
 * `backendReason`. An explicit `'webgpu'` without WebGPU fails with a typed
 * `BACKEND_UNAVAILABLE` error saying why.
 */
import { launchWithoutWebGpu } from './fixtures/no-webgpu';
import { expect, test } from './fixtures/page';

test('auto passes over a software adapter (SwiftShader) for WASM and says why; the worker reports its environment', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const environment = await runtime.environment();
    const vad = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx' });
    const pose = await runtime.load({ format: 'tfjs-graph', source: '/models/movenet-lightning/movenet-lightning.json', backend: 'auto' });
    const explicit = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'webgpu' });
    const out = {
      environment,
      vad: [vad.backend, vad.backendReason, vad.fallbackReason, vad.backendTimings],
      pose: [pose.backend, pose.backendReason],
      explicit: [explicit.backend, explicit.backendReason],
    };
    await runtime.dispose();
    return out;
  });
  expect(result.environment.webgpu).toMatchObject({ available: true, software: true });
  expect(result.environment.crossOriginIsolated).toBe(true);
  // 2 cores here: one WASM thread (see workers/wasm-threads.ts).
  expect(result.environment.hardwareConcurrency).toBe(2);
  expect(result.environment).toMatchObject({ ortNumThreads: 1, tfjsNumThreads: 1 });
  const software = /^auto: WebGPU here is a software adapter \(.*swiftshader.*\) that runs on the CPU, slower than WASM/i;
  expect(result.vad[0]).toBe('wasm');
  expect(result.vad[1]).toMatch(software);
  expect(result.vad[2]).toMatch(/software adapter/);
  expect(result.vad[3]).toBeUndefined();
  expect(result.pose[0]).toBe('wasm');
  expect(result.pose[1]).toMatch(software);
  expect(result.explicit).toEqual(['webgpu', 'asked for "webgpu"']);
});

test('with allowSoftwareWebGpu, auto times an ONNX model on both backends at the batch sizes it will see and keeps the faster', async ({ harness }) => {
  test.slow(); // a few VAD calls at batch 32 on SwiftShader
  const result = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime({ allowSoftwareWebGpu: true });
    const vad = await runtime.vad();
    const plain = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', id: 'no-hints' });
    const pose = await runtime.pose();
    const frame = new Float32Array(16384).map((_, i) => Math.sin(i / 5) * 0.3);
    const detection = await vad.detect({ samples: frame, sampleRate: 16000 });
    const out = {
      vad: { backend: vad.backend, reason: vad.backendReason, timings: vad.backendTimings },
      plain: [plain.backend, plain.backendReason],
      pose: [pose.backend, pose.backendReason],
      frames: Array.from(detection.probabilities, (p) => p >= 0 && p <= 1),
    };
    await runtime.dispose();
    return out;
  });
  console.log(JSON.stringify(result.vad), JSON.stringify(result.plain), JSON.stringify(result.pose));
  const { timings } = result.vad;
  // VAD batches on the audio defaults: batch 1 and 32, each backend, with a real sample rate.
  expect(timings?.map((t) => [t.backend, t.batchSize])).toEqual([
    ['webgpu', 1],
    ['wasm', 1],
    ['webgpu', 32],
    ['wasm', 32],
  ]);
  for (const t of timings ?? []) expect(t.ms).toBeGreaterThan(0);
  const sum = (backend: string) => (timings ?? []).filter((t) => t.backend === backend).reduce((total, t) => total + t.ms, 0);
  const faster = sum('webgpu') <= sum('wasm') ? 'webgpu' : 'wasm';
  expect(result.vad.backend).toBe(faster);
  expect(result.vad.reason).toMatch(
    new RegExp(
      `^auto: measured at load, ${faster} [0-9.]+× faster \\(webgpu on .*: .* ms at batch 1, .* ms at batch 32; wasm: .* ms at batch 1, .* ms at batch 32\\)$`,
    ),
  );
  // The kept session serves the task: 16384 samples are 32 frames of 512, each a probability.
  expect(result.frames).toEqual(Array.from({ length: 32 }, () => true));
  // No hints: a zero sample rate sends Silero's graph down its 8 kHz branch, which fails on 576 samples; the reason says so.
  expect(result.plain[0]).toBe('webgpu');
  expect(result.plain[1]).toMatch(/^auto: WebGPU \(.*\), not measured: a synthetic call at batch 1 failed on (webgpu|wasm): /);
  // TF.js runs one backend per worker and is not timed: the allowed software adapter is taken, and said to be one.
  expect(result.pose[0]).toBe('webgpu');
  expect(result.pose[1]).toMatch(/^auto: WebGPU \(.*, a software adapter, allowed by allowSoftwareWebGpu\); TF.js models are not timed/);
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
