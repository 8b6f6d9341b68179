import { defineConfig } from 'vite';
import inpage from 'inpage/vite';

// `inpage()` serves ONNX Runtime's and TF.js's WASM and the installed tasks' model files in
// dev, emits them on build (under `<base>inpage/`), and sends the COOP/COEP headers that
// multi-threaded WASM needs. The tests also build this app under `base: '/sub/'` (BASE), and
// preview it with a strict Content-Security-Policy (CSP=strict), the one inpage works under:
// scripts and workers from the app's origin only, and WebAssembly ('wasm-unsafe-eval'), no eval.
const csp = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";

export default defineConfig({
  base: process.env.BASE ?? '/',
  plugins: [inpage({ tasks: ['vad', 'pose', 'ocr', 'embeddings', 'generation'] })],
  // Two pages: the example (index.html) and the page its performance tests drive (perf.html).
  build: { rollupOptions: { input: { main: 'index.html', perf: 'perf.html' } } },
  preview: process.env.CSP === 'strict' ? { headers: { 'Content-Security-Policy': csp } } : {},
});
