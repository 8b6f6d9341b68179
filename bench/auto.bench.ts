/**
 * What `backend: 'auto'` picks for each built-in task on this machine, and why: the
 * tasks loaded with their defaults (as a newcomer's app or `npm run demo` would), their
 * `backendReason` (with the load-time timings where it measured), and each task's load
 * time. On a machine whose WebGPU is a software adapter (SwiftShader) every task should get
 * WASM; on the H200, WebGPU for pose, OCR and embeddings, WASM for VAD.
 *
 *   npx playwright test -c bench/playwright.config.ts auto   (writes bench/results/auto.{json,md})
 */
import { test } from '@playwright/test';
import { machineFacts, writeReport, type Row } from './support';

test("backend 'auto' per task", async ({ page }) => {
  test.setTimeout(10 * 60_000);
  await page.goto('/e2e/harness.html');
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  const machine = await machineFacts(page);
  const picked = await page.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const environment = await runtime.environment();
    const rows: { task: string; backend: string; reason: string; loadMs: number }[] = [];
    const timed = async (task: string, load: () => Promise<{ backend: string; backendReason: string }>) => {
      const start = performance.now();
      const handle = await load();
      rows.push({ task, backend: handle.backend, reason: handle.backendReason, loadMs: performance.now() - start });
    };
    await timed('vad', () => runtime.vad());
    await timed('pose', () => runtime.pose());
    await timed('ocr', () => runtime.ocr());
    await timed('embeddings', () => runtime.embeddings());
    await runtime.dispose();
    return { rows, environment };
  });
  const rows: Row[] = picked.rows.map((r) => ({ task: r.task, backend: r.backend, 'load ms (timing included)': r.loadMs, reason: r.reason }));
  writeReport({
    name: 'auto',
    title: "backend 'auto' per task: what it picked and why",
    environment: {
      browser: `Chromium ${page.context().browser()?.version() ?? 'unknown'}`,
      webgpu: machine.webgpu,
      cores: machine.cores,
      'worker: WebGPU software adapter': String(picked.environment.webgpu.software ?? false),
      'worker: ORT WASM threads': picked.environment.ortNumThreads,
      command: 'npx playwright test -c bench/playwright.config.ts auto',
    },
    rows,
    notes: [
      'Each task loaded with its defaults in one runtime, one after another. ONNX models are timed on both backends at load when the adapter is hardware; TF.js models (pose, embeddings) are not.',
    ],
  });
});
