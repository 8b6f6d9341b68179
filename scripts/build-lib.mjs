#!/usr/bin/env node
// scripts/build-lib.mjs — `npm run build`: the npm package's dist/.
//
//   dist/index.js (+ .map, .d.ts tree)  the main entry, ES module; comlink and idb-keyval stay imports
//   dist/worker.js                      the session worker: inpage's worker code with ONNX Runtime Web's
//                                       and TF.js's JS bundled in, one minified ES module with no imports,
//                                       which the main entry references as new URL('./worker.js', import.meta.url)
//   dist/engines/ort/, dist/engines/tfjs/  the engines' WASM files the worker's bundled JS was built with
//                                       (copied from the exactly pinned devDependencies, checked against the manifest)
//   dist/model-manifest.json            every built-in task's files: source package, licence, size, SHA-256
//   dist/node/                          the Vite plugin (inpage/vite) and the CLI (npx inpage), for Node
//
// Plain Node ESM; runs Vite's build API twice and tsc twice.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createLogger, defaultClientConditions } from 'vite';
import { addDeclarationExtensions } from './dts-extensions.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const manifest = JSON.parse(readFileSync(join(ROOT, 'src/model-manifest.json'), 'utf8'));

function fail(message) {
  console.error(`build-lib: ERROR: ${message}`);
  process.exit(1);
}

// ONNX Runtime Web's default build inlines its 28 MB WASM; this condition picks the one that
// loads it from `env.wasm.wasmPaths`, which inpage points at the served engine files.
const resolveOptions = { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] };
const common = { root: ROOT, configFile: false, publicDir: false, logLevel: 'warn', resolve: resolveOptions };

rmSync(DIST, { recursive: true, force: true });

// 1. The worker: one file, no imports, no chunks (a bundler copies it as one asset).
await build({
  ...common,
  build: {
    outDir: DIST,
    emptyOutDir: false,
    target: 'es2022',
    // Not lib mode: Vite keeps whitespace in lib-mode ES output; this file is final.
    minify: true,
    // One 1.4 MB file on purpose (ONNX Runtime's and TF.js's JS): no size warning.
    chunkSizeWarningLimit: 2048,
    sourcemap: false,
    modulePreload: false,
    rollupOptions: {
      input: join(ROOT, 'workers/session-worker.ts'),
      preserveEntrySignatures: false,
      output: { format: 'es', entryFileNames: 'worker.js', codeSplitting: false },
    },
  },
});

// 2. The main entry, with the package's default worker (dist/worker.js) instead of the
//    repository's (Vite-bundled workers/session-worker.ts).
const packageWorker = join(ROOT, 'src/default-worker.package.ts');
// Vite says `new URL("./worker.js", import.meta.url)` "doesn't exist at build time": on
// purpose, it is resolved by the app's bundler. Keep that one message out of the log.
const logger = createLogger('warn');
const expected = (message) => message.includes('./worker.js') && message.includes("doesn't exist at build time");
for (const level of ['warn', 'warnOnce']) {
  const log = logger[level].bind(logger);
  logger[level] = (message, options) => {
    if (!expected(message)) log(message, options);
  };
}
await build({
  ...common,
  customLogger: logger,
  plugins: [
    {
      name: 'inpage:package-worker',
      enforce: 'pre',
      resolveId(source, importer) {
        if (source === './default-worker' && importer !== undefined && importer.endsWith(join('src', 'runtime.ts'))) return packageWorker;
        return null;
      },
    },
  ],
  build: {
    outDir: DIST,
    emptyOutDir: false,
    target: 'es2022',
    // Not minified: the app's bundler minifies, and must still see `new URL('./worker.js', import.meta.url)`.
    minify: false,
    sourcemap: true,
    lib: { entry: join(ROOT, 'src/index.ts'), formats: ['es'], fileName: () => 'index.js' },
    rollupOptions: { external: ['comlink', 'idb-keyval'] },
  },
});
// Vite rewrites `new URL('./worker.js', import.meta.url)` to `… "" + import.meta.url)` (its mark
// for "left for run time"); the app's bundler only recognises the plain form, so restore it.
const indexPath = join(DIST, 'index.js');
writeFileSync(indexPath, readFileSync(indexPath, 'utf8').replace('new URL("./worker.js", "" + import.meta.url)', 'new URL("./worker.js", import.meta.url)'));
const indexJs = readFileSync(indexPath, 'utf8');
if (!indexJs.includes('new URL("./worker.js", import.meta.url)') && !indexJs.includes("new URL('./worker.js', import.meta.url)"))
  fail('dist/index.js lost `new URL("./worker.js", import.meta.url)`; bundlers would not emit the worker');
if (/new Worker\(\s*new URL/.test(indexJs)) fail('dist/index.js passes new URL(…) straight to new Worker(…); bundlers would re-bundle dist/worker.js');
if (!indexJs.includes('__INPAGE_ASSET_BASE__')) fail('dist/index.js lost the __INPAGE_ASSET_BASE__ hook the Vite plugin defines');

// 3. Type declarations of the main entry, and the Node side (plugin + CLI).
const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
addDeclarationExtensions(DIST);
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.node.json')], { stdio: 'inherit' });
// inpage/testing imports the main entry's types as `inpage`: after the declarations above.
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.testing.json')], { stdio: 'inherit' });

// 4. Engine files, checked against the manifest (the same versions as the bundled JS).
for (const [name, engine] of Object.entries(manifest.engines)) {
  const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules', engine.package, 'package.json'), 'utf8')).version;
  if (installed !== engine.version) fail(`${engine.package} ${installed} is installed, the manifest says ${engine.version}; pin it exactly`);
  for (const file of engine.files) {
    const source = join(ROOT, 'node_modules', file.from.package, file.from.file);
    const bytes = readFileSync(source);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== file.sha256 || bytes.length !== file.bytes) fail(`${source} does not match the manifest (${sha256}); run npm run manifest`);
    const target = join(DIST, 'engines', name, file.path);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
  }
}
copyFileSync(join(ROOT, 'src/model-manifest.json'), join(DIST, 'model-manifest.json'));
// The CLI runs as a bin: make sure it has its shebang and is executable.
const cli = join(DIST, 'node/bin.js');
if (!existsSync(cli) || !readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node')) fail('dist/node/bin.js is missing or has no shebang');
chmodSync(cli, 0o755);
console.log('build-lib: dist/ ready');
