/**
 * The engines' served files are checked against the ones this build bundles the code of
 * (issue 11): a missing ONNX Runtime loader or WASM (a 404, or an SPA's index.html) and a
 * loader from another version fail with a typed AssetError naming the URL, before ORT
 * fails obscurely; the same for TF.js's WASM. The worker stays usable: once the right
 * files are served, the same runtime loads the model.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/page';

/** Load Silero VAD on `backend` in `runtime` (kept on window), then return how it failed, or null. */
function loadVad(
  page: Page,
  backend: 'wasm' | 'webgpu' = 'wasm',
): Promise<{ code?: string; name: string; message: string; input?: string; got?: string; isOwnClass: boolean } | null> {
  return page.evaluate(async (backend) => {
    const scope = window as unknown as { runtime?: ReturnType<typeof window.inpage.createRuntime> };
    scope.runtime ??= window.inpage.createRuntime({ cache: { weights: false } });
    return window.harness.caught(scope.runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend }));
  }, backend);
}

test('a missing or foreign ONNX Runtime loader fails with ASSET_ERROR naming the URL; the right files then load', async ({ harness }) => {
  // WASM sessions run on ORT's CPU-only build: ort-wasm-simd-threaded.{mjs,wasm}.
  const glue = '**/ort/ort-wasm-simd-threaded.mjs';
  await harness.route(glue, (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not here' }));
  const missing = await loadVad(harness);
  expect(missing).toMatchObject({ code: 'ASSET_ERROR', name: 'AssetError', isOwnClass: true, got: 'HTTP 404' });
  expect(missing?.input).toMatch(/\/ort\/ort-wasm-simd-threaded\.mjs$/);
  expect(missing?.message).toContain("ONNX Runtime Web 1.30.0's ort-wasm-simd-threaded.mjs is missing");
  expect(missing?.message).toContain('npx inpage assets');

  await harness.unroute(glue);
  await harness.route(glue, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: 'export default function stale() {}\n' }));
  const foreign = await loadVad(harness);
  expect(foreign).toMatchObject({ code: 'ASSET_ERROR' });
  expect(foreign?.message).toMatch(/is not ONNX Runtime Web 1\.30\.0's ort-wasm-simd-threaded\.mjs: SHA-256 [0-9a-f]{64}/);
  expect(foreign?.message).toContain('another inpage or onnxruntime-web version, or one a build step changed');

  await harness.unroute(glue);
  const wasm = '**/ort/ort-wasm-simd-threaded.wasm';
  await harness.route(wasm, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>app</title>' }));
  const html = await loadVad(harness);
  expect(html).toMatchObject({ code: 'ASSET_ERROR', got: 'text/html' });
  expect(html?.message).toContain('single-page-app fallback');

  await harness.unroute(wasm);
  expect(await loadVad(harness)).toBeNull();
});

test("WASM sessions never touch the JSEP build's files; WebGPU sessions check them", async ({ harness }) => {
  const jsep = '**/ort/ort-wasm-simd-threaded.jsep.*';
  await harness.route(jsep, (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not here' }));
  expect(await loadVad(harness, 'wasm')).toBeNull();
  const missing = await loadVad(harness, 'webgpu');
  expect(missing).toMatchObject({ code: 'ASSET_ERROR', got: 'HTTP 404' });
  expect(missing?.input).toMatch(/\/ort\/ort-wasm-simd-threaded\.jsep\.mjs$/);
  await harness.unroute(jsep);
  // The same worker, its CPU-only build already loaded, now loads the JSEP build beside it.
  expect(await loadVad(harness, 'webgpu')).toBeNull();
});

test("TF.js's WASM binary from another version fails with ASSET_ERROR instead of falling back", async ({ harness }) => {
  await harness.route('**/tfjs/*.wasm', (route) =>
    route.fulfill({ status: 200, contentType: 'application/wasm', body: Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]) }),
  );
  const failure = await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime({ cache: { weights: false } });
    const caught = await window.harness.caught(runtime.pose({ backend: 'wasm' }));
    await runtime.dispose();
    return caught;
  });
  expect(failure).toMatchObject({ code: 'ASSET_ERROR', isOwnClass: true });
  expect(failure?.message).toMatch(/is not TF\.js 4\.22\.0's tfjs-backend-wasm(-simd)?\.wasm: SHA-256/);
});
