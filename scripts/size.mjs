#!/usr/bin/env node
// scripts/size.mjs — `npm run size`: what inpage costs an app, against budgets (exit 1 over one).
//
//   main entry   dist/index.js bundled the way an app bundles it (with comlink and idb-keyval,
//                minified by Vite), gzip: what inpage adds to the app's own JS
//   worker       dist/worker.js as shipped (already minified), gzip: loaded once per worker
//   engines      the WASM files, gzip: downloaded once, then from the HTTP cache
//   package      `npm pack` size and unpacked size
//
// Run after `npm run build`. Budgets sit just above today's numbers (README, "Package and
// sizes"), so growth is a decision, not an accident. Writes nothing but a temp folder.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const MB = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;
const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** Budgets, gzip bytes unless said otherwise. */
const budgets = {
  // 40.2 kB at 0.3.0: the batch planner (config checks, batch keys and units for any model),
  // sessions, the model repository, and the object-detection task, which apps that do not
  // import it tree-shake away (`sideEffects: false`). Was 25.4 kB at 0.2.0. 47.4 kB with the
  // embedding task on the model path: its SentencePiece tokenizer moved from the worker to the
  // main thread (tokenising while the worker runs the batch before), plus concat batching and
  // main-thread stacking into pooled buffers. 51.3 kB with the robustness checks that must
  // run on the main thread, before any worker message: per-call option checks, image-header
  // sizes (a decompression bomb is refused before decoding), worker liveness (Web Lock) and
  // the watchdog, cache checksums on read. 53.9 kB with worker healing (replicas that restart
  // and retry) and the argument checks of the fault suite. 55.1 kB with the embedding store's
  // in-memory key filter (new texts skip IndexedDB), the metrics option checks and the image
  // pixel limit checked on the main thread.
  'main entry (minified, gzip)': 58_000,
  // 379.0 kB with ONNX Runtime's CPU-only build's JS (`onnxruntime-web/wasm`, ~16 kB gzip) beside the JSEP build's.
  'worker (gzip)': 395_000,
  // WebGPU sessions fetch only the JSEP build's WASM, WASM sessions only the CPU-only build's
  // (workers/ort-builds.ts): 6.7 and 3.7 MB gzip, 28.3 and 14.2 MB raw.
  'ONNX Runtime WASM, JSEP build (gzip)': 6_800_000,
  'ONNX Runtime WASM, CPU-only build (gzip)': 3_800_000,
  'TF.js WASM, SIMD (gzip)': 150_000,
  // 7.9 → 11.7 MB, and 32.2 → 46.5 MB unpacked: ONNX Runtime's CPU-only build (3.7 MB gzip,
  // 14.2 MB), which WASM sessions run on (0.84–0.92× the JSEP build's decode step time on 16
  // cores). An app serves both; a page fetches only the build its sessions use.
  'package (npm pack)': 11_700_000,
  // 32.0 → 32.2 MB: inpage/testing (the Playwright kit's JS and declarations, ~70 kB).
  'package (unpacked)': 46_800_000,
};

const out = mkdtempSync(join(tmpdir(), 'inpage-size-'));
let mainEntry;
try {
  await build({
    root: ROOT,
    configFile: false,
    logLevel: 'silent',
    publicDir: false,
    build: {
      outDir: out,
      minify: true,
      target: 'es2022',
      modulePreload: false,
      rollupOptions: {
        input: join(ROOT, 'dist/index.js'),
        preserveEntrySignatures: 'strict',
        output: { entryFileNames: 'index.js' },
      },
      // The worker file referenced by new URL(…) is an asset here; it is measured on its own.
      assetsInlineLimit: 0,
    },
  });
  mainEntry = readFileSync(join(out, 'index.js'));
  const assets = readdirSync(join(out, 'assets'));
  if (!assets.some((name) => /^worker-.*\.js$/.test(name)))
    throw new Error('the bundle did not emit the worker asset: new URL("./worker.js", import.meta.url) is broken');
} finally {
  rmSync(out, { recursive: true, force: true });
}

const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8' }))[0];
const read = (path) => readFileSync(join(ROOT, path));
const measured = {
  'main entry (minified, gzip)': gzip(mainEntry),
  'worker (gzip)': gzip(read('dist/worker.js')),
  'ONNX Runtime WASM, JSEP build (gzip)': gzip(read('dist/engines/ort/ort-wasm-simd-threaded.jsep.wasm')),
  'ONNX Runtime WASM, CPU-only build (gzip)': gzip(read('dist/engines/ort/ort-wasm-simd-threaded.wasm')),
  'TF.js WASM, SIMD (gzip)': gzip(read('dist/engines/tfjs/tfjs-backend-wasm-simd.wasm')),
  'package (npm pack)': packed.size,
  'package (unpacked)': packed.unpackedSize,
};
const raw = {
  'main entry (minified, gzip)': mainEntry.length,
  'worker (gzip)': read('dist/worker.js').length,
  'ONNX Runtime WASM, JSEP build (gzip)': read('dist/engines/ort/ort-wasm-simd-threaded.jsep.wasm').length,
  'ONNX Runtime WASM, CPU-only build (gzip)': read('dist/engines/ort/ort-wasm-simd-threaded.wasm').length,
  'TF.js WASM, SIMD (gzip)': read('dist/engines/tfjs/tfjs-backend-wasm-simd.wasm').length,
};

let over = 0;
console.log('| what | size | raw | budget | |\n| --- | --- | --- | --- | --- |');
for (const [name, budget] of Object.entries(budgets)) {
  const size = measured[name];
  const ok = size <= budget;
  if (!ok) over += 1;
  const format = size >= 1e6 ? MB : kB;
  console.log(`| ${name} | ${format(size)} | ${raw[name] === undefined ? '' : format(raw[name])} | ${format(budget)} | ${ok ? 'ok' : 'OVER'} |`);
}
console.log(`\npackage: ${packed.entryCount} files`);
if (over > 0) {
  console.error(`size: ${over} budget(s) exceeded; shrink it, or raise the budget in scripts/size.mjs and say why in the commit`);
  process.exit(1);
}
