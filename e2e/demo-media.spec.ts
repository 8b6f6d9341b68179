/**
 * The demo's live inputs in headless Chromium: the microphone (the speech sample played
 * as Chromium's fake audio device) into the live VAD stream, the camera (a frame of the
 * astronaut photo above a line of text, as the fake video device) into pose and OCR, and
 * the clear messages when access is denied, no device exists or the API is missing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import speech from '../public/samples/speech-16k.json' with { type: 'json' };
import { expect, test as base, type Browser, type Page } from '@playwright/test';

declare global {
  interface Window {
    /** Every stream getUserMedia handed to the page (see `recordStreams`). */
    openedStreams?: MediaStream[];
  }
}

/** Keep every stream the page opens, to check afterwards that its tracks were stopped. */
async function recordStreams(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const streams: MediaStream[] = [];
    window.openedStreams = streams;
    const devices = navigator.mediaDevices;
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints) => {
      const stream = await original(constraints);
      streams.push(stream);
      return stream;
    };
  });
}

/** Tracks opened so far, and how many of them are still live. */
function trackStates(page: Page): Promise<{ opened: number; live: number }> {
  return page.evaluate(() => {
    const tracks = (window.openedStreams ?? []).flatMap((stream) => stream.getTracks());
    return { opened: tracks.length, live: tracks.filter((track) => track.readyState === 'live').length };
  });
}

/** The line of text under the astronaut in the fake camera's frame. */
const cameraText = 'Seen by the camera';
const speechClip = resolve(import.meta.dirname, '../public/samples/speech-16k.wav');
const astronaut = resolve(import.meta.dirname, '../public/samples/astronaut.jpg');

/** Render the fake camera's frame (astronaut over a line of text) as a JPEG, in a browser. */
async function renderCameraFrame(browser: Browser): Promise<Buffer> {
  const page = await browser.newPage();
  const photo = `data:image/jpeg;base64,${readFileSync(astronaut).toString('base64')}`;
  const jpeg = await page.evaluate(
    async ({ photo, text }) => {
      const image = new Image();
      image.src = photo;
      await image.decode();
      const canvas = new OffscreenCanvas(512, 608);
      const context = canvas.getContext('2d');
      if (context === null) throw new Error('no 2d context');
      context.fillStyle = '#fff';
      context.fillRect(0, 0, 512, 608);
      context.drawImage(image, 0, 0, 512, 512);
      context.fillStyle = '#000';
      context.font = '32px Arial, sans-serif';
      context.textBaseline = 'middle';
      context.fillText(text, 16, 560);
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
      return [...new Uint8Array(await blob.arrayBuffer())];
    },
    { photo, text: cameraText },
  );
  await page.close();
  return Buffer.from(jpeg);
}

