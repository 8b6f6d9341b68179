/**
 * Object detection panel: NanoDet (COCO, 80 classes) through `loadObjectDetection`, a task
 * written with inpage's public API, on a sample photo, an uploaded image, or the camera,
 * live: each new frame is sent with a `supersedeKey`, so a frame still queued when the next
 * one arrives is dropped; boxes and labels are drawn over the image on a canvas.
 */
import { InpageError, loadObjectDetection, type DetectedObject, type ObjectDetectionTask, type Runtime } from '../../src/index';
import { Camera } from '../camera';
import { chosenFile, element, ms, setText, showError, timed, showBackend } from '../ui';

let task: ObjectDetectionTask | undefined;
let camera: Camera | undefined;
let cameraRun: AbortController | undefined;

/** Frames in flight at most: a safety net for memory (the queue itself keeps one camera frame). */
const maxOutstanding = 4;

/** The samples the panel offers (files in public/samples, licences in LICENSES.md). */
const samples: Record<string, string> = {
  astronaut: '/samples/astronaut.jpg',
  boats: '/samples/boats.jpg',
};

/** A colour per class, stable across frames. */
function colourOf(classId: number): string {
  return `hsl(${(classId * 47) % 360} 90% 55%)`;
}

/** Draw `image` with a labelled box per object; list the objects. */
function showObjects(image: ImageBitmap, objects: readonly DetectedObject[]): void {
  const canvas = element('detect-canvas', HTMLCanvasElement);
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  if (context !== null) {
    context.drawImage(image, 0, 0);
    const line = Math.max(2, Math.round(Math.max(image.width, image.height) / 250));
    context.lineWidth = line;
    context.font = `${6 * line + 4}px sans-serif`;
    context.textBaseline = 'top';
    for (const { label, classId, score, box } of objects) {
      const colour = colourOf(classId);
      context.strokeStyle = colour;
      context.strokeRect(box.x, box.y, box.width, box.height);
      const text = `${label} ${(score * 100).toFixed(0)}%`;
      const width = context.measureText(text).width + 2 * line;
      const height = 6 * line + 4 + 2 * line;
      const top = box.y >= height ? box.y - height : box.y;
      context.fillStyle = colour;
      context.fillRect(box.x, top, width, height);
      context.fillStyle = '#000';
      context.fillText(text, box.x + line, top + line);
    }
  }
  canvas.setAttribute('aria-label', objects.length === 0 ? 'no objects found' : `objects: ${objects.map((o) => o.label).join(', ')}`);
  element('detect-objects', HTMLElement).replaceChildren(
    ...objects.map(({ label, score, box }) => {
      const item = document.createElement('li');
      item.textContent = `${label} ${(score * 100).toFixed(0)}% at (${box.x.toFixed(0)}, ${box.y.toFixed(0)}) ${box.width.toFixed(0)}×${box.height.toFixed(0)}`;
      return item;
    }),
  );
}

function setCameraButtons(open: boolean): void {
  element('detect-camera', HTMLButtonElement).disabled = open;
  element('detect-camera-stop', HTMLButtonElement).disabled = !open;
}

/** Load the detector on `backend`. */
export async function loadDetectionPanel(runtime: Runtime, backend: 'auto' | 'webgpu' | 'wasm'): Promise<ObjectDetectionTask> {
  stopDetectionCamera();
  task = await loadObjectDetection(runtime, { backend });
  showBackend('detect', task);
  return task;
}

/** Run on the chosen sample or the uploaded file. */
export async function runDetectionPanel(useUpload: boolean): Promise<void> {
  const current = task;
  if (current === undefined) return;
  stopDetectionCamera();
  showError('detect-error', undefined);
  try {
    const file = useUpload ? chosenFile(element('detect-file', HTMLInputElement)) : undefined;
    const sample = element('detect-sample', HTMLSelectElement).value;
    const blob = file ?? (await (await fetch(samples[sample] ?? '/samples/astronaut.jpg')).blob());
    const [result, latency] = await timed(() => current.detect(blob));
    setText('detect-source', file === undefined ? `the sample photo (${sample})` : `your image ${file.name}`);
    const { preprocessMs, inferenceMs, postprocessMs } = result.timings;
    setText('detect-latency', `${ms(latency)} (pre-process ${ms(preprocessMs)}, inference ${ms(inferenceMs)}, decode + NMS ${ms(postprocessMs)})`);
    const bitmap = await createImageBitmap(blob);
    showObjects(bitmap, result.objects);
    bitmap.close();
  } catch (error) {
    showError('detect-error', error);
  }
}

/** Open the camera and detect objects in its frames until stopped (the Use camera button). */
export async function startDetectionCamera(): Promise<void> {
  if (camera !== undefined) return;
  showError('detect-error', undefined);
  const current = task;
  if (current === undefined) {
    showError('detect-error', new Error('The detector is not loaded yet: load the models first.'));
    return;
  }
  element('detect-camera', HTMLButtonElement).disabled = true;
  let opened: Camera;
  try {
    opened = await Camera.open(element('detect-video', HTMLVideoElement), 'environment');
  } catch (error) {
    setCameraButtons(false);
    showError('detect-error', error);
    return;
  }
  camera = opened;
  const run = new AbortController();
  cameraRun = run;
  setCameraButtons(true);
  setText('detect-source', `camera: ${opened.label} (${opened.width}×${opened.height}), live`);
  setText('detect-latency', 'waiting for the first frame…');
  opened.onEnded(() => {
    stopDetectionCamera();
    showError('detect-error', new Error('The camera stopped (unplugged, or access was revoked). Use it again, or upload an image.'));
  });
  let submitted = 0;
  let shown = 0;
  let dropped = 0;
  let outstanding = 0;
  const track = async (frame: number): Promise<void> => {
    // The detector reads the bitmap on the main thread (nothing is transferred): the same frame is drawn under its boxes.
    const bitmap = await opened.grab();
    try {
      const [result, latency] = await timed(() => current.detect(bitmap, { supersedeKey: 'detect-camera', signal: run.signal }));
      if (run.signal.aborted || frame < shown) return;
      shown = frame;
      showObjects(bitmap, result.objects);
      setText('detect-latency', `${ms(latency)} (camera frame ${frame}; ${dropped} stale frames dropped)`);
    } catch (error) {
      if (error instanceof InpageError && (error.code === 'SUPERSEDED' || error.code === 'DEADLINE_EXCEEDED')) dropped += 1;
      else if (!run.signal.aborted) throw error;
    } finally {
      bitmap.close();
    }
  };
  opened.eachFrame(() => {
    if (outstanding >= maxOutstanding || run.signal.aborted) return;
    submitted += 1;
    outstanding += 1;
    track(submitted)
      .catch((error: unknown) => {
        if (run.signal.aborted) return;
        stopDetectionCamera();
        showError('detect-error', error);
      })
      .finally(() => (outstanding -= 1));
  });
}

/** Stop the camera (the Stop button; also before another run or a reload). */
export function stopDetectionCamera(): void {
  cameraRun?.abort();
  cameraRun = undefined;
  camera?.stop();
  camera = undefined;
  setCameraButtons(false);
}
