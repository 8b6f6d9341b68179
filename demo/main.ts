/**
 * The demo page: one panel per task (voice activity, pose, OCR, semantic search,
 * streaming generation), each on the shipped samples or the user's own input, showing
 * its result, the backend its model runs on and the latency of the call.
 */
import { createRuntime, type Runtime } from '../src/index';
import { loadEmbeddingsPanel, runEmbeddingsPanel } from './panels/embeddings';
import { loadGenerationPanel, runGenerationPanel, stopGeneration } from './panels/generation';
import { loadOcrPanel, runOcrPanel } from './panels/ocr';
import { loadPosePanel, runPosePanel } from './panels/pose';
import { loadVadPanel, runVadPanel } from './panels/vad';
import type { DemoBackend as Backend, DemoTasks } from './session';
import { describeError, element, setText } from './ui';

const backendSelect = element('backend', HTMLSelectElement);
const reloadButton = element('reload', HTMLButtonElement);
const status = element('status', HTMLElement);
let runtime: Runtime | undefined;

function on(id: string, event: string, handler: () => Promise<void> | void): void {
  element(id, HTMLElement).addEventListener(event, () => void handler());
}

async function start(backend: Backend): Promise<void> {
  reloadButton.disabled = true;
  status.textContent = `Loading models in workers (${backend})…`;
  await runtime?.dispose();
  const current = createRuntime();
  runtime = current;
  try {
    const environment = await current.environment();
    setText(
      'env',
      environment.webgpu.available
        ? `WebGPU available (${environment.webgpu.vendor ?? '?'} / ${environment.webgpu.architecture ?? '?'}); cross-origin isolated: ${environment.crossOriginIsolated}; cores: ${environment.hardwareConcurrency}`
        : `WebGPU unavailable (${environment.webgpu.reason ?? 'no adapter'}): every model runs on WASM.`,
    );
    const tasks: DemoTasks = {};
    const panels: [string, () => Promise<void>, () => Promise<void>][] = [
      ['vad', async () => void (tasks.vad = await loadVadPanel(current, backend)), () => runVadPanel(false)],
      ['pose', async () => void (tasks.pose = await loadPosePanel(current, backend)), () => runPosePanel(false)],
      ['ocr', async () => void (tasks.ocr = await loadOcrPanel(current, backend)), () => runOcrPanel(false)],
      ['embed', async () => void (tasks.embed = await loadEmbeddingsPanel(current, backend)), () => runEmbeddingsPanel()],
      ['gen', async () => void (tasks.gen = await loadGenerationPanel(current, backend)), () => runGenerationPanel()],
    ];
    const failures: string[] = [];
    // `?panels=vad,pose` loads only those panels (SwiftShader WebGPU makes OCR and
    // generation slow: seconds per call).
    const only = new URLSearchParams(location.search).get('panels')?.split(',');
    // One after another: on 2 cores, parallel loads only slow each other down.
    for (const [name, load, run] of panels) {
      if (only !== undefined && !only.includes(name)) {
        setText(`${name}-backend`, 'not loaded (see ?panels=)');
        continue;
      }
      try {
        await load();
        await run();
      } catch (error) {
        failures.push(`${name}: ${describeError(error)}`);
        setText(`${name}-error`, describeError(error));
        element(`${name}-error`, HTMLElement).hidden = false;
      }
    }
    status.textContent = failures.length === 0 ? 'Done.' : `Some panels failed: ${failures.join(' · ')}`;
  } catch (error) {
    status.textContent = `Failed: ${describeError(error)}`;
  } finally {
    reloadButton.disabled = false;
  }
}

function selectedBackend(): Backend {
  const value = backendSelect.value;
  return value === 'webgpu' || value === 'wasm' ? value : 'auto';
}

on('reload', 'click', () => start(selectedBackend()));
on('vad-run', 'click', () => runVadPanel(false));
on('vad-file', 'change', () => runVadPanel(true));
on('pose-run', 'click', () => runPosePanel(false));
on('pose-file', 'change', () => runPosePanel(true));
on('ocr-run', 'click', () => runOcrPanel(false));
on('ocr-file', 'change', () => runOcrPanel(true));
on('embed-form', 'submit', () => runEmbeddingsPanel());
on('gen-form', 'submit', () => runGenerationPanel());
on('gen-stop', 'click', () => stopGeneration());

// `?backend=wasm` (or webgpu/auto) preselects the backend, for links and tests.
const requested = new URLSearchParams(location.search).get('backend');
if (requested === 'auto' || requested === 'webgpu' || requested === 'wasm') backendSelect.value = requested;
void start(selectedBackend());
