/**
 * OCR panel: PP-OCR on a rendered sample, an uploaded image, or a snapshot of the camera;
 * boxes drawn over the image and the lines listed.
 */
import type { OcrResult, OcrTask, Runtime } from '../../src/index';
import { Camera } from '../camera';
import { chosenFile, element, ms, setText, showError, timed, showBackend } from '../ui';

let task: OcrTask | undefined;
let camera: Camera | undefined;

/** The sample's lines. */
export const sampleLines = ['The quick brown fox', 'jumps over the lazy dog', 'Inference in the page 2026'];

/** A sample image with known text, rendered here (so its text is known exactly). */
export async function renderTextSample(): Promise<Blob> {
  const canvas = new OffscreenCanvas(512, 160);
  const context = canvas.getContext('2d');
  if (context === null) throw new Error('no 2d context');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, 512, 160);
  context.fillStyle = '#000';
  context.font = '32px Arial, sans-serif';
  context.textBaseline = 'middle';
  sampleLines.forEach((line, i) => context.fillText(line, 16, 30 + i * 50));
  return canvas.convertToBlob({ type: 'image/png' });
}

function setCameraButtons(open: boolean): void {
  element('ocr-camera', HTMLButtonElement).disabled = open;
  element('ocr-snapshot', HTMLButtonElement).disabled = !open;
  element('ocr-camera-stop', HTMLButtonElement).disabled = !open;
}

/** Draw `image` with the boxes of `result`, and list its lines. */
function showResult(image: ImageBitmap, result: OcrResult): void {
  const canvas = element('ocr-canvas', HTMLCanvasElement);
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  if (context !== null) {
    context.drawImage(image, 0, 0);
    context.strokeStyle = '#e53935';
    context.lineWidth = 2;
    for (const line of result.lines) {
      context.beginPath();
      line.box.forEach((p, i) => (i === 0 ? context.moveTo(p.x, p.y) : context.lineTo(p.x, p.y)));
      context.closePath();
      context.stroke();
    }
  }
  const texts = result.lines.map((line) => `“${line.text}”`).join(', ');
  canvas.setAttribute('aria-label', `image with ${result.lines.length} text boxes${texts === '' ? '' : `: ${texts}`}`);
  element('ocr-lines', HTMLElement).replaceChildren(
    ...result.lines.map((line) => {
      const item = document.createElement('li');
      item.textContent = `${line.text}  (${(line.confidence * 100).toFixed(0)}%)`;
      return item;
    }),
  );
  if (result.lines.length === 0) setText('ocr-lines', 'no text found');
}

/** Load the OCR task on `backend`. */
export async function loadOcrPanel(runtime: Runtime, backend: 'auto' | 'webgpu' | 'wasm'): Promise<OcrTask> {
  stopOcrCamera();
  task = await runtime.ocr({ backend });
  showBackend('ocr', task);
  return task;
}

/** Run on the sample or the chosen file. */
export async function runOcrPanel(useUpload: boolean): Promise<void> {
  if (task === undefined) return;
  stopOcrCamera();
  showError('ocr-error', undefined);
  try {
    const file = useUpload ? chosenFile(element('ocr-file', HTMLInputElement)) : undefined;
    const image = file ?? (await renderTextSample());
    const current = task;
    const [result, latency] = await timed(() => current.read(image));
    setText('ocr-source', file === undefined ? 'the sample text' : `your image ${file.name}`);
    setText('ocr-latency', ms(latency));
    showResult(await createImageBitmap(image), result);
  } catch (error) {
    showError('ocr-error', error);
  }
}

/** Open the camera preview; the snapshot button then reads a frame (the Use camera button). */
export async function startOcrCamera(): Promise<void> {
  if (camera !== undefined) return;
  showError('ocr-error', undefined);
  element('ocr-camera', HTMLButtonElement).disabled = true;
  try {
    const opened = await Camera.open(element('ocr-video', HTMLVideoElement), 'environment');
    camera = opened;
    opened.onEnded(() => {
      stopOcrCamera();
      showError('ocr-error', new Error('The camera stopped (unplugged, or access was revoked). Use it again, or upload an image.'));
    });
    setCameraButtons(true);
    setText('ocr-source', `camera: ${opened.label} (${opened.width}×${opened.height}); press “Read this frame”`);
  } catch (error) {
    setCameraButtons(false);
    showError('ocr-error', error);
  }
}

/** Read the camera's current frame (the Read this frame button). */
export async function readOcrSnapshot(): Promise<void> {
  const current = task;
  const opened = camera;
  if (opened === undefined) return;
  showError('ocr-error', undefined);
  if (current === undefined) {
    showError('ocr-error', new Error('The OCR model is not loaded yet: load the models first.'));
    return;
  }
  const snapshot = element('ocr-snapshot', HTMLButtonElement);
  snapshot.disabled = true;
  try {
    const frame = await opened.grab();
    // The model's copy is transferred to the worker; this one is drawn under the boxes.
    const display = await createImageBitmap(frame);
    const [result, latency] = await timed(() => current.read(frame));
    setText('ocr-source', `camera snapshot: ${opened.label} (${display.width}×${display.height})`);
    setText('ocr-latency', ms(latency));
    showResult(display, result);
    display.close();
  } catch (error) {
    showError('ocr-error', error);
  } finally {
    snapshot.disabled = camera === undefined;
  }
}

/** Stop the camera (the Stop button; also before another run or a reload). */
export function stopOcrCamera(): void {
  camera?.stop();
  camera = undefined;
  setCameraButtons(false);
}
