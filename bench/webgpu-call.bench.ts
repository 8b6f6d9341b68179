/**
 * Where one WebGPU call of Silero VAD goes: ONNX Runtime Web driven directly on a page
 * (`bench/pages/ort-call.ts`), in variants that each remove one cost (readback, state
 * upload, per-kernel dispatch via graph capture), next to WASM, the GPU time of its
 * kernels (ORT's WebGPU profiling) and the raw WebGPU round trip that bounds any GPU call
 * whose answer the CPU needs. Also lists the nodes ORT placed on the CPU.
 * Needs a hardware adapter to mean anything (run it on the device machine:
 * `npm run bench:gpu -- webgpu-call`); on SwiftShader it runs, slowly.
 *
 *   npx playwright test -c bench/playwright.config.ts webgpu-call   (writes bench/results/webgpu-call.{json,md})
 */
import { test } from '@playwright/test';
import { machineFacts, writeReport, type Row } from './support';

test('one WebGPU call of a small recurrent model, taken apart', async ({ page }) => {
  test.setTimeout(10 * 60_000);
  await page.goto('/bench/pages/ort-call.html');
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  const machine = await machineFacts(page);
  // ORT's verbose log at session creation says where each node runs; keep the lines about the CPU.
  const logged: string[] = [];
  let creating = true;
  page.on('console', (message) => {
    const text = message.text();
    if (text === 'ort-call: session created') creating = false;
    else if (creating && /CPUExecutionProvider|not assigned to the preferred|fallback|Node placements|placed on/i.test(text)) logged.push(text.slice(0, 300));
  });
  const result = await page.evaluate(() => window.ortCall.experiment('/models/silero_vad_v5.onnx'));
  result.cpuNodes.push(...logged);
  const rows: Row[] = result.variants.map((v) => ({
    variant: v.variant,
    'median ms': v.medianMs ?? '',
    'p90 ms': v.p90Ms ?? '',
    note: v.note ?? '',
  }));
  writeReport({
    name: 'webgpu-call',
    title: 'One Silero VAD call on WebGPU, taken apart (ONNX Runtime Web directly, no inpage)',
    environment: {
      browser: `Chromium ${page.context().browser()?.version() ?? 'unknown'}`,
      webgpu: machine.webgpu,
      cores: machine.cores,
      ortAdapter: result.adapter,
      command: 'npx playwright test -c bench/playwright.config.ts webgpu-call',
    },
    rows,
    notes: [
      'Each variant: 5 warm-up calls, then 60 timed calls one after another (medians). The input is a 576-sample frame (batch 1) or 32 of them.',
      `Nodes ORT's verbose log placed on the CPU or flagged (${result.cpuNodes.length} lines):`,
      ...result.cpuNodes.slice(0, 40).map((line) => `    ${line}`),
    ],
  });
});
