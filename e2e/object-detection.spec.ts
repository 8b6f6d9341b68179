/**
 * Object detection (NanoDet-g 416, COCO) written with the public API only
 * (`loadObjectDetection`, over `runtime.load`), on WebGPU and on WASM: the astronaut is a
 * `person` boxed where she is in the photo, the Nagasaki photograph has boats; concurrent
 * calls all resolve through the model's scheduler (the graph's batch is fixed to 1, so one
 * request per engine call, superseding stale ones); bad images are refused with
 * INVALID_INPUT before anything reaches the engine.
 */
import { backends, expect, test } from './fixtures/page';

/** Hand-measured extent of the astronaut in public/samples/astronaut.jpg (512×512): hair top to the bottom edge, suit edge to suit edge. */
const astronaut = { x: 20, y: 15, width: 341, height: 497 };

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

function iou(a: Box, b: Box): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (width <= 0 || height <= 0) return 0;
  const intersection = width * height;
  return intersection / (a.width * a.height + b.width * b.height - intersection);
}

for (const backend of backends) {
  test(`finds the astronaut and the boats on ${backend}`, async ({ harness }, testInfo) => {
    test.slow(backend === 'webgpu', 'SwiftShader WebGPU');
    const result = await harness.evaluate(async (backend) => {
      const { createRuntime, loadObjectDetection } = window.inpage;
      const runtime = createRuntime({ cache: { weights: false } });
      const loadStarted = performance.now();
      const detector = await loadObjectDetection(runtime, { backend });
      const loadMs = performance.now() - loadStarted;
      // Two input kinds: an encoded file (Blob) and a decoded ImageBitmap.
      const photo = await (await fetch('/samples/astronaut.jpg')).blob();
      const first = await detector.detect(photo);
      const boats = await createImageBitmap(await (await fetch('/samples/boats.jpg')).blob());
      const second = await detector.detect(boats, { minScore: 0.3 });
      const summary = {
        backend: detector.backend,
        model: detector.model.id,
        inputSize: detector.inputSize,
        json: JSON.parse(JSON.stringify(detector)) as unknown,
      };
      await runtime.dispose();
      return { summary, loadMs, astronaut: first, boats: second };
    }, backend);
    await testInfo.attach('detections', { body: JSON.stringify(result, null, 2), contentType: 'application/json' });
    console.log(`[${backend}] load ${result.loadMs.toFixed(0)} ms; astronaut`, JSON.stringify(result.astronaut), 'boats', JSON.stringify(result.boats));

    expect(result.summary).toMatchObject({ backend, model: 'nanodet', inputSize: 416 });
    expect(result.summary.json).toMatchObject({ task: 'object-detection', model: 'nanodet', backend, classes: 80, disposed: false });
    // The astronaut: one confident person whose box is where she is.
    expect(result.astronaut).toMatchObject({ width: 512, height: 512 });
    const people = result.astronaut.objects.filter((o) => o.label === 'person');
    expect(people.length).toBeGreaterThanOrEqual(1);
    const [person] = people;
    expect(person?.classId).toBe(0);
    expect(person?.score).toBeGreaterThan(0.6);
    expect(iou(person?.box ?? { x: 0, y: 0, width: 0, height: 0 }, astronaut)).toBeGreaterThan(0.8);
    for (const object of result.astronaut.objects) {
      expect(object.box.x).toBeGreaterThanOrEqual(0);
      expect(object.box.y).toBeGreaterThanOrEqual(0);
      expect(object.box.x + object.box.width).toBeLessThanOrEqual(512);
      expect(object.box.y + object.box.height).toBeLessThanOrEqual(512);
    }
    // Sorted best first.
    const scores = result.astronaut.objects.map((o) => o.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // The Nagasaki photograph (512×410): boats, and the boatman in the one in front.
    expect(result.boats).toMatchObject({ width: 512, height: 410 });
    const labels = new Set(result.boats.objects.map((o) => o.label));
    expect(labels).toContain('boat');
    // Where the stage time went.
    for (const timings of [result.astronaut.timings, result.boats.timings]) {
      expect(timings.inferenceMs).toBeGreaterThan(0);
      expect(timings.roundTripMs).toBeGreaterThanOrEqual(timings.inferenceMs);
      expect(timings.totalMs).toBeGreaterThanOrEqual(timings.preprocessMs + timings.roundTripMs);
    }
  });
}

test('concurrent calls all resolve through the scheduler, one engine call each (fixed batch of 1); a stale camera frame is superseded', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime, loadObjectDetection } = window.inpage;
    const runtime = createRuntime({ cache: { weights: false } });
    const detector = await loadObjectDetection(runtime, { backend: 'wasm' });
    const blob = await (await fetch('/samples/astronaut.jpg')).blob();
    const alone = await detector.detect(blob);
    const together = await Promise.all(Array.from({ length: 4 }, () => detector.detect(blob)));
    // Camera-like: while two calls hold the worker (a replica takes two in flight), two frames
    // with one supersede key queue; the older never runs. Decoded frames: every call reaches
    // the queue after the same steps, in call order.
    const frame = await createImageBitmap(blob);
    const running = [detector.detect(frame), detector.detect(frame)];
    const stale = window.harness.caught(detector.detect(frame, { supersedeKey: 'camera' }));
    const latest = detector.detect(frame, { supersedeKey: 'camera' });
    const [camera] = await Promise.all([latest, ...running]);
    const series = runtime.metrics.snapshot().models.find((m) => m.name === detector.model.id);
    const info = { maxBatchSize: detector.model.batching.maxBatchSize, modality: detector.model.modality };
    await runtime.dispose();
    return { alone: alone.objects, together: together.map((r) => r.objects), camera: camera.objects, stale: await stale, series, info };
  });
  expect(result.info).toEqual({ maxBatchSize: 1, modality: 'image' });
  expect(result.together).toHaveLength(4);
  for (const objects of [...result.together, result.camera]) expect(objects).toEqual(result.alone);
  expect(result.stale).toMatchObject({ code: 'SUPERSEDED', isOwnClass: true });
  // 1 + 4 + 3 ran, each in its own engine call; the superseded one is counted as an error.
  expect(result.series?.completed).toBe(8);
  expect(result.series?.batchSizeCounts).toEqual({ 1: 8 });
  expect(result.series?.errors).toEqual({ SUPERSEDED: 1 });
});

