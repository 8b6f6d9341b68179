/**
 * The demo page: loads Silero VAD (ONNX Runtime Web) and MoveNet (TF.js) in Web
 * Workers on the chosen backend and shows what they produce on the shipped samples,
 * with the backend each model actually runs on and its latency.
 */
import { createRuntime, InpageError, tensor, type BackendPreference, type Runtime } from '../src/index';
import { drawPose, keypointNames, type Keypoint } from './pose-view';
import { decodeWav16 } from './wav';

const speechUrl = '/samples/speech-16k.wav';
const imageUrl = '/samples/astronaut.jpg';

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`demo page is missing #${id}`);
  return found;
}

const backendSelect = element('backend', HTMLSelectElement);
const runButton = element('run', HTMLButtonElement);
const status = element('status', HTMLElement);

function describe(error: unknown): string {
  if (error instanceof InpageError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function setText(id: string, text: string): void {
  element(id, HTMLElement).textContent = text;
}

async function runVad(runtime: Runtime, backend: BackendPreference): Promise<void> {
  const vad = await runtime.load({
    format: 'onnx',
    source: '/models/silero_vad_v5.onnx',
    backend,
    shapes: { input: ['batch', 576], state: [2, 'batch', 128] },
  });
  setText('vad-backend', `${vad.backend}${vad.fallbackReason ? ` (fallback: ${vad.fallbackReason})` : ''}`);
  setText('vad-load', `${vad.loadMs.toFixed(0)} ms`);
  const { samples, sampleRate } = decodeWav16(await (await fetch(speechUrl)).arrayBuffer());
  const probabilities: number[] = [];
  let state: Float32Array = new Float32Array(256);
  let context = new Float32Array(64);
  const latencies: number[] = [];
  for (let start = 0; start + 512 <= samples.length; start += 512) {
    const frame = new Float32Array(576);
    frame.set(context, 0);
    frame.set(samples.subarray(start, start + 512), 64);
    context = samples.slice(start + 448, start + 512);
    const { outputs, roundTripMs } = await vad.runDetailed({
      input: tensor('float32', [1, 576], frame),
      state: tensor('float32', [2, 1, 128], state),
      sr: tensor('int64', [], BigInt64Array.of(BigInt(sampleRate))),
    });
    latencies.push(roundTripMs);
    if (outputs.output?.dtype !== 'float32' || outputs.stateN?.dtype !== 'float32') throw new Error('unexpected VAD outputs');
    probabilities.push(outputs.output.data[0] ?? 0);
    state = outputs.stateN.data;
  }
  latencies.sort((a, b) => a - b);
  setText('vad-latency', `median ${(latencies[latencies.length >> 1] ?? 0).toFixed(2)} ms per 32 ms frame (${latencies.length} frames)`);
  drawProbabilities(probabilities);
  setText('vad-segments', segments(probabilities).join(', ') || 'no speech found');
}

function segments(probabilities: readonly number[]): string[] {
  const found: string[] = [];
  let start = -1;
  probabilities.forEach((p, i) => {
    if (p > 0.5 && start < 0) start = i;
    if ((p < 0.35 || i === probabilities.length - 1) && start >= 0) {
      if (i - start > 3) found.push(`${start * 32}–${i * 32} ms`);
      start = -1;
    }
  });
  return found;
}

function drawProbabilities(probabilities: readonly number[]): void {
  const canvas = element('vad-plot', HTMLCanvasElement);
  const context = canvas.getContext('2d');
  if (context === null) return;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const barWidth = width / probabilities.length;
  probabilities.forEach((p, i) => {
    context.fillStyle = p > 0.5 ? '#2f7d32' : '#9e9e9e';
    context.fillRect(i * barWidth, height * (1 - p), Math.max(1, barWidth - 0.5), height * p);
  });
  canvas.setAttribute('aria-label', `speech probability for ${probabilities.length} frames; ${probabilities.filter((p) => p > 0.5).length} above 0.5`);
}

async function runPose(runtime: Runtime, backend: BackendPreference): Promise<void> {
  const pose = await runtime.load({ format: 'tfjs-graph', source: '/models/movenet-lightning/movenet-lightning.json', backend });
  setText('pose-backend', `${pose.backend}${pose.fallbackReason ? ` (fallback: ${pose.fallbackReason})` : ''}`);
  setText('pose-load', `${pose.loadMs.toFixed(0)} ms`);
  const bitmap = await createImageBitmap(await (await fetch(imageUrl)).blob());
  const small = new OffscreenCanvas(192, 192);
  const smallContext = small.getContext('2d');
  if (smallContext === null) throw new Error('no 2d context');
  smallContext.drawImage(bitmap, 0, 0, 192, 192);
  const rgba = smallContext.getImageData(0, 0, 192, 192).data;
  const pixels = new Int32Array(192 * 192 * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    pixels[j] = rgba[i] ?? 0;
    pixels[j + 1] = rgba[i + 1] ?? 0;
    pixels[j + 2] = rgba[i + 2] ?? 0;
  }
  const inputName = pose.inputs[0]?.name ?? 'input';
  const { outputs, roundTripMs } = await pose.runDetailed({ [inputName]: tensor('int32', [1, 192, 192, 3], pixels) });
  const out = Object.values(outputs)[0];
  if (out?.dtype !== 'float32') throw new Error('unexpected MoveNet output');
  const keypoints: Keypoint[] = keypointNames.map((name, i) => ({
    name,
    y: (out.data[i * 3] ?? 0) * bitmap.height,
    x: (out.data[i * 3 + 1] ?? 0) * bitmap.width,
    score: out.data[i * 3 + 2] ?? 0,
  }));
  setText('pose-latency', `${roundTripMs.toFixed(1)} ms`);
  drawPose(element('pose-canvas', HTMLCanvasElement), bitmap, keypoints);
  const list = element('pose-keypoints', HTMLElement);
  list.replaceChildren(
    ...keypoints
      .filter((k) => k.score > 0.3)
      .map((k) => {
        const item = document.createElement('li');
        item.textContent = `${k.name}: (${k.x.toFixed(0)}, ${k.y.toFixed(0)}) score ${k.score.toFixed(2)}`;
        return item;
      }),
  );
}

let runtime: Runtime | undefined;

async function run(): Promise<void> {
  runButton.disabled = true;
  status.textContent = 'Loading models in workers…';
  await runtime?.dispose();
  const backend = backendSelect.value === 'webgpu' || backendSelect.value === 'wasm' ? backendSelect.value : 'auto';
  const current = createRuntime();
  runtime = current;
  try {
    const environment = await current.environment();
    setText(
      'env',
      `WebGPU ${environment.webgpu.available ? `available (${environment.webgpu.vendor ?? '?'} / ${environment.webgpu.architecture ?? '?'})` : `unavailable: ${environment.webgpu.reason ?? ''} — models run on WASM`}; cross-origin isolated: ${environment.crossOriginIsolated}; cores: ${environment.hardwareConcurrency}`,
    );
    const results = await Promise.allSettled([runVad(current, backend), runPose(current, backend)]);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [describe(r.reason)] : []));
    status.textContent = failures.length === 0 ? 'Done.' : `Failed: ${failures.join(' · ')}`;
  } catch (error) {
    status.textContent = `Failed: ${describe(error)}`;
  } finally {
    runButton.disabled = false;
  }
}

// `?backend=wasm` (or webgpu/auto) preselects the backend, for links and tests.
const requested = new URLSearchParams(location.search).get('backend');
if (requested === 'auto' || requested === 'webgpu' || requested === 'wasm') backendSelect.value = requested;
runButton.addEventListener('click', () => void run());
void run();
