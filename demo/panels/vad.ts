/** Voice activity panel: Silero VAD on the sample clip or an uploaded file. */
import type { Runtime, VadTask } from '../../src/index';
import { chosenFile, element, ms, setText, showError, timed } from '../ui';

let task: VadTask | undefined;

function drawProbabilities(probabilities: Float32Array, segments: readonly { startMs: number; endMs: number }[], frameMs: number): void {
  const canvas = element('vad-plot', HTMLCanvasElement);
  const context = canvas.getContext('2d');
  if (context === null) return;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const totalMs = probabilities.length * frameMs;
  context.fillStyle = '#2f7d3233';
  for (const s of segments) context.fillRect((s.startMs / totalMs) * width, 0, ((s.endMs - s.startMs) / totalMs) * width, height);
  const bar = width / probabilities.length;
  probabilities.forEach((p, i) => {
    context.fillStyle = p > 0.5 ? '#2f7d32' : '#9e9e9e';
    context.fillRect(i * bar, height * (1 - p), Math.max(1, bar - 0.5), height * p);
  });
  canvas.setAttribute('aria-label', `speech probability per ${frameMs} ms frame; ${segments.length} speech segments`);
}

/** Load the VAD task on `backend`. */
export async function loadVadPanel(runtime: Runtime, backend: 'auto' | 'webgpu' | 'wasm'): Promise<VadTask> {
  task = await runtime.vad({ backend, name: 'silero-vad' });
  setText('vad-backend', task.backend);
  return task;
}

/** Run on the sample or the chosen file. */
export async function runVadPanel(useUpload: boolean): Promise<void> {
  if (task === undefined) return;
  showError('vad-error', undefined);
  try {
    const file = useUpload ? chosenFile(element('vad-file', HTMLInputElement)) : undefined;
    const audio = file ?? (await (await fetch('/samples/speech-16k.wav')).blob());
    const current = task;
    const [detection, latency] = await timed(() => current.detect(audio));
    setText('vad-latency', `${ms(latency)} for ${(detection.durationMs / 1000).toFixed(1)} s of audio (${detection.probabilities.length} frames)`);
    setText('vad-segments', detection.segments.map((s) => `${s.startMs}–${s.endMs} ms`).join(', ') || 'no speech found');
    drawProbabilities(detection.probabilities, detection.segments, detection.frameMs);
  } catch (error) {
    showError('vad-error', error);
  }
}
