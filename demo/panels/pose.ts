/**
 * Pose panel: MoveNet on the sample photo, an uploaded image, or the camera, live: every
 * new camera frame is sent with a `supersedeKey`, so a frame still queued when the next
 * one arrives is dropped instead of building a backlog.
 */
import { InpageError, type Keypoint, type PoseTask, type Runtime } from '../../src/index';
import { Camera } from '../camera';
import { drawPose } from '../pose-view';
import { chosenFile, element, ms, setText, showError, timed, showBackend } from '../ui';

let task: PoseTask | undefined;
let camera: Camera | undefined;
let cameraRun: AbortController | undefined;

/**
 * Frames in flight at most (running, sent ahead, queued, being prepared): a safety net for
 * memory; the queue itself holds one camera frame, as each new one supersedes the last.
 */
const maxOutstanding = 6;

function listKeypoints(keypoints: readonly Keypoint[]): void {
  element('pose-keypoints', HTMLElement).replaceChildren(
    ...keypoints
      .filter((k) => k.score > 0.3)
      .map((k) => {
        const item = document.createElement('li');
        item.textContent = `${k.name}: (${k.x.toFixed(0)}, ${k.y.toFixed(0)}) score ${k.score.toFixed(2)}`;
        return item;
      }),
  );
}

function setCameraButtons(open: boolean): void {
  element('pose-camera', HTMLButtonElement).disabled = open;
  element('pose-camera-stop', HTMLButtonElement).disabled = !open;
}

/** Load the pose task on `backend`. */
export async function loadPosePanel(runtime: Runtime, backend: 'auto' | 'webgpu' | 'wasm'): Promise<PoseTask> {
  stopPoseCamera();
  task = await runtime.pose({ backend, name: 'movenet' });
  showBackend('pose', task);
  return task;
}

/** Run on the sample or the chosen file. */
export async function runPosePanel(useUpload: boolean): Promise<void> {
  if (task === undefined) return;
  stopPoseCamera();
  showError('pose-error', undefined);
  try {
    const file = useUpload ? chosenFile(element('pose-file', HTMLInputElement)) : undefined;
    const image = file ?? (await (await fetch('/samples/astronaut.jpg')).blob());
    const current = task;
    const [pose, latency] = await timed(() => current.detect(image));
    setText('pose-source', file === undefined ? 'the sample photo' : `your image ${file.name}`);
    setText('pose-latency', ms(latency));
    drawPose(element('pose-canvas', HTMLCanvasElement), await createImageBitmap(image), pose.keypoints);
    listKeypoints(pose.keypoints);
  } catch (error) {
    showError('pose-error', error);
  }
}

/** Open the camera and track the pose on its frames until stopped (the Use camera button). */
export async function startPoseCamera(): Promise<void> {
  if (camera !== undefined) return;
  showError('pose-error', undefined);
  const current = task;
  if (current === undefined) {
    showError('pose-error', new Error('The pose model is not loaded yet: load the models first.'));
    return;
  }
  element('pose-camera', HTMLButtonElement).disabled = true;
  let opened: Camera;
  try {
    opened = await Camera.open(element('pose-video', HTMLVideoElement), 'user');
  } catch (error) {
    setCameraButtons(false);
    showError('pose-error', error);
    return;
  }
  camera = opened;
  const run = new AbortController();
  cameraRun = run;
  setCameraButtons(true);
  setText('pose-source', `camera: ${opened.label} (${opened.width}×${opened.height}), live`);
  setText('pose-latency', 'waiting for the first frame…');
  opened.onEnded(() => {
    stopPoseCamera();
    showError('pose-error', new Error('The camera stopped (unplugged, or access was revoked). Use it again, or upload an image.'));
  });
  let submitted = 0;
  let shown = 0;
  let dropped = 0;
  let outstanding = 0;
  const track = async (frame: number): Promise<void> => {
    const bitmap = await opened.grab();
    // The model's copy is transferred to the worker; this one is drawn under the result.
    const display = await createImageBitmap(bitmap);
    try {
      const [pose, latency] = await timed(() => current.detect(bitmap, { supersedeKey: 'pose-camera', signal: run.signal }));
      if (run.signal.aborted || frame < shown) return;
      shown = frame;
      drawPose(element('pose-canvas', HTMLCanvasElement), display, pose.keypoints);
      listKeypoints(pose.keypoints);
      setText('pose-latency', `${ms(latency)} (camera frame ${frame}; ${dropped} stale frames dropped)`);
    } catch (error) {
      if (error instanceof InpageError && (error.code === 'SUPERSEDED' || error.code === 'DEADLINE_EXCEEDED')) dropped += 1;
      else if (!run.signal.aborted) throw error;
    } finally {
      bitmap.close();
      display.close();
    }
  };
  opened.eachFrame(() => {
    if (outstanding >= maxOutstanding || run.signal.aborted) return;
    submitted += 1;
    outstanding += 1;
    track(submitted)
      .catch((error: unknown) => {
        if (run.signal.aborted) return;
        stopPoseCamera();
        showError('pose-error', error);
      })
      .finally(() => (outstanding -= 1));
  });
}

/** Stop the camera (the Stop button; also before another run or a reload). */
export function stopPoseCamera(): void {
  cameraRun?.abort();
  cameraRun = undefined;
  camera?.stop();
  camera = undefined;
  setCameraButtons(false);
}
