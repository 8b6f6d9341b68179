/**
 * The load generator's controls: concurrency, modality mix and priority class per kind,
 * start/stop, and the toggles that switch batching, priorities and each cache off to see
 * the difference on the charts. Batching and priorities change live; a cache toggle
 * reloads the models with that cache off (the charts keep their history).
 */
import { modalityDefaults, type CacheOptions, type Priority } from '../../src/index';
import type { DemoSession } from '../session';
import { describeError, element, showError } from '../ui';
import { LiveChart } from '../dashboard/live-chart';
import { loadKinds, priorityClasses, type LoadConfig, type LoadGenerator, type LoadKind, type LoadStats } from './load-generator';

/** The caches the page can switch off (each needs a model reload). */
export const cacheToggles = ['weights', 'embeddings', 'kvPrefix'] as const;
type CacheToggle = (typeof cacheToggles)[number];

function checkbox(id: string): HTMLInputElement {
  return element(id, HTMLInputElement);
}

/** The cache options the toggles ask for (`false` for each cache switched off). */
export function cacheOptionsFromToggles(): CacheOptions {
  const options: Record<CacheToggle, boolean> = { weights: true, embeddings: true, kvPrefix: true };
  for (const name of cacheToggles) options[name] = checkbox(`toggle-cache-${name}`).checked;
  return options;
}

/** Whether the generator's (opt-in) semantic result cache is switched on. */
export function semanticCacheEnabled(): boolean {
  return checkbox('toggle-cache-semantic').checked;
}

/** Whether batching is switched on. */
export function batchingEnabled(): boolean {
  return checkbox('toggle-batching').checked;
}

/**
 * Apply the batching toggle to a session's batched tasks (VAD frames, embedding texts):
 * off = batches of one; on = the modality default. Pose and OCR always run one image per call.
 */
export function applyBatching(session: DemoSession, enabled: boolean): void {
  session.tasks.vad?.reconfigure({ maxBatchSize: enabled ? modalityDefaults.audio.maxBatchSize : 1 });
  session.tasks.embed?.reconfigure({ maxBatchSize: enabled ? modalityDefaults.text.maxBatchSize : 1 });
}

/** Read the form into a load config. */
export function readLoadConfig(): LoadConfig {
  const concurrency = Math.max(1, Math.min(64, Math.round(Number(element('load-concurrency', HTMLInputElement).value)) || 1));
  const weight = (id: string): number => Math.max(0, Number(element(id, HTMLInputElement).value) || 0);
  const mix: Record<LoadKind, number> = { vad: 0, pose: 0, ocr: 0, embed: 0, gen: 0 };
  for (const kind of loadKinds) mix[kind] = weight(`load-mix-${kind}`);
  const classes: Record<Priority, number> = { realtime: 0, interactive: 0, background: 0 };
  for (const priority of priorityClasses) classes[priority] = weight(`load-class-${priority}`);
  return { concurrency, mix, classes, usePriorities: checkbox('toggle-priorities').checked };
}

/** One line summarising the counters. */
export function describeStats(stats: LoadStats): string {
  const done = loadKinds.map((k) => `${k} ${stats.completed[k]}`).join(', ');
  const failures = Object.entries(stats.failed)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const seconds = (performance.now() - stats.startedAt) / 1000;
  const total = loadKinds.reduce((sum, k) => sum + stats.completed[k], 0);
  const state = stats.running ? `running, ${stats.clients} clients, ${(total / Math.max(seconds, 0.001)).toFixed(0)} req/s` : 'stopped';
  return `${state} · completed: ${done} · failed: ${failures || 'none'}`;
}

/** Wire the controls to `generator`; `reload` is called when a cache toggle changes. */
export function wireLoadPanel(generator: LoadGenerator, current: () => DemoSession | undefined, reload: () => Promise<void>): void {
  const startButton = element('load-start', HTMLButtonElement);
  const stopButton = element('load-stop', HTMLButtonElement);
  const concurrencyOut = element('load-concurrency-value', HTMLOutputElement);
  const sync = (): void => {
    concurrencyOut.value = element('load-concurrency', HTMLInputElement).value;
    if (generator.stats.running) generator.start(readLoadConfig());
  };
  startButton.addEventListener('click', () => {
    showError('load-error', undefined);
    generator.start(readLoadConfig());
    startButton.disabled = true;
    stopButton.disabled = false;
  });
  stopButton.addEventListener('click', () => {
    stopButton.disabled = true;
    void generator.stop().then(() => (startButton.disabled = false));
  });
  for (const id of ['load-concurrency', ...loadKinds.map((k) => `load-mix-${k}`), ...priorityClasses.map((c) => `load-class-${c}`), 'toggle-priorities']) {
    element(id, HTMLElement).addEventListener('change', sync);
  }
  element('load-concurrency', HTMLElement).addEventListener('input', sync);
  // Latency per priority class, as the generator's clients saw it (the runtime's metrics are per model).
  const charts = element('load-charts', HTMLElement);
  const p95 = new LiveChart(charts, { title: 'Load: end-to-end p95 by priority class (5 s window)', unit: 'ms' }, 'class-p95');
  const p50 = new LiveChart(charts, { title: 'Load: end-to-end p50 by priority class (5 s window)', unit: 'ms' }, 'class-p50');
  setInterval(() => {
    if (!generator.stats.running) return;
    const byClass = generator.latencyByClass();
    const now = Date.now() / 1000;
    p95.push(now, Object.fromEntries(priorityClasses.map((c) => [c, byClass[c]?.p95 ?? null])));
    p50.push(now, Object.fromEntries(priorityClasses.map((c) => [c, byClass[c]?.p50 ?? null])));
    // How many requests each class's numbers rest on (since the last change): tests wait on counts, not time.
    charts.dataset.classCounts = JSON.stringify(Object.fromEntries(priorityClasses.map((c) => [c, byClass[c]?.count ?? 0])));
    charts.dataset.loadChanges = String(generator.changes);
  }, 500);
  checkbox('toggle-batching').addEventListener('change', () => {
    const session = current();
    try {
      if (session !== undefined) applyBatching(session, batchingEnabled());
    } catch (error) {
      showError('load-error', error);
    }
  });
  for (const name of [...cacheToggles, 'semantic']) {
    checkbox(`toggle-cache-${name}`).addEventListener('change', () => {
      reload().catch((error: unknown) => showError('load-error', describeError(error)));
    });
  }
}
