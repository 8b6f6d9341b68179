/**
 * The cache panel: bytes and entries per IndexedDB store, what is stored (grouped by
 * model), clear buttons, and a reload-and-measure button that loads one model cold
 * (its stored weights deleted first) and then warm (from IndexedDB), each in a fresh
 * runtime with fresh workers, and shows both times.
 */
import { createRuntime, type CacheEntryInfo, type CacheName, type Runtime } from '../src/index';
import type { DemoBackend, SessionHolder } from './session';
import { element, ms, setText, showError, timed } from './ui';

/** Models the measure button can load: how to load each, and how its weights entries are named. */
const measurable: Readonly<
  Record<string, { readonly label: string; readonly file: string; readonly load: (runtime: Runtime, backend: DemoBackend) => Promise<unknown> }>
> = {
  embed: { label: 'USE-lite embeddings', file: '/use-lite/', load: (r, backend) => r.embeddings({ backend }) },
  vad: { label: 'Silero VAD', file: 'silero_vad', load: (r, backend) => r.vad({ backend }) },
  pose: { label: 'MoveNet pose', file: 'movenet', load: (r, backend) => r.pose({ backend }) },
  ocr: { label: 'PP-OCR (3 models)', file: '/ocr/', load: (r, backend) => r.ocr({ backend }) },
  gen: { label: 'decoder', file: '/decoder/', load: (r, backend) => r.textGeneration({ backend }) },
};

const stores: readonly CacheName[] = ['weights', 'embeddings', 'results', 'kv-prefix'];

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB`;
}

function cell(text: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

/** Entries grouped by store and model: count, bytes, last use. */
function groupEntries(entries: readonly CacheEntryInfo[]): { store: string; model: string; count: number; bytes: number; lastUsed: number }[] {
  const groups = new Map<string, { store: string; model: string; count: number; bytes: number; lastUsed: number }>();
  for (const entry of entries) {
    const key = `${entry.store}\u0000${entry.model}`;
    const group = groups.get(key) ?? { store: entry.store, model: entry.model, count: 0, bytes: 0, lastUsed: 0 };
    group.count += 1;
    group.bytes += entry.bytes;
    group.lastUsed = Math.max(group.lastUsed, entry.lastUsed);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.lastUsed - a.lastUsed);
}

/** Show the stores' usage and entries. */
export async function refreshCachePanel(runtime: Runtime): Promise<void> {
  const [usage, entries] = await Promise.all([runtime.cache.usage(), runtime.cache.entries()]);
  element('cache-usage-body', HTMLElement).replaceChildren(
    ...stores.map((store) => {
      const tr = document.createElement('tr');
      tr.dataset['store'] = store;
      tr.append(cell(store), cell(String(usage.stores[store].entries)), cell(megabytes(usage.stores[store].bytes)));
      return tr;
    }),
  );
  const estimate = usage.estimate;
  setText(
    'cache-total',
    `${megabytes(usage.totalBytes)} in inpage's stores` +
      (estimate?.usage === undefined
        ? ''
        : `; the origin uses ${megabytes(estimate.usage)}${estimate.quota === undefined ? '' : ` of ${megabytes(estimate.quota)}`}`),
  );
  element('cache-entries-body', HTMLElement).replaceChildren(
    ...groupEntries(entries)
      .slice(0, 20)
      .map((g) => {
        const tr = document.createElement('tr');
        tr.append(
          cell(g.store),
          cell(g.model.replace(location.origin, '')),
          cell(String(g.count)),
          cell(megabytes(g.bytes)),
          cell(new Date(g.lastUsed).toLocaleTimeString()),
        );
        return tr;
      }),
  );
}

/** Delete the stored weights of the model whose files contain `file`; returns entries deleted. */
async function forgetWeights(runtime: Runtime, file: string): Promise<number> {
  const models = new Set((await runtime.cache.entries('weights')).filter((e) => e.model.includes(file) || e.id.includes(file)).map((e) => e.model));
  let deleted = 0;
  for (const model of models) deleted += await runtime.cache.deleteModel(model);
  return deleted;
}

/** Cold load (stored weights deleted) then warm load (from IndexedDB), each in a fresh runtime. */
async function measureLoad(kind: string, backend: DemoBackend, weightsCacheOn: boolean): Promise<string> {
  const target = measurable[kind];
  if (target === undefined) throw new Error(`unknown model "${kind}"`);
  const loadFresh = async (): Promise<number> => {
    const runtime = createRuntime();
    try {
      const [, took] = await timed(() => target.load(runtime, backend));
      return took;
    } finally {
      await runtime.dispose();
    }
  };
  const janitor = createRuntime();
  await forgetWeights(janitor, target.file);
  await janitor.dispose();
  const cold = await loadFresh();
  const warm = await loadFresh();
  const note = weightsCacheOn ? '' : ' (the page runs with the weights cache off; this measure uses a runtime with it on)';
  return `${target.label} on ${backend}: cold ${ms(cold)} (weights fetched and stored) → warm ${ms(warm)} (from IndexedDB): ${(cold / warm).toFixed(1)}× faster${note}`;
}

/** Wire the panel's buttons. */
export function wireCachePanel(sessions: SessionHolder, weightsCacheOn: () => boolean): void {
  const refresh = async (): Promise<void> => {
    const session = sessions.current;
    if (session === undefined) return;
    showError('cache-error', undefined);
    try {
      await refreshCachePanel(session.runtime);
    } catch (error) {
      showError('cache-error', error);
    }
  };
  element('cache-refresh', HTMLButtonElement).addEventListener('click', () => void refresh());
  for (const store of [...stores, 'all'] as const) {
    element(`cache-clear-${store}`, HTMLButtonElement).addEventListener('click', () => {
      const session = sessions.current;
      if (session === undefined) return;
      void session.runtime.cache
        .clear(store === 'all' ? undefined : store)
        .then(refresh)
        .catch((error: unknown) => showError('cache-error', error));
    });
  }
  const measure = element('cache-measure', HTMLButtonElement);
  measure.addEventListener('click', () => {
    const session = sessions.current;
    if (session === undefined) return;
    measure.disabled = true;
    showError('cache-error', undefined);
    setText('cache-measure-result', 'Measuring: cold load, then warm load…');
    measureLoad(element('cache-measure-model', HTMLSelectElement).value, session.backend, weightsCacheOn())
      .then((text) => setText('cache-measure-result', text))
      .catch((error: unknown) => {
        setText('cache-measure-result', '');
        showError('cache-error', error);
      })
      .finally(() => {
        measure.disabled = false;
        void refresh();
      });
  });
}
