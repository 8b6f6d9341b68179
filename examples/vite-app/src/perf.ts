/**
 * The page this app's performance tests drive (perf/app.perf.ts, with `inpage/testing`): a
 * search box's sentence embeddings and a speech detector, as functions on `window.perfApp`.
 * One line opts the runtime into the tests' metrics: `exposeMetrics(runtime)`.
 *
 * URL parameters: `?backend=wasm|webgpu|auto` for the search box (default auto; speech always
 * runs on `auto`, which keeps one stream on WASM where it is fastest); `?delay=<ms>` makes every call
 * that much slower (the kit's own check that a regression against a baseline fails the run).
 */
import { createRuntime, exposeMetrics, type BackendPreference } from 'inpage';

const params = new URL(location.href).searchParams;
const backend: BackendPreference = ((): BackendPreference => {
  const value = params.get('backend');
  return value === 'wasm' || value === 'webgpu' ? value : 'auto';
})();
const delayMs = Number(params.get('delay') ?? 0);

const runtime = createRuntime();
exposeMetrics(runtime);

const loaded = Promise.all([runtime.embeddings({ backend, name: 'search', cache: false }), runtime.vad({ backend: 'auto', name: 'speech' })]);

/** Half a second of a voiced vowel-like sound at 16 kHz, different per call. */
function clip(seed: number): { samples: Float32Array; sampleRate: number } {
  const samples = new Float32Array(8000);
  for (let i = 0; i < samples.length; i += 1) {
    const t = i / 16000;
    samples[i] = 0.3 * Math.sin(2 * Math.PI * (140 + (seed % 40)) * t) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * t)) + 0.02 * Math.sin(i * 12.9898 + seed);
  }
  return { samples, sampleRate: 16000 };
}

const app = {
  /** Resolves when both models are loaded, with their backends. */
  ready: loaded.then(([search, speech]) => ({ search: search.backend, speech: speech.backend })),
  /** Embed a query as the search box does; resolves with the vector's length. */
  async search(query: string): Promise<number> {
    const [search] = await loaded;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const [vector] = await search.embed(query);
    return vector?.length ?? 0;
  },
  /** Detect speech in half a second of audio; resolves with the number of segments. */
  async speech(seed: number): Promise<number> {
    const [, speech] = await loaded;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return (await speech.detect(clip(seed))).segments.length;
  },
};

declare global {
  interface Window {
    perfApp: typeof app;
  }
}
window.perfApp = app;
const status = document.getElementById('status');
void app.ready.then(
  (backends) => {
    if (status !== null) status.textContent = `ready: search on ${backends.search}, speech on ${backends.speech}`;
  },
  (error: unknown) => {
    if (status !== null) status.textContent = `failed: ${String(error)}`;
  },
);
