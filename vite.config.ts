/**
 * The demo page (index.html) and the e2e harness page, served and built with the
 * cross-origin-isolation headers multi-threaded WASM needs (SharedArrayBuffer). The npm
 * package is built by scripts/build-lib.mjs (`npm run build`).
 */
import { resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

// COOP + COEP make the page cross-origin isolated, which enables SharedArrayBuffer
// and so WASM threads in ONNX Runtime Web and TF.js.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * The strict Content-Security-Policy the demo, the harness and the package work under (see
 * the README's "Content-Security-Policy"): scripts and workers only from this origin, no
 * `eval`/`new Function`; `'wasm-unsafe-eval'` lets WebAssembly compile. e2e/csp.spec.ts
 * checks the served header against its own copy (e2e/fixtures/csp.ts).
 */
const strictCsp = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";
const isolationHeaderNames = new Set(Object.keys(isolationHeaders).map((name) => name.toLowerCase()));

/**
 * Test switches of the preview server, set per browser context by e2e specs as cookies,
 * which reach every request (documents, worker scripts, the modules and files workers
 * fetch), so one server gives each test the headers it needs:
 * - `inpage-csp=strict`: every response carries {@link strictCsp}, as a server configured
 *   for it sends it. A dedicated worker takes its CSP from its own script's response, and
 *   a server header is on that response and on everything the worker loads (its module
 *   imports, ONNX Runtime's thread workers) without depending on what Playwright's request
 *   interception reaches.
 * - `inpage-isolation=off`: no COOP/COEP, so the page is not cross-origin isolated (no
 *   SharedArrayBuffer: single-threaded WASM).
 *
 * Playwright gives each test its own browser context (cookies and HTTP cache), so responses
 * of one setting are never reused under another.
 */
function e2eHeaderSwitches(): Plugin {
  const cookie = (req: IncomingMessage, name: string): string | undefined =>
    (req.headers.cookie ?? '')
      .split(';')
      .map((part) => part.trim().split('='))
      .find(([key]) => key === name)?.[1];
  return {
    name: 'inpage-e2e-header-switches',
    configurePreviewServer(server) {
      server.middlewares.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
        if (cookie(req, 'inpage-csp') === 'strict') res.setHeader('Content-Security-Policy', strictCsp);
        if (cookie(req, 'inpage-isolation') === 'off') {
          // `preview.headers` are set later, by the static file server: drop them as they come.
          const setHeader = res.setHeader.bind(res);
          res.setHeader = (name, value) => (isolationHeaderNames.has(name.toLowerCase()) ? res : setHeader(name, value));
        }
        next();
      });
    },
  };
}

// ONNX Runtime Web's default build embeds its 28 MB WASM (inlined as base64 in library
// mode). We serve the WASM ourselves (see `ortWasmPrefix`), so pick the build that
// loads it from there instead.
const resolveOptions = { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] };

export default defineConfig({
  // A multi-page app: a missing file is a real 404, not index.html (an SPA fallback
  // would hand HTML to the model loaders).
  appType: 'mpa',
  plugins: [e2eHeaderSwitches()],
  // The repository serves the engines and models from public/ at the site root
  // (`npm run assets`); apps get `<base>inpage/` from the inpage/vite plugin.
  define: { __INPAGE_ASSET_BASE__: JSON.stringify('/') },
  resolve: resolveOptions,
  server: { host: '127.0.0.1', port: 5173, headers: isolationHeaders },
  preview: { host: '127.0.0.1', port: 4173, headers: isolationHeaders },
  worker: { format: 'es' },
  // ORT locates its WASM glue relative to its own module; pre-bundling would move it.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    outDir: 'dist-app',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        harness: resolve(import.meta.dirname, 'e2e/harness.html'),
        // A bench page that drives ONNX Runtime Web directly (bench/webgpu-call.bench.ts).
        ortCall: resolve(import.meta.dirname, 'bench/pages/ort-call.html'),
        // Greedy decoding with each ONNX Runtime Web build directly (bench/decode-ort-builds.bench.ts).
        ortDecode: resolve(import.meta.dirname, 'bench/pages/ort-decode.html'),
      },
    },
  },
});
