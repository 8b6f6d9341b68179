#!/usr/bin/env node
// scripts/check-package.mjs — `npm run check:package`, after `npm run build`: the package's
// hygiene, as `npm pack` would publish it. Exit 1 with every problem listed.
//
// - only dist/ and the notices (LICENSE, THIRD_PARTY_NOTICES.md, and what npm always adds:
//   README.md, package.json); no tests, test types or fixtures; no source map but the main
//   entry's, and maps a small part of the package;
// - every `exports` target and the `bin` exist; the bin starts with a shebang;
// - no install hooks (preinstall, install, postinstall, prepare);
// - runtime dependencies are exactly what dist/ imports (comlink, idb-keyval); every model
//   package an optional peer; the engines pinned exactly (devDependencies);
// - licence, repository, homepage and bugs are set; LICENSE and the third-party notice ship.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(ROOT, 'src/model-manifest.json'), 'utf8'));
const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8' }))[0];
const files = packed.files.map((file) => ({ path: file.path, size: file.size }));
const problems = [];
const problem = (message) => problems.push(message);

for (const { path } of files) {
  if (/(^|\/)[^/]*\.(test|spec)(-d)?\.(d\.)?[cm]?[jt]s$/.test(path) || /test-d/.test(path)) problem(`a test file ships: ${path}`);
  if (/(^|\/)(fixtures|__tests__|test-results)\//.test(path)) problem(`test material ships: ${path}`);
  if (!/^(dist\/|LICENSE$|THIRD_PARTY_NOTICES\.md$|README\.md$|CHANGELOG\.md$|package\.json$)/.test(path)) problem(`unexpected file in the package: ${path}`);
}
for (const required of ['LICENSE', 'THIRD_PARTY_NOTICES.md', 'README.md', 'dist/worker.js', 'dist/index.js', 'dist/index.d.ts', 'dist/model-manifest.json'])
  if (!files.some((file) => file.path === required)) problem(`${required} is missing from the package`);
const maps = files.filter((file) => file.path.endsWith('.map'));
const mapBytes = maps.reduce((sum, file) => sum + file.size, 0);
if (mapBytes > 0.05 * packed.unpackedSize) problem(`source maps are ${(100 * mapBytes) / packed.unpackedSize}% of the package (budget 5%)`);
if (maps.some((file) => file.path !== 'dist/index.js.map')) problem(`source maps beyond the main entry's: ${maps.map((file) => file.path).join(', ')}`);

const targets = [];
const collect = (value) => (typeof value === 'string' ? targets.push(value) : Object.values(value ?? {}).forEach(collect));
collect(pkg.exports);
collect(pkg.bin);
for (const target of [...targets, pkg.main, pkg.types])
  if (!existsSync(join(ROOT, target))) problem(`${target} (exports/bin/main/types) does not exist after the build`);
for (const bin of Object.values(pkg.bin ?? {}))
  if (!readFileSync(join(ROOT, bin), 'utf8').startsWith('#!/usr/bin/env node')) problem(`bin ${bin} has no shebang`);

for (const hook of ['preinstall', 'install', 'postinstall', 'prepare', 'prepack', 'postpack'])
  if (pkg.scripts?.[hook] !== undefined) problem(`package.json has an install hook: scripts.${hook}`);

const imports = new Set();
for (const file of ['dist/index.js', 'dist/worker.js'])
  for (const match of readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:^|[;\n}])\s*import\s*(?:[^'"]*?from\s*)?["']([^"'./][^"']*)["']/g))
    imports.add(match[1]);
const dependencies = Object.keys(pkg.dependencies ?? {}).sort();
if (JSON.stringify([...imports].sort()) !== JSON.stringify(dependencies))
  problem(`dependencies ${JSON.stringify(dependencies)} are not what dist/ imports ${JSON.stringify([...imports].sort())}`);
if (readFileSync(join(ROOT, 'dist/worker.js'), 'utf8').match(/^\s*import\s/m)) problem('dist/worker.js has an import statement; it must be self-contained');

const modelPackages = new Set(Object.values(manifest.tasks).flatMap((task) => Object.keys(task.packages)));
for (const name of modelPackages) {
  if (pkg.peerDependencies?.[name] === undefined) problem(`model package ${name} is not a peer dependency`);
  if (pkg.peerDependenciesMeta?.[name]?.optional !== true) problem(`model package ${name} is not an optional peer`);
  if (pkg.dependencies?.[name] !== undefined) problem(`model package ${name} is a runtime dependency`);
}
for (const engine of Object.values(manifest.engines))
  if (pkg.devDependencies?.[engine.package] !== engine.version) problem(`${engine.package} must be pinned to exactly ${engine.version} in devDependencies`);
if (pkg.dependencies?.['onnxruntime-web'] !== undefined || Object.keys(pkg.dependencies ?? {}).some((name) => name.startsWith('@tensorflow/')))
  problem('an engine is a runtime dependency; its code is bundled into dist/worker.js');

for (const field of ['license', 'repository', 'homepage', 'bugs', 'description']) if (pkg[field] === undefined) problem(`package.json has no ${field}`);

console.log(
  `package: ${packed.filename}, ${files.length} files, ${(packed.size / 1e6).toFixed(2)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(2)} MB unpacked, source maps ${(mapBytes / 1e3).toFixed(0)} kB`,
);
if (problems.length > 0) {
  for (const message of problems) console.error(`check-package: ${message}`);
  process.exit(1);
}
console.log('check-package: ok');
