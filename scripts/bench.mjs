// `npm run bench [-- <playwright args>]`: every benchmark in bench/ in one headless
// Playwright run (one at a time), then bench/results/latest.json and latest.md, written
// by bench/latest-reporter.ts from the reports this run wrote. Extra arguments go to
// Playwright (a file filter such as `kv-prefix`, `--grep`, ...).
//
// BENCH_QUICK=1 fills in fewer samples and wasm only for knobs left unset (BENCH_BACKENDS,
// BENCH_SECONDS, BENCH_ROUNDS, BENCH_RELOADS, WARM_RUNS, SLOW_RUNS, SOAK_SECONDS,
// SOAK_MEMORY_ENTRIES); latest.md records the settings and says when a run was quick.
// Exits non-zero if any bench failed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

/** @type {Record<string, string>} what BENCH_QUICK=1 uses for each knob left unset */
const quick = {
  BENCH_BACKENDS: 'wasm',
  BENCH_SECONDS: '1',
  BENCH_ROUNDS: '3',
  BENCH_RELOADS: '2',
  WARM_RUNS: '5',
  SLOW_RUNS: '2',
  SOAK_SECONDS: '30',
  SOAK_MEMORY_ENTRIES: '500',
};

const env = { ...process.env };
const isQuick = env.BENCH_QUICK !== undefined && env.BENCH_QUICK !== '' && env.BENCH_QUICK !== '0';
if (isQuick) for (const [key, value] of Object.entries(quick)) env[key] ??= value;
const shown = ['BENCH_QUICK', ...Object.keys(quick)].filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`);
env.BENCH_COMMAND = [...shown, 'npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' ');

const cli = createRequire(import.meta.url).resolve('@playwright/test/cli');
const reporter = `list,${join(root, 'bench', 'latest-reporter.ts')}`;
const playwrightArgs = [cli, 'test', '-c', join(root, 'bench', 'playwright.config.ts'), `--reporter=${reporter}`, ...args];
console.log(
  `bench: ${env.BENCH_COMMAND}${
    isQuick
      ? ` (quick: ${Object.keys(quick)
          .map((k) => `${k}=${env[k]}`)
          .join(' ')})`
      : ''
  }`,
);

const started = Date.now();
const child = spawn(process.execPath, playwrightArgs, { cwd: root, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  /** @type {{ ok?: boolean, generatedAt?: string } | undefined} */
  let latest;
  try {
    latest = JSON.parse(readFileSync(join(root, 'bench', 'results', 'latest.json'), 'utf8'));
  } catch {
    latest = undefined;
  }
  if (latest !== undefined && Date.parse(latest.generatedAt ?? '') < started) latest = undefined; // an earlier run's
  if (latest === undefined) console.error('bench: this run wrote no bench/results/latest.json');
  else if (latest.ok === false) console.error('bench: some benchmarks failed; see "Failures" in bench/results/latest.md');
  process.exit(signal !== null ? 1 : code !== 0 ? (code ?? 1) : latest?.ok === true ? 0 : 1);
});
