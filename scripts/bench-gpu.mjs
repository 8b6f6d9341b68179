// `npm run bench:gpu [-- <bench> ...]`: the benches on the device machine (an NVIDIA GPU,
// headless Chromium with WebGPU on the real adapter), in two steps around the device calls.
//
// 1. Pack: builds the app and packs Chromium, node, the benches and the models they load
//    into .gpu/ with the team's kit (../shared/gpu/pack.sh, or GPU_KIT=<dir>), and prints
//    the device calls (also in .gpu/CALLS.txt). Backends default to webgpu,wasm; BENCH_*,
//    WARM_RUNS and SLOW_RUNS pass through to the benches there, and SOAK_* as BENCH_SOAK_*.
//      npm run bench:gpu -- models batching        (no names: every bench)
// 2. Make the printed calls (the device tool's `run`, back to back), then collect what the
//    last call brought back (summary.md, adapter.json, results.tgz) into bench/results/gpu/:
//      npm run bench:gpu -- collect <folder the reply named in files_at>
//    That unpacks every report (each header states the adapter, cores and browser it was
//    read from at run time) and writes bench/results/gpu/README.md with the adapter line.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function fail(message) {
  console.error(`bench:gpu: ${message}`);
  process.exit(1);
}

function collect(from) {
  if (from === undefined) fail('collect needs the folder the device reply named (files_at)');
  const dir = resolve(from);
  const tgz = join(dir, 'results.tgz');
  if (!existsSync(tgz)) fail(`no results.tgz in ${dir}`);
  const out = join(root, 'bench', 'results', 'gpu');
  const scratch = join(out, '.unpack');
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  execFileSync('tar', ['-xzf', tgz, '-C', scratch]);
  const reports = join(scratch, 'app', 'bench', 'results');
  const copied = [];
  if (existsSync(reports))
    for (const name of readdirSync(reports))
      if (/\.(json|md)$/.test(name) && !name.startsWith('latest')) {
        copyFileSync(join(reports, name), join(out, name));
        copied.push(name);
      }
  for (const name of ['summary.md', 'adapter.json']) if (existsSync(join(dir, name))) copyFileSync(join(dir, name), join(out, name));
  const suite = existsSync(join(scratch, 'logs', 'suite.txt')) ? readFileSync(join(scratch, 'logs', 'suite.txt'), 'utf8') : '';
  const adapter = existsSync(join(scratch, 'logs', 'adapter.txt')) ? readFileSync(join(scratch, 'logs', 'adapter.txt'), 'utf8').trim() : 'unknown';
  rmSync(scratch, { recursive: true, force: true });
  const mds = copied.filter((n) => n.endsWith('.md')).sort();
  writeFileSync(
    join(out, 'README.md'),
    [
      '# Benches on the device machine',
      '',
      `Collected ${new Date().toISOString()} with \`npm run bench:gpu -- collect\`.`,
      '',
      adapter,
      '',
      '```',
      suite.trim(),
      '```',
      '',
      ...mds.map((n) => `- [${n}](${n})`),
      '',
    ].join('\n'),
  );
  console.log(`bench:gpu: ${copied.length} report files → bench/results/gpu/ (${mds.join(', ') || 'none'})`);
  console.log(adapter);
}

/**
 * The benches import inpage/testing's Node modules (node/testing: percentiles, tables, the
 * adapter line), which the kit's payload (package.json, bench/, src/, dist-app) leaves out.
 * Every call carries the working tree, node/testing included: the start call unpacks the
 * payload first (setup.sh, as start.sh would; start.sh then finds it unpacked) and copies
 * node/testing into the app before the suite starts. Rewrites .gpu/CALLS.txt and prints it.
 */
function withTestingKit() {
  const file = join(root, '.gpu', 'CALLS.txt');
  if (!existsSync(file)) fail('the kit wrote no .gpu/CALLS.txt');
  const prefix =
    'mkdir -p /tmp/stash && cp .gpu/p*/part* /tmp/stash/ && bash .gpu/sh/setup.sh > /dev/null && mkdir -p /tmp/w/app/node && rm -rf /tmp/w/app/node/testing && cp -r node/testing /tmp/w/app/node/ && ';
  const lines = readFileSync(file, 'utf8').split('\n');
  let rewritten = 0;
  const out = lines.map((line) => {
    if (!line.includes('.gpu/sh/start.sh') || !line.includes('"command": "')) return line;
    rewritten += 1;
    return line.replace('"command": "', `"command": "${prefix}`);
  });
  if (rewritten !== 1) fail(`expected one start call in .gpu/CALLS.txt, found ${rewritten}`);
  writeFileSync(file, out.join('\n'));
  console.log(`\nbench:gpu: the start call now also copies node/testing into the app (the kit packs bench/ and src/ only). The calls:\n\n${out.join('\n')}`);
}

function pack(benches) {
  const kit = resolve(process.env.GPU_KIT ?? join(root, '..', 'shared', 'gpu'));
  const script = join(kit, 'pack.sh');
  if (!existsSync(script)) fail(`no ${script}: set GPU_KIT to the folder of the device kit (pack.sh and device/)`);
  const env = { ...process.env, BENCH_BACKENDS: process.env.BENCH_BACKENDS ?? 'webgpu,wasm' };
  if (benches.length > 0) env.BENCHES = benches.join(' ');
  // The kit passes on BENCH_* knobs only: the soak's SOAK_* travel as BENCH_SOAK_* (it reads both).
  for (const [key, value] of Object.entries(process.env)) if (key.startsWith('SOAK_') && value !== undefined) env[`BENCH_${key}`] = value;
  if (benches.length === 0 || benches.includes('soak')) {
    const seconds = Number(process.env.SOAK_SECONDS ?? 600);
    const count = env.BENCH_BACKENDS.split(',').filter((b) => b === 'wasm' || b === 'webgpu').length;
    // The kit stops a bench after BENCH_TIMEOUT_S (default 1200 s); the soak runs each backend in turn, plus a few minutes of warm-up and heap reads each.
    if (count * (seconds + 180) > Number(process.env.BENCH_TIMEOUT_S ?? 1200))
      console.warn(
        `bench:gpu: the soak runs ${seconds} s per backend on ${count} backends: past the kit's limit per bench; set BENCH_BACKENDS=webgpu (or SOAK_SECONDS)`,
      );
  }
  const result = spawnSync('bash', [script], { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  withTestingKit();
  console.log('\nbench:gpu: make the calls above, then: npm run bench:gpu -- collect <files_at of the last reply>');
}

if (args[0] === 'collect') collect(args[1]);
else pack(args);
