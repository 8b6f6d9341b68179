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
import type { Flavor } from './pages/ort-flavors';

// Which ONNX Runtime Web builds to take apart (see `Flavor`); BENCH_ORT_FLAVORS=jsep,jspi picks some.
const allFlavors: readonly Flavor[] = ['jsep', 'webgpu-ep', 'jspi', 'wasm'];
const flavors = (process.env.BENCH_ORT_FLAVORS?.split(',') ?? allFlavors).filter((f): f is Flavor => allFlavors.some((a) => a === f));

test('one WebGPU call of a small recurrent model, taken apart', async ({ page }) => {
  test.setTimeout(10 * 60_000);
  const rows: Row[] = [];
  const cpuNodes: string[] = [];
  const adapters: string[] = [];
  let machine: Awaited<ReturnType<typeof machineFacts>> | undefined;
  for (const flavor of flavors) {
    await page.goto('/bench/pages/ort-call.html');
    await page.locator('#status', { hasText: 'ready' }).waitFor();
    machine ??= await machineFacts(page);
    // ORT's verbose log at session creation says where each node runs; keep the lines about the CPU.
    const logged: string[] = [];
    let creating = true;
    const listen = (message: { text(): string }): void => {
      const text = message.text();
      if (text.startsWith('ort-call step:')) console.log(`${flavor}: ${text}`);
      if (text === 'ort-call: session created') creating = false;
      else if (creating && /CPUExecutionProvider|not assigned to the preferred|fallback|Node placements|placed on/i.test(text)) logged.push(text.slice(0, 300));
    };
    page.on('console', listen);
    const result = await page.evaluate((f) => window.ortCall.experiment('/models/silero_vad_v5.onnx', f), flavor);
    page.off('console', listen);
    cpuNodes.push(`${flavor}:`, ...result.cpuNodes, ...logged);
    adapters.push(`${flavor}: ${result.adapter}`);
    for (const v of result.variants)
      rows.push({ build: flavor, variant: v.variant, 'median ms': v.medianMs ?? '', 'p90 ms': v.p90Ms ?? '', note: v.note ?? '' });
  }
  writeReport({
    name: 'webgpu-call',
    title: 'One Silero VAD call on WebGPU, taken apart (ONNX Runtime Web directly, no inpage)',
    environment: {
      browser: `Chromium ${page.context().browser()?.version() ?? 'unknown'}`,
      webgpu: machine?.webgpu ?? 'unknown',
      cores: machine?.cores ?? 'unknown',
      ortAdapter: adapters.join('; '),
      command: 'npx playwright test -c bench/playwright.config.ts webgpu-call',
    },
    rows,
    notes: [
      'Each variant: 5 warm-up calls, then 60 timed calls one after another (medians). The input is a 576-sample frame (batch 1) or 32 of them.',
      'Builds: jsep = `onnxruntime-web` (WebGPU kernels in TypeScript); webgpu-ep = `onnxruntime-web/webgpu` (the native WebGPU execution provider, Asyncify); jspi = `onnxruntime-web/jspi` (the native EP with JavaScript Promise Integration); wasm = `onnxruntime-web/wasm` (CPU only, no Asyncify).',
      `Nodes ORT's verbose log placed on the CPU or flagged (${cpuNodes.length} lines, the first 60):`,
      ...cpuNodes
        .filter((line) => !/Candidate for fallback/.test(line))
        .slice(0, 60)
        .map((line) => `    ${line}`),
    ],
  });
});
