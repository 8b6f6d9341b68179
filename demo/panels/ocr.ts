/** OCR panel: PP-OCR on a rendered sample or an uploaded image; boxes drawn over it. */
import type { OcrTask, Runtime } from '../../src/index';
import { chosenFile, element, ms, setText, showError, timed } from '../ui';

let task: OcrTask | undefined;

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

/** Load the OCR task on `backend`. */
export async function loadOcrPanel(runtime: Runtime, backend: 'auto' | 'webgpu' | 'wasm'): Promise<OcrTask> {
  task = await runtime.ocr({ backend });
  setText('ocr-backend', task.backend);
  return task;
}

/** Run on the sample or the chosen file. */
export async function runOcrPanel(useUpload: boolean): Promise<void> {
  if (task === undefined) return;
  showError('ocr-error', undefined);
  try {
    const file = useUpload ? chosenFile(element('ocr-file', HTMLInputElement)) : undefined;
    const image = file ?? (await renderTextSample());
    const current = task;
    const [result, latency] = await timed(() => current.read(image));
    setText('ocr-latency', ms(latency));
    const bitmap = await createImageBitmap(image);
    const canvas = element('ocr-canvas', HTMLCanvasElement);
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const context = canvas.getContext('2d');
    if (context !== null) {
      context.drawImage(bitmap, 0, 0);
      context.strokeStyle = '#e53935';
      context.lineWidth = 2;
      for (const line of result.lines) {
        context.beginPath();
        line.box.forEach((p, i) => (i === 0 ? context.moveTo(p.x, p.y) : context.lineTo(p.x, p.y)));
        context.closePath();
        context.stroke();
      }
    }
    canvas.setAttribute('aria-label', `image with ${result.lines.length} text boxes`);
    element('ocr-lines', HTMLElement).replaceChildren(
      ...result.lines.map((line) => {
        const item = document.createElement('li');
        item.textContent = `${line.text}  (${(line.confidence * 100).toFixed(0)}%)`;
        return item;
      }),
    );
    if (result.lines.length === 0) setText('ocr-lines', 'no text found');
  } catch (error) {
    showError('ocr-error', error);
  }
}
