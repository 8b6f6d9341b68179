/**
 * The pose task: every accepted image input gives the same 17 keypoints in the image's
 * own pixel coordinates, letterboxing keeps them right on non-square images, and bad
 * images get typed errors without disturbing queued work.
 */
import { backends, expect, test } from './fixtures/page';

for (const backend of backends) {
  test(`pose task accepts every image input and answers in image pixels on ${backend}`, async ({ harness }) => {
    const result = await harness.evaluate(async (backend) => {
      const runtime = window.inpage.createRuntime();
      const pose = await runtime.pose({ backend });
      const url = '/samples/astronaut.jpg';
      const blob = await (await fetch(url)).blob();
      const image = new Image();
      image.src = url;
      const canvas = document.createElement('canvas');
      const bitmapForCanvas = await createImageBitmap(blob);
      canvas.width = bitmapForCanvas.width;
      canvas.height = bitmapForCanvas.height;
      canvas.getContext('2d')?.drawImage(bitmapForCanvas, 0, 0);
      const imageData = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height);
      if (imageData === undefined) throw new Error('no canvas context');
      const inputs = { blob, url, bitmap: await createImageBitmap(blob), imageData, image, canvas };
      const out: Record<string, { x: number; y: number; score: number; name: string }[]> = {};
      for (const [kind, input] of Object.entries(inputs)) out[kind] = [...(await pose.detect(input)).keypoints];
      // A non-square crop (the top 512×300): the face keeps its absolute position.
      const crop = document.createElement('canvas');
      crop.width = 512;
      crop.height = 300;
      crop.getContext('2d')?.drawImage(bitmapForCanvas, 0, 0);
      const cropped = await pose.detect(crop);
      const info = { backend: pose.backend, cropped: cropped.keypoints, size: [cropped.width, cropped.height] };
      await runtime.dispose();
      return { out, ...info };
    }, backend);

    expect(result.backend).toBe(backend);
    const reference = result.out.blob ?? [];
    expect(reference).toHaveLength(17);
    const nose = reference[0];
    expect(nose?.name).toBe('nose');
    // The astronaut's face is near (222, 121) in the 512×512 photo.
    expect(Math.abs((nose?.x ?? 0) - 222)).toBeLessThan(20);
    expect(Math.abs((nose?.y ?? 0) - 121)).toBeLessThan(20);
    for (const [kind, keypoints] of Object.entries(result.out)) {
      keypoints.forEach((k, i) => {
        const ref = reference[i];
        if (ref === undefined || ref.score < 0.3) return;
        expect(Math.abs(k.x - ref.x), `${kind} ${k.name} x`).toBeLessThan(4);
        expect(Math.abs(k.y - ref.y), `${kind} ${k.name} y`).toBeLessThan(4);
      });
    }
    expect(result.size).toEqual([512, 300]);
    const croppedNose = result.cropped[0];
    expect(croppedNose?.score).toBeGreaterThan(0.3);
    expect(Math.abs((croppedNose?.x ?? 0) - (nose?.x ?? 0))).toBeLessThan(15);
    expect(Math.abs((croppedNose?.y ?? 0) - (nose?.y ?? 0))).toBeLessThan(15);
  });
}

test('bad images get INVALID_INPUT before any engine call; queued work still completes', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { caught } = window.harness;
    const runtime = window.inpage.createRuntime();
    const pose = await runtime.pose({ backend: 'wasm', maxImagePixels: 600 * 600 });
    const good = await (await fetch('/samples/astronaut.jpg')).blob();
    const big = document.createElement('canvas');
    big.width = 800;
    big.height = 800;
    // Fire a valid request and invalid ones together: the valid one must still answer.
    const [valid, undecodable, empty, tooLarge, wrongType, missing] = await Promise.all([
      pose.detect(good).then((r) => r.keypoints.length),
      caught(pose.detect(new Blob(['definitely not a png'], { type: 'image/png' }))),
      caught(pose.detect(new Blob([], { type: 'image/png' }))),
      caught(pose.detect(big)),
      caught(pose.detect(42 as never)),
      caught(pose.detect('/samples/no-such-image.png')),
    ]);
    const after = (await pose.detect(good)).keypoints.length;
    await pose.dispose();
    const disposed = await caught(pose.detect(good));
    await runtime.dispose();
    return { valid, undecodable, empty, tooLarge, wrongType, missing, after, disposed };
  });
  expect(result.valid).toBe(17);
  expect(result.undecodable).toMatchObject({ code: 'INVALID_INPUT', input: 'image', isOwnClass: true });
  expect(result.undecodable?.message).toContain('could not be decoded');
  expect(result.empty).toMatchObject({ code: 'INVALID_INPUT', got: '0 bytes' });
  expect(result.tooLarge).toMatchObject({ code: 'INVALID_INPUT', expected: 'at most 360000 pixels', got: '800×800' });
  expect(result.wrongType).toMatchObject({ code: 'INVALID_INPUT', got: 'number' });
  expect(result.missing).toMatchObject({ code: 'INVALID_INPUT', input: 'image' });
  expect(result.missing?.message).toContain('HTTP 404');
  expect(result.after).toBe(17);
  expect(result.disposed).toMatchObject({ code: 'DISPOSED' });
});
