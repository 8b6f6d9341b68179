/**
 * The `inpage/vite` plugin through Vite's own API: the dev server answers the assets with the
 * right bytes, types and headers (and a real 404), a build emits them under `base`, and the
 * runtime learns the base through `__INPAGE_ASSET_BASE__`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from './assets.js';
import { loadManifest } from './manifest.js';
import inpage from './vite-plugin.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const vadFile = loadManifest().tasks.vad.files[0];

/** A minimal app under node_modules/.cache (model packages resolve from the repository's node_modules). */
function makeApp(): string {
  const base = join(root, 'node_modules', '.cache');
  mkdirSync(base, { recursive: true });
  const app = mkdtempSync(join(base, 'inpage-vite-test-'));
  writeFileSync(join(app, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
  writeFileSync(join(app, 'main.js'), 'document.title = String(__INPAGE_ASSET_BASE__);\n');
  return app;
}

describe('inpage/vite in dev', () => {
  let app: string;
  let server: ViteDevServer;
  let origin: string;

  beforeAll(async () => {
    app = makeApp();
    server = await createServer({
      root: app,
      configFile: false,
      logLevel: 'silent',
      plugins: [inpage({ tasks: ['vad'] })],
      server: { host: '127.0.0.1', port: 0 },
    });
    await server.listen();
    const address = server.httpServer?.address();
    if (address === null || address === undefined || typeof address === 'string') throw new Error('no port');
    origin = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await server.close();
    rmSync(app, { recursive: true, force: true });
  });

  it('serves a model file from its npm package, verified, with COOP/COEP', async () => {
    const response = await fetch(`${origin}/inpage/models/silero_vad_v5.onnx`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('etag')).toBe(`"${vadFile?.sha256}"`);
    expect(sha256Hex(new Uint8Array(await response.arrayBuffer()))).toBe(vadFile?.sha256);
    const again = await fetch(`${origin}/inpage/models/silero_vad_v5.onnx`, { headers: { 'If-None-Match': `"${vadFile?.sha256}"` } });
    expect(again.status).toBe(304);
  });

  it("serves both ONNX Runtime builds' files (JSEP for WebGPU, CPU-only for WASM) with WASM and JavaScript types", async () => {
    for (const file of loadManifest().engines.ort.files) {
      const url = `${origin}/inpage/ort/${file.path}`;
      const response = await fetch(url, { method: 'HEAD' });
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toBe(file.path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
      expect(response.headers.get('content-length'), url).toBe(String(file.bytes));
    }
    expect(loadManifest().engines.ort.files.map((f) => f.path)).toEqual([
      'ort-wasm-simd-threaded.jsep.mjs',
      'ort-wasm-simd-threaded.jsep.wasm',
      'ort-wasm-simd-threaded.mjs',
      'ort-wasm-simd-threaded.wasm',
    ]);
  });

  it('answers a file it does not serve with a 404 that says why, never the app page', async () => {
    const response = await fetch(`${origin}/inpage/models/movenet-lightning/movenet-lightning.json`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("inpage: no models/movenet-lightning/movenet-lightning.json here. Tasks served: vad; set the plugin's `tasks` option.");
  });

  it('tells the runtime where the assets are, and isolates the page', async () => {
    expect(server.config.define?.__INPAGE_ASSET_BASE__).toBe('"/inpage/"');
    const page = await fetch(`${origin}/`);
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });
});

describe('inpage/vite on build', () => {
  it('emits the engines and the chosen models under base, and defines the base for the runtime', async () => {
    const app = makeApp();
    try {
      await build({ root: app, configFile: false, logLevel: 'silent', base: '/sub/', plugins: [inpage({ tasks: ['vad'], path: 'static/inpage' })] });
      const out = join(app, 'dist');
      const emitted = join(out, 'static', 'inpage', 'models', 'silero_vad_v5.onnx');
      expect(existsSync(emitted)).toBe(true);
      expect(sha256Hex(readFileSync(emitted))).toBe(vadFile?.sha256);
      for (const file of ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'])
        expect(existsSync(join(out, 'static', 'inpage', 'ort', file)), file).toBe(true);
      expect(existsSync(join(out, 'static', 'inpage', 'models', 'movenet-lightning'))).toBe(false);
      const js = readdirSync(join(out, 'assets')).filter((name) => name.endsWith('.js'));
      expect(js.map((name) => readFileSync(join(out, 'assets', name), 'utf8')).join('')).toContain('/sub/static/inpage/');
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });

  it('stops with the install command when a listed task has no model package', async () => {
    const app = mkdtempSync(join(tmpdir(), 'inpage-vite-bare-'));
    try {
      writeFileSync(join(app, 'index.html'), '<!doctype html>');
      await expect(build({ root: app, configFile: false, logLevel: 'silent', plugins: [inpage({ tasks: ['pose'] })] })).rejects.toThrow(
        'inpage: task "pose" needs @vladmandic/human@3.3.6. Install: npm i -D @vladmandic/human@3.3.6',
      );
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});
