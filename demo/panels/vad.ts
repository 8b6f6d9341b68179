/**
 * Voice activity panel: Silero VAD on the sample clip, an uploaded file or the live
 * microphone. Shows the waveform with the speech segments shaded and the per-frame
 * speech probability, the segments, and the latency.
 */
import type { Runtime, VadTask } from '../../src/index';
import { chosenFile, element, ms, setText, showError, timed, showBackend } from '../ui';
import { drawWaveform } from '../waveform';
import { LiveVad } from './vad-live';

let task: VadTask | undefined;
let live: LiveVad | undefined;

function setListening(listening: boolean): void {
  element('vad-listen', HTMLButtonElement).disabled = listening;
  element('vad-stop', HTMLButtonElement).disabled = !listening;
}

/** Decode `audio` to 16 kHz mono for drawing (the model decodes it on its own); empty if that fails. */
async function samplesForDrawing(audio: Blob): Promise<Float32Array> {
  let decoded: AudioBuffer;
  try {
    decoded = await new OfflineAudioContext(1, 1, 16000).decodeAudioData(await audio.arrayBuffer());
  } catch {
    return new Float32Array(0);
  }
  const mono = new Float32Array(decoded.length);
  for (let channel = 0; channel < decoded.numberOfChannels; channel += 1) {
    const data = decoded.getChannelData(channel);
    for (let i = 0; i < mono.length; i += 1) mono[i] = (mono[i] ?? 0) + (data[i] ?? 0) / decoded.numberOfChannels;
  }
  return mono;
}

/** Load the VAD task on `backend`. */
export async function loadVadPanel(runtime: Runtime, backend: 'auto' | 'webgpu' | 'wasm'): Promise<VadTask> {
  await stopListening();
  task = await runtime.vad({ backend, name: 'silero-vad' });
  showBackend('vad', task);
  return task;
}

/** Run on the sample or the chosen file. */
export async function runVadPanel(useUpload: boolean): Promise<void> {
  if (task === undefined) return;
  await stopListening();
  showError('vad-error', undefined);
  try {
    const file = useUpload ? chosenFile(element('vad-file', HTMLInputElement)) : undefined;
    const audio = file ?? (await (await fetch('/samples/speech-16k.wav')).blob());
    const current = task;
    // The library decodes and checks the input; a bad file rejects here with INVALID_INPUT.
    const [detection, latency] = await timed(() => current.detect(audio));
    const what = file === undefined ? 'the sample clip' : `your file ${file.name}`;
    setText('vad-source', what);
    setText('vad-latency', `${ms(latency)} for ${(detection.durationMs / 1000).toFixed(1)} s of audio (${detection.probabilities.length} frames)`);
    setText('vad-segments', detection.segments.map((s) => `${s.startMs}–${s.endMs} ms`).join(', ') || 'no speech found');
    const samples = await samplesForDrawing(audio);
    const endMs = Math.max(detection.durationMs, (samples.length / 16000) * 1000);
    drawWaveform(
      element('vad-plot', HTMLCanvasElement),
      {
        samples,
        sampleRate: 16000,
        startMs: 0,
        spanMs: endMs,
        probabilities: detection.probabilities,
        firstFrameMs: 0,
        frameMs: detection.frameMs,
        segments: detection.segments,
        endMs,
      },
      what,
    );
  } catch (error) {
    showError('vad-error', error);
  }
}

/** Start listening to the microphone (the Listen button). */
export async function startListening(): Promise<void> {
  if (live !== undefined) return;
  showError('vad-error', undefined);
  if (task === undefined) {
    showError('vad-error', new Error('The VAD model is not loaded yet: load the models first.'));
    return;
  }
  // Stop is enabled once the microphone is open.
  element('vad-listen', HTMLButtonElement).disabled = true;
  try {
    live = await LiveVad.start(task, (error) => {
      live = undefined;
      setListening(false);
      showError('vad-error', error);
    });
    setListening(true);
  } catch (error) {
    setListening(false);
    showError('vad-error', error);
  }
}

/** Stop listening (the Stop button; also before another run or a reload). */
export async function stopListening(): Promise<void> {
  const current = live;
  live = undefined;
  setListening(false);
  await current?.stop();
}
