/**
 * The demo page: every task panel produces its result on the shipped samples, shows the
 * backend its model runs on, and bad uploads get a clear error in the page.
 */
import speech from '../public/samples/speech-16k.json' with { type: 'json' };
import { expect, test } from '@playwright/test';
import { launchWithoutWebGpu } from './fixtures/no-webgpu';

// On SwiftShader WebGPU, OCR and generation take seconds per call and the VAD clip ~20 s;
// their own specs cover them on WebGPU (vad, task-vad, ocr, generate), so the WebGPU page
// run loads the other panels. The WASM run shows every panel.
const panelsFor = { wasm: ['vad', 'pose', 'ocr', 'embed', 'gen'], webgpu: ['pose', 'embed'] } as const;

for (const backend of ['wasm', 'webgpu'] as const) {
  test(`demo page panels produce their results on ${backend}`, async ({ page }, testInfo) => {
    test.setTimeout(600_000);
    const panels: readonly string[] = panelsFor[backend];
    await page.goto(`/?backend=${backend}&panels=${panels.join(',')}`);
    await expect(page.locator('#backend')).toHaveValue(backend);
    await expect(page.locator('#status')).toHaveText('Done.', { timeout: 540_000 });
    for (const panel of panels) await expect(page.locator(`#${panel}-backend`)).toHaveText(backend);
    if (panels.includes('vad')) {
      // VAD: two speech segments, each starting within 150 ms of the clip's known onsets.
      const segments = (await page.locator('#vad-segments').textContent()) ?? '';
      const starts = [...segments.matchAll(/(\d+)–(\d+) ms/g)].map((m) => Number(m[1]));
      expect(starts).toHaveLength(speech.speech.length);
      for (const { startMs } of speech.speech) expect(starts.some((s) => Math.abs(s - startMs) <= 150)).toBe(true);
      // …drawn as a waveform with the segments shaded and the probability line.
      await expect(page.locator('#vad-plot')).toHaveAttribute(
        'aria-label',
        new RegExp(`sample clip.* ${speech.speech.length} speech segments .*probability of \\d+ frames`),
      );
    }
    // Pose: the astronaut's face and shoulders.
    const keypoints = await page.locator('#pose-keypoints li').allTextContents();
    for (const name of ['nose', 'leftShoulder', 'rightShoulder']) expect(keypoints.some((k) => k.startsWith(`${name}:`))).toBe(true);
    if (panels.includes('ocr')) {
      // OCR: the three rendered lines, read exactly.
      const lines = (await page.locator('#ocr-lines li').allTextContents()).map((l) => l.replace(/\s+\(\d+%\)$/, ''));
      expect(lines).toEqual(['The quick brown fox', 'jumps over the lazy dog', 'Inference in the page 2026']);
    }
    // Semantic search: the weather question finds the rain forecast first.
    await expect(page.locator('#embed-results li').first()).toContainText('Heavy rain is expected');
    if (panels.includes('gen')) {
      // Generation: tokens streamed, with time to first token.
      await expect(page.locator('#gen-output')).not.toBeEmpty();
      await expect(page.locator('#gen-latency')).toContainText('first token');
    }
    for (const panel of panels) await expect(page.locator(`#${panel}-error`)).toBeHidden();
    await page.screenshot({ path: testInfo.outputPath(`demo-${backend}.png`), fullPage: true });
  });
}

test('demo page shows a clear error for a bad upload and keeps working', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?backend=wasm');
  await expect(page.locator('#status')).toHaveText('Done.', { timeout: 240_000 });
  await page.setInputFiles('#pose-file', { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is not a png') });
  await expect(page.locator('#pose-error')).toBeVisible();
  await expect(page.locator('#pose-error')).toContainText('INVALID_INPUT');
  await expect(page.locator('#pose-error')).toContainText('could not be decoded');
  await page.setInputFiles('#vad-file', { name: 'broken.wav', mimeType: 'audio/wav', buffer: Buffer.from('this is not audio') });
  await expect(page.locator('#vad-error')).toContainText('INVALID_INPUT');
  // The panel still works on the sample afterwards.
  await page.click('#pose-run');
  await expect(page.locator('#pose-error')).toBeHidden();
  await expect(page.locator('#pose-keypoints li').first()).toBeVisible();
});

test('without WebGPU the page says so, runs every model on WASM, and refuses webgpu with a clear message', async ({ baseURL }, testInfo) => {
  test.setTimeout(300_000);
  const browser = await launchWithoutWebGpu();
  try {
    const page = await browser.newPage({ baseURL });
    await page.goto('/?panels=vad,pose');
    await expect(page.locator('#status')).toHaveText('Done.', { timeout: 240_000 });
    await expect(page.locator('#env')).toContainText('WebGPU unavailable');
    await expect(page.locator('#env')).toContainText('every model runs on WASM');
    for (const panel of ['vad', 'pose']) await expect(page.locator(`#${panel}-backend`)).toHaveText('wasm');
    await expect(page.locator('#pose-keypoints li').first()).toBeVisible();
    await expect(page.locator('#backend option[value="webgpu"]')).toHaveText('webgpu (unavailable here)');
    await page.selectOption('#backend', 'webgpu');
    await page.click('#reload');
    await expect(page.locator('#status')).toContainText('WebGPU is unavailable in this browser', { timeout: 60_000 });
    await page.screenshot({ path: testInfo.outputPath('demo-no-webgpu.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