// One browser for the file, with fake devices but no fake permission prompt: a test's
// context is granted the camera and microphone with `permissions`, or denied without.
const test = base.extend({
  launchOptions: [
    async ({ launchOptions, playwright }, use, workerInfo) => {
      // An MJPEG file is JPEG frames back to back; Chromium loops it as the camera.
      const helper = await playwright.chromium.launch(launchOptions);
      const frame = await renderCameraFrame(helper);
      await helper.close();
      const folder = join(workerInfo.project.outputDir, 'fake-media');
      mkdirSync(folder, { recursive: true });
      const video = join(folder, 'camera.mjpeg');
      writeFileSync(video, Buffer.concat([frame, frame, frame]));
      const args = [
        ...(launchOptions.args ?? []),
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${video}`,
        // Played once from when the microphone opens, then silence.
        `--use-file-for-fake-audio-capture=${speechClip}%noloop`,
      ];
      await use({ ...launchOptions, args });
    },
    { scope: 'worker' },
  ],
});

async function openDemo(page: Page, query: string): Promise<void> {
  page.on('pageerror', (error) => console.error('[pageerror]', error.message));
  await page.goto(`/?${query}`);
  await expect(page.locator('#status')).toHaveText('Done.', { timeout: 120_000 });
}

/** Completed segments listed in the VAD panel, as [start, end] ms. */
async function listedSegments(page: Page): Promise<[number, number][]> {
  const text = (await page.locator('#vad-segments').textContent()) ?? '';
  return [...text.matchAll(/(\d+)–(\d+) ms/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

test.describe('with a fake camera and microphone', () => {
  test.use({ permissions: ['camera', 'microphone'] });

  test('Listen: the live VAD stream finds the speech in the microphone audio', async ({ page }, testInfo) => {
    await recordStreams(page);
    await openDemo(page, 'backend=wasm&panels=vad');
    // The sample clip drawn as a waveform with its segments.
    await expect(page.locator('#vad-plot')).toHaveAttribute('aria-label', /2 speech segments/);
    await page.click('#vad-listen');
    await expect(page.locator('#vad-source')).toContainText('listening…');
    await expect(page.locator('#vad-stop')).toBeEnabled();
    // Speech start seen while the clip still plays (the open segment), then both segments closed.
    await expect(page.locator('#vad-segments')).toContainText('(speaking…)', { timeout: 15_000 });
    await expect.poll(async () => (await listedSegments(page)).length, { timeout: 20_000 }).toBe(speech.speech.length);
    const segments = await listedSegments(page);
    testInfo.annotations.push({ type: 'live segments (ms)', description: JSON.stringify(segments) });
    // The clip starts playing when the device opens, a moment before the worklet hears it.
    for (const [i, { startMs, endMs }] of speech.speech.entries()) {
      expect(Math.abs((segments[i]?.[0] ?? 0) - startMs), `onset ${i}`).toBeLessThanOrEqual(250);
      expect(Math.abs((segments[i]?.[1] ?? 0) - endMs), `end ${i}`).toBeLessThanOrEqual(250);
    }
    await expect(page.locator('#vad-latency')).toContainText(/per 32 ms frame .* \d+ frames scored/);
    await expect(page.locator('#vad-plot')).toHaveAttribute('aria-label', /from the microphone.*2 speech segments.*probability of \d+ frames/);
    await page.locator('#vad-panel').screenshot({ path: testInfo.outputPath('vad-microphone.png') });
    await page.click('#vad-stop');
    await expect(page.locator('#vad-source')).toContainText('stopped');
    await expect(page.locator('#vad-listen')).toBeEnabled();
    await expect(page.locator('#vad-error')).toBeHidden();
    // The microphone is off: its track was stopped.
    expect(await trackStates(page)).toEqual({ opened: 1, live: 0 });
  });

  test('Use camera: pose tracks the live frames, OCR reads a snapshot, and the camera turns off', async ({ page }, testInfo) => {
    await recordStreams(page);
    await openDemo(page, 'backend=wasm&panels=pose,ocr');
    testInfo.annotations.push({ type: 'pose latency, sample photo', description: (await page.locator('#pose-latency').textContent()) ?? '' });
    await page.click('#pose-camera');
    await expect(page.locator('#pose-video')).toBeVisible();
    await expect(page.locator('#pose-source')).toContainText('camera');
    // A result on a camera frame, with its latency; the astronaut's face and shoulders.
    await expect(page.locator('#pose-latency')).toContainText(/ms \(camera frame \d+; \d+ stale frames dropped\)/);
    for (const name of ['nose', 'leftShoulder', 'rightShoulder']) await expect(page.locator('#pose-keypoints li', { hasText: `${name}:` })).toHaveCount(1);
    await expect(page.locator('#pose-canvas')).toHaveAttribute('aria-label', /nose/);
    testInfo.annotations.push({ type: 'pose latency, camera', description: (await page.locator('#pose-latency').textContent()) ?? '' });
    await page.locator('#pose-panel').screenshot({ path: testInfo.outputPath('pose-camera.png') });
    await page.click('#pose-camera-stop');
    await expect(page.locator('#pose-video')).toBeHidden();
    await expect(page.locator('#pose-camera')).toBeEnabled();
    expect(await trackStates(page)).toEqual({ opened: 1, live: 0 });

    await page.click('#ocr-camera');
    await expect(page.locator('#ocr-snapshot')).toBeEnabled();
    await page.click('#ocr-snapshot');
    await expect(page.locator('#ocr-source')).toContainText('camera snapshot');
    await expect(page.locator('#ocr-lines li', { hasText: cameraText })).toHaveCount(1, { timeout: 60_000 });
    await expect(page.locator('#ocr-latency')).toContainText('ms');
    await page.locator('#ocr-panel').screenshot({ path: testInfo.outputPath('ocr-camera.png') });
    await page.click('#ocr-camera-stop');
    await expect(page.locator('#ocr-video')).toBeHidden();
    // Both previews released their streams and stopped their tracks: the camera is off.
    expect(await page.evaluate(() => [...document.querySelectorAll('video')].every((v) => v.srcObject === null))).toBe(true);
    expect(await trackStates(page)).toEqual({ opened: 2, live: 0 });
    for (const panel of ['pose', 'ocr']) await expect(page.locator(`#${panel}-error`)).toBeHidden();
  });

  test('Use camera: the object detector boxes the person in the live frames, and the camera turns off', async ({ page }, testInfo) => {
    test.setTimeout(240_000);
    await recordStreams(page);
    page.on('pageerror', (error) => console.error('[pageerror]', error.message));
    await page.goto('/?backend=wasm&panels=detect');
    await expect(page.locator('#status')).toHaveText('Done.', { timeout: 200_000 }); // NanoDet's 7.7 MB on a busy CI machine
    await page.click('#detect-camera');
    await expect(page.locator('#detect-video')).toBeVisible();
    await expect(page.locator('#detect-source')).toContainText('camera');
    // A result on a camera frame (the astronaut over a line of text), with its latency.
    await expect(page.locator('#detect-latency')).toContainText(/ms \(camera frame \d+; \d+ stale frames dropped\)/, { timeout: 60_000 });
    await expect(page.locator('#detect-canvas')).toHaveAttribute('aria-label', /person/);
    await expect(page.locator('#detect-objects li').first()).toContainText('person');
    await page.locator('#detect-panel').screenshot({ path: testInfo.outputPath('detect-camera.png') });
    await page.click('#detect-camera-stop');
    await expect(page.locator('#detect-video')).toBeHidden();
    await expect(page.locator('#detect-camera')).toBeEnabled();
    expect(await trackStates(page)).toEqual({ opened: 1, live: 0 });
    await expect(page.locator('#detect-error')).toBeHidden();
  });
});

test.describe('with camera and microphone access denied', () => {
  test.use({ permissions: [] });

  test('the panels say why the camera or microphone cannot be used, and keep working on the samples', async ({ page }, testInfo) => {
    await openDemo(page, 'backend=wasm&panels=vad,pose');
    // Denied (a real refusal: no permission granted). Keyboard: focus the button, press Enter.
    await page.focus('#pose-camera');
    await page.keyboard.press('Enter');
    await expect(page.locator('#pose-error')).toHaveText("Camera access was denied. Allow it in the browser's site settings, or upload an image instead.");
    await expect(page.locator('#pose-camera')).toBeEnabled();
    await expect(page.locator('#pose-video')).toBeHidden();
    await page.click('#vad-listen');
    await expect(page.locator('#vad-error')).toHaveText(
      "Microphone access was denied. Allow it in the browser's site settings, or upload an audio clip instead.",
    );
    await expect(page.locator('#vad-listen')).toBeEnabled();
    await page.screenshot({ path: testInfo.outputPath('denied.png'), fullPage: true });
    // No device attached: getUserMedia rejects as Chromium does then.
    await page.evaluate(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));
    });
    await page.click('#pose-camera');
    await expect(page.locator('#pose-error')).toHaveText('No camera was found. Connect one, or upload an image instead.');
    await page.click('#vad-listen');
    await expect(page.locator('#vad-error')).toHaveText('No microphone was found. Connect one, or upload an audio clip instead.');
    // A browser without navigator.mediaDevices, then a page that is not a secure context.
    await page.evaluate(() => Object.defineProperty(navigator, 'mediaDevices', { value: undefined, configurable: true }));
    await page.click('#pose-camera');
    await expect(page.locator('#pose-error')).toContainText('navigator.mediaDevices is missing');
    await page.evaluate(() => Object.defineProperty(window, 'isSecureContext', { value: false, configurable: true }));
    await page.click('#vad-listen');
    await expect(page.locator('#vad-error')).toContainText('The microphone needs a secure page (HTTPS or localhost)');
    // The samples still run.
    await page.click('#pose-run');
    await expect(page.locator('#pose-error')).toBeHidden();
    await expect(page.locator('#pose-source')).toHaveText('the sample photo');
    await expect(page.locator('#pose-keypoints li', { hasText: 'nose:' })).toHaveCount(1);
    await page.click('#vad-run');
    await expect(page.locator('#vad-error')).toBeHidden();
    await expect(page.locator('#vad-plot')).toHaveAttribute('aria-label', /the sample clip.*2 speech segments/);
  });
});
