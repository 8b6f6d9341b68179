/**
 * The demo page: one panel per task (voice activity, pose, OCR, semantic search,
 * streaming generation), each on the shipped samples or the user's own input, showing
 * its result, the backend its model runs on and the latency of the call; below them a
 * load generator with toggles, the live metrics dashboard and the cache panel.
 */
import { createRuntime, type Runtime } from '../src/index';
import { loadEmbeddingsPanel, runEmbeddingsPanel } from './panels/embeddings';
import { loadGenerationPanel, runGenerationPanel, stopGeneration } from './panels/generation';
import { loadOcrPanel, readOcrSnapshot, runOcrPanel, startOcrCamera, stopOcrCamera } from './panels/ocr';
import { loadPosePanel, runPosePanel, startPoseCamera, stopPoseCamera } from './panels/pose';
import { loadDetectionPanel, runDetectionPanel, startDetectionCamera, stopDetectionCamera } from './panels/detection';
import { loadVadPanel, runVadPanel, startListening, stopListening } from './panels/vad';
import { wireCachePanel, refreshCachePanel } from './cache-panel';
import { Dashboard } from './dashboard/dashboard';
import { LoadGenerator } from './load/load-generator';
import { applyBatching, batchingEnabled, cacheOptionsFromToggles, describeStats, semanticCacheEnabled, wireLoadPanel } from './load/load-panel';
import { SessionHolder, type DemoBackend as Backend, type DemoTasks } from './session';
import { describeError, element, setText } from './ui';

const backendSelect = element('backend', HTMLSelectElement);
const reloadButton = element('reload', HTMLButtonElement);
const status = element('status', HTMLElement);
let runtime: Runtime | undefined;
const sessions = new SessionHolder();
const dashboard = new Dashboard();
const loadStats = element('load-stats', HTMLElement);
const loadGenerator = new LoadGenerator(sessions, (stats) => (loadStats.textContent = describeStats(stats)));
// The counters line also refreshes while nothing completes (req/s decays).
setInterval(() => (loadStats.textContent = describeStats(loadGenerator.stats)), 1000);

function on(id: string, event: string, handler: () => Promise<void> | void): void {
  element(id, HTMLElement).addEventListener(event, () => void handler());
}

async function start(backend: Backend): Promise<void> {
  reloadButton.disabled = true;
  status.textContent = `Loading models in workers (${backend})…`;
  sessions.clear();
  dashboard.detach();
  await runtime?.dispose();
  // A 5 s metrics window (5 × 1 s slots): the charts follow changes within seconds.
  const current = createRuntime({ cache: cacheOptionsFromToggles(), metrics: { slotMs: 1000, slots: 5 } });
  runtime = current;
  dashboard.attach(current);
  try {
    const environment = await current.environment();
    setText(
      'env',
      environment.webgpu.available
        ? `WebGPU available (${environment.webgpu.vendor ?? '?'} / ${environment.webgpu.architecture ?? '?'}); cross-origin isolated: ${environment.crossOriginIsolated}; cores: ${environment.hardwareConcurrency}`
        : `WebGPU unavailable (${environment.webgpu.reason ?? 'no adapter'}): every model runs on WASM.`,
    );
    const webgpuOption = backendSelect.querySelector('option[value="webgpu"]');
    if (webgpuOption instanceof HTMLOptionElement && !environment.webgpu.available) webgpuOption.textContent = 'webgpu (unavailable here)';
    if (backend === 'webgpu' && !environment.webgpu.available) {
      status.textContent = 'WebGPU is unavailable in this browser, so nothing was loaded: choose "auto" or "wasm" and press Load models.';
      return;
    }
    const tasks: DemoTasks = {};
    const panels: [string, () => Promise<void>, () => Promise<void>][] = [
      ['vad', async () => void (tasks.vad = await loadVadPanel(current, backend)), () => runVadPanel(false)],
      ['pose', async () => void (tasks.pose = await loadPosePanel(current, backend)), () => runPosePanel(false)],
      ['ocr', async () => void (tasks.ocr = await loadOcrPanel(current, backend)), () => runOcrPanel(false)],
      ['detect', async () => void (await loadDetectionPanel(current, backend)), () => runDetectionPanel(false)],
      ['embed', async () => void (tasks.embed = await loadEmbeddingsPanel(current, backend)), () => runEmbeddingsPanel()],
      [
        'gen',
        async () => void (tasks.gen = await loadGenerationPanel(current, backend, semanticCacheEnabled() ? tasks.embed : undefined)),
        () => runGenerationPanel(),
      ],
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
    const session = { runtime: current, backend, tasks };
    applyBatching(session, batchingEnabled());
    sessions.set(session);
    void refreshCachePanel(current).catch(() => undefined);
    status.textContent = failures.length === 0 ? 'Done.' : `Some panels failed: ${failures.join(' · ')}`;
    // How many times the models have finished loading (tests wait for a reload by it).
    status.dataset['loads'] = String(Number(status.dataset['loads'] ?? 0) + 1);
  } catch (error) {
    status.textContent = `Failed: ${describeError(error)}`;
  } finally {
    reloadButton.disabled = false;
  }
}

// Cache toggles reload the models; reloads run one after another.
let reloading: Promise<void> = Promise.resolve();
wireLoadPanel(
  loadGenerator,
  () => sessions.current,
  () => (reloading = reloading.then(() => start(selectedBackend()))),
);
wireCachePanel(sessions, () => cacheOptionsFromToggles().weights !== false);

function selectedBackend(): Backend {
  const value = backendSelect.value;
  return value === 'webgpu' || value === 'wasm' ? value : 'auto';
}

on('reload', 'click', () => start(selectedBackend()));
on('vad-run', 'click', () => runVadPanel(false));
on('vad-file', 'change', () => runVadPanel(true));
on('vad-listen', 'click', () => startListening());
on('vad-stop', 'click', () => stopListening());
on('pose-run', 'click', () => runPosePanel(false));
on('pose-file', 'change', () => runPosePanel(true));
on('pose-camera', 'click', () => startPoseCamera());
on('pose-camera-stop', 'click', () => stopPoseCamera());
on('ocr-run', 'click', () => runOcrPanel(false));
on('ocr-file', 'change', () => runOcrPanel(true));
on('ocr-camera', 'click', () => startOcrCamera());
on('ocr-snapshot', 'click', () => readOcrSnapshot());
on('ocr-camera-stop', 'click', () => stopOcrCamera());
on('detect-run', 'click', () => runDetectionPanel(false));
on('detect-file', 'change', () => runDetectionPanel(true));
on('detect-camera', 'click', () => startDetectionCamera());
on('detect-camera-stop', 'click', () => stopDetectionCamera());
// The forms are answered here and never submitted (a handler, not an inline `onsubmit`: the
// page runs under a strict Content-Security-Policy, see e2e/csp.spec.ts).
for (const id of ['embed-form', 'gen-form']) element(id, HTMLFormElement).addEventListener('submit', (event) => event.preventDefault());
on('embed-form', 'submit', () => runEmbeddingsPanel());
on('gen-form', 'submit', () => runGenerationPanel());
on('gen-stop', 'click', () => stopGeneration());

// `?backend=wasm` (or webgpu/auto) preselects the backend, for links and tests.
const requested = new URLSearchParams(location.search).get('backend');
if (requested === 'auto' || requested === 'webgpu' || requested === 'wasm') backendSelect.value = requested;
void start(selectedBackend());
