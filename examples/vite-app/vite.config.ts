import { defineConfig } from 'vite';
import inpage from 'inpage/vite';

// `inpage()` serves ONNX Runtime's and TF.js's WASM and the installed tasks' model files in
// dev, emits them on build (under `<base>inpage/`), and sends the COOP/COEP headers that
// multi-threaded WASM needs. The tests also build this app under `base: '/sub/'` (BASE).
export default defineConfig({
  base: process.env.BASE ?? '/',
  plugins: [inpage({ tasks: ['vad', 'pose', 'ocr', 'embeddings', 'generation'] })],
});
