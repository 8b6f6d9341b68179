#!/usr/bin/env node
// scripts/examples.mjs — `npm run test:examples`: test the package the way users get it.
//
//   1. build the package (unless --no-build) and `npm pack` it into .pack/inpage.tgz;
//   2. install each app under examples/ from that tarball (a fresh `node_modules/inpage`);
//   3. run examples/playwright.config.ts: each app in its dev server and as a production
//      build, in headless Chromium;
//   4. run the Vite app's performance tests (examples/vite-app/perf, inpage/testing), then
//      check that an injected regression fails them.
//
// Prints the tarball's size and file count and each app's installed size, so the numbers
// in the README can be checked. Extra arguments go to Playwright (`-- --project vite-dev`).

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PACK = join(ROOT, '.pack');
const EXAMPLES = join(ROOT, 'examples');
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const playwrightArgs = args.filter((arg) => arg !== '--no-build');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, commandArgs, cwd = ROOT, env = {}) {
  const shownEnv = Object.entries(env)
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  console.log(`examples: ${cwd === ROOT ? '' : `(${cwd.slice(ROOT.length + 1)}) `}${shownEnv}${command} ${commandArgs.join(' ')}`);
  const result = spawnSync(command, commandArgs, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`examples: ${command} ${commandArgs.join(' ')} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

/** Bytes of every file under `dir`. */
function sizeOf(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

if (build) run(npm, ['run', 'build']);
rmSync(PACK, { recursive: true, force: true });
mkdirSync(PACK);
const packed = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', PACK], { cwd: ROOT, encoding: 'utf8' }))[0];
copyFileSync(join(PACK, packed.filename), join(PACK, 'inpage.tgz'));
console.log(`examples: ${packed.filename}: ${mb(packed.size)} packed, ${mb(packed.unpackedSize)} unpacked, ${packed.entryCount} files`);

const apps = readdirSync(EXAMPLES, { withFileTypes: true }).filter((entry) => entry.isDirectory() && existsSync(join(EXAMPLES, entry.name, 'package.json')));
for (const app of apps) {
  const dir = join(EXAMPLES, app.name);
  // npm keeps an installed file: tarball of the same version; start inpage afresh.
  rmSync(join(dir, 'node_modules', 'inpage'), { recursive: true, force: true });
  run(npm, ['install', '--no-audit', '--no-fund'], dir);
  const inpageSize = sizeOf(join(dir, 'node_modules', 'inpage'));
  console.log(`examples: ${app.name}: node_modules/inpage ${mb(inpageSize)}, all node_modules ${mb(sizeOf(join(dir, 'node_modules')))}`);
}

run('npx', ['playwright', 'test', '-c', join(EXAMPLES, 'playwright.config.ts'), ...playwrightArgs]);

// 4. The Vite app's performance tests, with inpage/testing from the tarball and the app's own
//    @playwright/test, as its team runs them (`npm run test:perf`): both projects, compared
//    with the committed baseline. Then the kit's own regression check, on this machine in
//    this run: a fresh baseline of the speech test, and the same test with every call
//    400 ms slower (about 10× the speech test's p50 here, 2.4× in a busy CI run), which must fail the run with the regression named.
if (playwrightArgs.length === 0 && process.env.EXAMPLES_PERF !== '0') {
  const app = join(EXAMPLES, 'vite-app');
  // The tests type-check against the installed package's declarations (moduleResolution nodenext).
  run('npx', ['tsc', '-p', 'perf/tsconfig.json'], app);
  run('npx', ['playwright', 'test', '-c', 'perf'], app);
  const baseline = join(mkdtempSync(join(tmpdir(), 'inpage-perf-')), 'baseline.json');
  const speechOnly = ['playwright', 'test', '-c', 'perf', '--project', 'wasm-only', '-g', 'speech'];
  run('npx', speechOnly, app, { PERF_SKIP_BUILD: '1', PERF_BASELINE: baseline, INPAGE_UPDATE_BASELINE: '1' });
  console.log('examples: the same speech test, 400 ms slower per call, against that baseline (must fail)');
  const slowed = spawnSync('npx', speechOnly, {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, PERF_SKIP_BUILD: '1', PERF_BASELINE: baseline, PERF_TOLERANCE: '0.2', PERF_INJECT_DELAY_MS: '400' },
  });
  process.stdout.write(slowed.stdout);
  // The test itself passes (its budgets are loose); the reporter's baseline comparison fails the run.
  const named = /regression\(s\) against .*\n {2}wasm-only › app\.perf\.ts › speech[^\n]*speech-10-per-s: p50Ms/.test(slowed.stdout);
  if (slowed.status === 0 || !named || !/\b1 passed\b/.test(slowed.stdout)) {
    console.error('examples: inpage/testing did not fail the run on an injected 400 ms regression (with the test itself passing)');
    process.exit(1);
  }
  console.log('examples: the injected regression failed the run, as it must');
}
