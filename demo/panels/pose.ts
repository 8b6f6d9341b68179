/** Pose panel: MoveNet on the sample photo or an uploaded image. */
import type { PoseTask, Runtime } from '../../src/index';
import { drawPose } from '../pose-view';
import { chosenFile, element, ms, setText, showError, timed } from '../ui';

let task: PoseTask | undefined;

/** Load the pose task on `backend`. */
export async function loadPosePanel(runtime: Runtime, backend: 'auto' | 'webgpu' | 'wasm'): Promise<PoseTask> {
  task = await runtime.pose({ backend, name: 'movenet' });
  setText('pose-backend', task.backend);
  return task;
}

/** Run on the sample or the chosen file. */
export async function runPosePanel(useUpload: boolean): Promise<void> {
  if (task === undefined) return;
  showError('pose-error', undefined);
  try {
    const file = useUpload ? chosenFile(element('pose-file', HTMLInputElement)) : undefined;
    const image = file ?? (await (await fetch('/samples/astronaut.jpg')).blob());
    const current = task;
    const [pose, latency] = await timed(() => current.detect(image));
    setText('pose-latency', ms(latency));
    drawPose(element('pose-canvas', HTMLCanvasElement), await createImageBitmap(image), pose.keypoints);
    element('pose-keypoints', HTMLElement).replaceChildren(
      ...pose.keypoints
        .filter((k) => k.score > 0.3)
        .map((k) => {
          const item = document.createElement('li');
          item.textContent = `${k.name}: (${k.x.toFixed(0)}, ${k.y.toFixed(0)}) score ${k.score.toFixed(2)}`;
          return item;
        }),
    );
  } catch (error) {
    showError('pose-error', error);
  }
}
