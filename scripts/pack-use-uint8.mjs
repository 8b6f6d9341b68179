#!/usr/bin/env node
// scripts/pack-use-uint8.mjs — runs as part of the npm `prepare` script, after copy-assets.
//
// Re-packs Universal Sentence Encoder lite's float32 weights as uint8, 4× smaller, in a
// format TF.js loads unchanged: each float32 tensor gets a `quantization` entry in the
// weight manifest, { dtype: 'uint8', scale, min }, and TF.js dequantises it on load as
//   value = q * scale + min.
// The range is the tensor's own [min, max], "nudged" (as the TF.js converter does) so
// that 0.0 is exactly representable when it lies in the range; a constant tensor is
// stored as zeros with min = the constant, so it comes back exact. Non-float weights
// (int32 shape constants) are copied as they are.
//
//   in:  public/models/use-lite/fp32/model.json + group1-shard*of7
//   out: public/models/use-lite/uint8/model.json + group1-shard*ofN (4 MiB shards)
//
// Idempotent: does nothing when every output is newer than every input (and this
// script). Plain Node ESM, no dependencies. Prints both sizes.

import { Buffer } from 'node:buffer';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(ROOT, 'public/models/use-lite/fp32');
const TARGET = join(ROOT, 'public/models/use-lite/uint8');
const SHARD_BYTES = 4 * 1024 * 1024; // the TF.js converter's default shard size
const BYTES_PER_ELEMENT = { float32: 4, int32: 4, bool: 1 };

function fail(message) {
  console.error(`pack-use-uint8: ERROR: ${message}`);
  process.exit(1);
}

function formatBytes(n) {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

function sizeOf(dir, modelJson) {
  const files = ['model.json', ...modelJson.weightsManifest.flatMap((group) => group.paths)];
  return files.reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
}

/** Affine uint8 parameters for values in [lo, hi], zero exactly representable when covered. */
function affineRange(lo, hi) {
  if (lo === hi) return { scale: 1, min: lo };
  const scale = (hi - lo) / 255;
  if (lo <= 0 && hi >= 0) return { scale, min: -Math.round(-lo / scale) * scale };
  return { scale, min: lo };
}

/** Quantise a float32 tensor to uint8; returns the bytes and the manifest's quantization entry. */
function quantize(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) fail(`a weight holds ${v}; cannot quantise non-finite values`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const { scale, min } = affineRange(lo, hi);
  const q = new Uint8Array(values.length);
  if (lo !== hi) for (let i = 0; i < values.length; i++) q[i] = Math.min(255, Math.max(0, Math.round((values[i] - min) / scale)));
  return { bytes: q, quantization: { dtype: 'uint8', scale, min } };
}

const sourceJsonPath = join(SOURCE, 'model.json');
if (!existsSync(sourceJsonPath)) fail(`${sourceJsonPath} is missing; run scripts/copy-assets.mjs first`);
const source = JSON.parse(readFileSync(sourceJsonPath, 'utf8'));
const sourcePaths = source.weightsManifest.flatMap((group) => group.paths);
const inputs = [sourceJsonPath, ...sourcePaths.map((p) => join(SOURCE, p)), fileURLToPath(import.meta.url)];
for (const path of inputs) if (!existsSync(path)) fail(`${path} is missing; run scripts/copy-assets.mjs first`);

const targetJsonPath = join(TARGET, 'model.json');
if (existsSync(targetJsonPath)) {
  const previous = JSON.parse(readFileSync(targetJsonPath, 'utf8'));
  const outputs = [targetJsonPath, ...previous.weightsManifest.flatMap((group) => group.paths).map((p) => join(TARGET, p))];
  const newestInput = Math.max(...inputs.map((p) => statSync(p).mtimeMs));
  if (outputs.every((p) => existsSync(p) && statSync(p).mtimeMs > newestInput)) {
    console.log(`pack-use-uint8: up to date (fp32 ${formatBytes(sizeOf(SOURCE, source))}, uint8 ${formatBytes(sizeOf(TARGET, previous))})`);
    process.exit(0);
  }
}

// The fp32 weights: every group's shards, concatenated in manifest order.
const weights = [];
let quantized = 0;
for (const group of source.weightsManifest) {
  const data = Buffer.concat(group.paths.map((p) => readFileSync(join(SOURCE, p))));
  let offset = 0;
  for (const spec of group.weights) {
    if (spec.quantization !== undefined) fail(`weight ${spec.name} is already quantised`);
    const perElement = BYTES_PER_ELEMENT[spec.dtype];
    if (perElement === undefined) fail(`weight ${spec.name} has dtype ${spec.dtype}, which this script does not know`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const byteLength = count * perElement;
    if (offset + byteLength > data.length) fail(`weight ${spec.name} runs past the end of its shards`);
    const raw = data.subarray(offset, offset + byteLength);
    offset += byteLength;
    if (spec.dtype === 'float32') {
      // Copy: the Buffer's own offset need not be 4-byte aligned.
      const values = new Float32Array(new Uint8Array(raw).buffer);
      const { bytes, quantization } = quantize(values);
      weights.push({ spec: { ...spec, quantization }, bytes });
      quantized += 1;
    } else {
      weights.push({ spec, bytes: new Uint8Array(raw) });
    }
  }
  if (offset !== data.length) fail(`the manifest describes ${offset} bytes but the shards hold ${data.length}`);
}

const packed = Buffer.concat(weights.map((w) => w.bytes));
const shardCount = Math.max(1, Math.ceil(packed.length / SHARD_BYTES));
const paths = Array.from({ length: shardCount }, (_, i) => `group1-shard${i + 1}of${shardCount}`);
mkdirSync(TARGET, { recursive: true });
for (const file of readdirSync(TARGET)) if (/^group\d+-shard\d+of\d+$/.test(file) && !paths.includes(file)) rmSync(join(TARGET, file));
paths.forEach((path, i) => writeFileSync(join(TARGET, path), packed.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES)));
const target = { ...source, weightsManifest: [{ paths, weights: weights.map((w) => w.spec) }] };
// model.json last: its mtime marks a complete run.
writeFileSync(targetJsonPath, JSON.stringify(target));

const before = sizeOf(SOURCE, source);
const after = sizeOf(TARGET, target);
console.log(
  `pack-use-uint8: ${quantized} float32 tensors → uint8, ${weights.length - quantized} kept; ` +
    `fp32 ${formatBytes(before)} (${before} B) → uint8 ${formatBytes(after)} (${after} B), ${shardCount} shard(s)`,
);