test('bad images and options are refused before anything reaches the engine', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime, loadObjectDetection } = window.inpage;
    const caught = window.harness.caught;
    const runtime = createRuntime({ cache: { weights: false } });
    const detector = await loadObjectDetection(runtime, { backend: 'wasm' });
    const pngHeader = (width: number, height: number): Uint8Array<ArrayBuffer> => {
      const bytes = new Uint8Array(33);
      bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
      new DataView(bytes.buffer).setUint32(16, width);
      new DataView(bytes.buffer).setUint32(20, height);
      return bytes;
    };
    const closed = await createImageBitmap(new ImageData(4, 4));
    closed.close();
    const failures = {
      empty: await caught(detector.detect(new OffscreenCanvas(0, 0))),
      emptyFile: await caught(detector.detect(new Blob([]))),
      notAnImage: await caught(detector.detect(new Blob(['this is not a png'], { type: 'image/png' }))),
      // A PNG whose header claims 20000×20000 (the body is junk): refused from the header, never decoded.
      bomb: await caught(detector.detect(new Blob([pngHeader(20000, 20000), new Uint8Array(4096)], { type: 'image/png' }))),
      closedBitmap: await caught(detector.detect(closed)),
      tooLarge: await caught(loadObjectDetection(runtime, { backend: 'wasm', maxImagePixels: 100 }).then((small) => small.detect(new OffscreenCanvas(11, 10)))),
      // @ts-expect-error -- a caller without types passes a URL string
      notAnImageType: await caught(detector.detect('/samples/astronaut.jpg')),
      badScore: await caught(detector.detect(new OffscreenCanvas(8, 8), { minScore: 2 })),
      badLoad: await caught(loadObjectDetection(runtime, { iouThreshold: -1 })),
    };
    const series = runtime.metrics.snapshot().models.find((m) => m.name === detector.model.id);
    // Still usable afterwards.
    const after = await detector.detect(await (await fetch('/samples/astronaut.jpg')).blob());
    await runtime.dispose();
    const disposed = await caught(detector.detect(new OffscreenCanvas(8, 8)));
    return { failures, requestsBefore: series?.completed ?? 0, after: after.objects.map((o) => o.label), disposed };
  });
  const { failures } = result;
  for (const [name, failure] of Object.entries(failures).filter(([name]) => !name.startsWith('bad'))) {
    expect(failure, name).toMatchObject({ code: 'INVALID_INPUT', name: 'InvalidInputError', isOwnClass: true, input: 'image' });
  }
  expect(failures.empty?.message).toContain('0×0 pixels');
  expect(failures.emptyFile?.message).toContain('empty (0 bytes)');
  expect(failures.notAnImage?.message).toContain('could not be decoded');
  expect(failures.tooLarge?.message).toContain('maxImagePixels');
  expect(failures.bomb?.message).toContain('20000×20000 pixels by its PNG header (not decoded)');
  expect(failures.badScore).toMatchObject({ code: 'INVALID_OPTIONS', input: 'minScore' });
  expect(failures.badLoad).toMatchObject({ code: 'INVALID_OPTIONS', input: 'iouThreshold' });
  // Nothing was queued or run for any of them.
  expect(result.requestsBefore).toBe(0);
  expect(result.after).toContain('person');
  expect(result.disposed).toMatchObject({ code: 'DISPOSED' });
});

test('the demo panel boxes the person in the sample photo, and the boats in the other', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  await page.goto('/?backend=wasm&panels=detect');
  await expect(page.locator('#status')).toHaveText('Done.', { timeout: 200_000 });
  await expect(page.locator('#detect-backend')).toHaveText('wasm');
  await expect(page.locator('#detect-objects li').first()).toContainText('person');
  await expect(page.locator('#detect-canvas')).toHaveAttribute('aria-label', /person/);
  await page.locator('#detect-panel').screenshot({ path: testInfo.outputPath('detect-astronaut.png') });
  await page.selectOption('#detect-sample', 'boats');
  await page.click('#detect-run');
  await expect(page.locator('#detect-canvas')).toHaveAttribute('aria-label', /boat/);
  await expect(page.locator('#detect-source')).toHaveText('the sample photo (boats)');
  await page.locator('#detect-panel').screenshot({ path: testInfo.outputPath('detect-boats.png') });
  await expect(page.locator('#detect-error')).toBeHidden();
});
