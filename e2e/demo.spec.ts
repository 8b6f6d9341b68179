/**
 * The demo page loads both models in workers and shows their real outputs and the
 * backend each runs on.
 */
import speech from '../public/samples/speech-16k.json' with { type: 'json' };
import { expect, test } from '@playwright/test';

for (const backend of ['webgpu', 'wasm'] as const) {
  test(`demo page shows VAD segments and a pose on ${backend}`, async ({ page }, testInfo) => {
    await page.goto(`/?backend=${backend}`);
    await expect(page.locator('#backend')).toHaveValue(backend);
    await expect(page.locator('#status')).toHaveText('Done.', { timeout: 90_000 });
    await expect(page.locator('#vad-backend')).toHaveText(backend);
    await expect(page.locator('#pose-backend')).toHaveText(backend);
    // Two speech segments, each starting within 150 ms of the clip's known onsets.
    const segments = (await page.locator('#vad-segments').textContent()) ?? '';
    const starts = [...segments.matchAll(/(\d+)–(\d+) ms/g)].map((m) => Number(m[1]));
    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (const { startMs } of speech.speech) expect(starts.some((s) => Math.abs(s - startMs) <= 150)).toBe(true);
    const keypoints = await page.locator('#pose-keypoints li').allTextContents();
    for (const name of ['nose', 'leftShoulder', 'rightShoulder']) expect(keypoints.some((k) => k.startsWith(`${name}:`))).toBe(true);
    await page.screenshot({ path: testInfo.outputPath(`demo-${backend}.png`), fullPage: true });
  });
}
