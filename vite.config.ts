/**
 * The demo page (index.html) and the e2e harness page, served and built with the
 * cross-origin-isolation headers multi-threaded WASM needs (SharedArrayBuffer). The npm
 * package is built by scripts/build-lib.mjs (`npm run build`).
 */
import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig } from 'vite';

// COOP + COEP make the page cross-origin isolated, which enables SharedArrayBuffer
// and so WASM threads in ONNX Runtime Web and TF.js.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// ONNX Runtime Web's default build embeds its 28 MB WASM (inlined as base64 in library
// mode). We serve the WASM ourselves (see `ortWasmPrefix`), so pick the build that
// loads it from there instead.
const resolveOptions = { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] };

export default defineConfig({
  // A multi-page app: a missing file is a real 404, not index.html (an SPA fallback
  // would hand HTML to the model loaders).
  appType: 'mpa',
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
      },
    },
  },
});
