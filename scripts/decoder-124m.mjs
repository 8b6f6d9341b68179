#!/usr/bin/env node
// scripts/decoder-124m.mjs — a decoder of GPT-2 small's shape for the benches, never shipped.
//
//   node scripts/decoder-124m.mjs [--fused | --q4 | --fixture | --fixture-fused] [folder]
//       (default folder: public/models/decoder-124m, decoder-124m-fused or decoder-124m-q4)
//
// Writes decoder.onnx (~498 MB: 12 layers, hidden 768, vocab 50257, seeded random fp32
// weights) and config.json into the folder; the tokenizer stays the shipped decoder's
// (`textGeneration` defaults vocabUrl/mergesUrl to models/decoder/). The shipped 4-layer
// fixture is too small to load a GPU (a decode step is ~16M multiply-adds): the
// decode-backends bench takes this one with BENCH_DECODER=decoder-124m. `--fused` writes
// the same weights and function on ONNX Runtime's fused contrib ops (MultiHeadAttention,
// SkipLayerNormalization, Gelu), as its transformer optimizer exports GPT-2 for GPUs:
// about half the kernels per step; `--q4` also makes the projections 4-bit MatMulNBits
// (~220 MB), as ONNX Runtime's q4 exports. It needs dist/node/generators (built by
// `npm run assets`) and takes ~5 s and 1 GiB of memory.
// `--fixture` and `--fixture-fused` write the shipped 4-layer fixture (`decoder`) and its
// fused twin (`decoder-fused`), byte for byte as `npm run assets` does, where a device
// run wants them without carrying 65 MB each.
// On the device machine it runs with the carried node before the suite starts, since one
// call carries 64 MiB at most (see bench/decode-backends.bench.ts).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { generateDecoder, decoderVariants, modelScaleVariant, fusedModelScaleVariant, fusedTestVariant, quantizedModelScaleVariant } =
  await import('../dist/node/generators/decoder.js');

const args = process.argv.slice(2);
const flags = { '--q4': quantizedModelScaleVariant, '--fused': fusedModelScaleVariant, '--fixture': decoderVariants[0], '--fixture-fused': fusedTestVariant };
const variant = flags[args.find((arg) => arg in flags)] ?? modelScaleVariant;
const folder = args.find((arg) => !arg.startsWith('--'));
const out = resolve(folder ?? join(ROOT, 'public/models', variant.dir));
const started = Date.now();
const { onnx, config } = generateDecoder(variant);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'decoder.onnx'), onnx);
writeFileSync(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
console.log(
  `${variant.dir}: ${join(out, 'decoder.onnx')} (${(onnx.length / 1e6).toFixed(1)} MB, sha256 ${config.inpage.sha256.slice(0, 12)}…) in ${Date.now() - started} ms`,
);
