/**
 * MoveNet Lightning (TF.js graph) in a worker, on WebGPU and on WASM: finds the
 * astronaut's upper body with an anatomically sensible layout.
 */
import type { KeypointName } from '../src/index';
import { keypointNames as names } from '../src/tasks/keypoints';
import { backends, expect, test } from './fixtures/page';

type Name = KeypointName;

for (const backend of backends) {
  test(`MoveNet finds the person on ${backend}`, async ({ harness }) => {
    const result = await harness.evaluate(async (backend) => {
      const { createRuntime, tensor } = window.inpage;
      const runtime = createRuntime();
      const pose = await runtime.load({ format: 'tfjs-graph', source: '/models/movenet-lightning/movenet-lightning.json', backend });
      const { pixels } = await window.harness.imageToInt32Rgb('/samples/astronaut.jpg', 192);
      const inputName = pose.inputs[0]?.name ?? 'input';
      const outputs = await pose.run({ [inputName]: tensor('int32', [1, 192, 192, 3], pixels) });
      const first = Object.values(outputs)[0];
      if (first?.dtype !== 'float32') throw new Error('unexpected MoveNet output');
      const info = { backend: pose.backend, dims: [...first.dims], data: [...first.data] };
      await runtime.dispose();
      return info;
    }, backend);

    expect(result.backend).toBe(backend);
    expect(result.dims).toEqual([1, 1, 17, 3]);
    const keypoints = Object.fromEntries(
      names.map((name, i) => [name, { y: result.data[i * 3] ?? 0, x: result.data[i * 3 + 1] ?? 0, score: result.data[i * 3 + 2] ?? 0 }]),
    ) as Record<Name, { y: number; x: number; score: number }>; // built from the 17 names above
    const visible: Name[] = ['nose', 'leftEye', 'rightEye', 'leftShoulder', 'rightShoulder'];
    for (const name of visible) expect(keypoints[name].score, `${name} score on ${backend}`).toBeGreaterThan(0.3);
    const { nose, leftEye, rightEye, leftShoulder, rightShoulder } = keypoints;
    // Image coordinates: y grows downward, and the subject's left appears on the image's right.
    expect(nose.y).toBeLessThan(leftShoulder.y);
    expect(nose.y).toBeLessThan(rightShoulder.y);
    expect(leftEye.y).toBeLessThan(nose.y + 0.02);
    expect(rightEye.y).toBeLessThan(nose.y + 0.02);
    expect(leftShoulder.x).toBeGreaterThan(rightShoulder.x);
    expect(leftEye.x).toBeGreaterThan(rightEye.x);
    expect(nose.x).toBeGreaterThan(rightShoulder.x);
    expect(nose.x).toBeLessThan(leftShoulder.x);
    for (const { x, y } of Object.values(keypoints)) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(1);
    }
  });
}
