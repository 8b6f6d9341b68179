/**
 * `inpage/vite`: the Vite plugin that brings inpage's files into an app.
 *
 * - In `vite` dev it serves ONNX Runtime's and TF.js's WASM and the chosen built-in tasks'
 *   model files straight from `node_modules` (generated ones from a cache), verified
 *   against inpage's model manifest, at `<base>inpage/`; a file it does not have is a
 *   real 404, never the app's `index.html`.
 * - On `vite build` it emits the same files into the output folder, under the same path.
 * - It tells the runtime where they are (Vite's `base` + `path`), so
 *   `createRuntime()` needs no `assetBaseUrl`.
 * - It sends the cross-origin-isolation headers (COOP/COEP) in dev and preview, which
 *   multi-threaded WASM needs.
 *
 * @example
 * // vite.config.ts
 * import { defineConfig } from 'vite';
 * import inpage from 'inpage/vite';
 * export default defineConfig({ plugins: [inpage({ tasks: ['vad', 'pose'] })] });
 */
import { createReadStream } from 'node:fs';
import { existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Plugin, ResolvedConfig } from 'vite';
import { contentTypeOf, formatBytes, planAssets, type AssetFile, type AssetPlan } from './assets.js';
import { packageFile, parseTaskList, type TaskName } from './manifest.js';

/** Options of the {@link inpage} Vite plugin. */
export interface InpageViteOptions {
  /**
   * Which built-in tasks' model files to serve and emit: a list (`['vad', 'pose']`),
   * `'all'`, `'none'` (only the engines, for your own models), or `'installed'` (every task
   * whose model package is installed). A listed task whose package is missing stops the
   * build with the `npm i` command that fixes it.
   * @default 'installed'
   */
  readonly tasks?: readonly TaskName[] | 'installed' | 'all' | 'none';
  /**
   * The folder under Vite's `base` where the files are served and emitted. `createRuntime()`
   * finds them there by default.
   * @default 'inpage/'
   */
  readonly path?: string;
  /**
   * Send `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
   * require-corp` from the dev and preview servers, so WASM runs multi-threaded. Your
   * production server must send them too (see the README).
   * @default true
   */
  readonly crossOriginIsolation?: boolean;
}

const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** `path` as a folder: no leading slash, one trailing slash (`''` stays the base itself). */
function folderOf(path: string): string {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** The `tasks` option as the planner takes it (`'all'` and `'none'` become lists). */
function taskOption(tasks: InpageViteOptions['tasks']): readonly TaskName[] | 'installed' {
  return tasks === undefined || tasks === 'installed' ? 'installed' : parseTaskList(tasks);
}

/** The request's path below `prefix` (`/base/inpage/`), or undefined when it is not an asset request. */
function assetPath(url: string | undefined, prefix: string): string | undefined {
  if (url === undefined) return undefined;
  const pathname = decodeURIComponent(url.split('?')[0] ?? '');
  return pathname.startsWith(prefix) ? pathname.slice(prefix.length) : undefined;
}

/**
 * The inpage Vite plugin. See the file comment and {@link InpageViteOptions}.
 *
 * @example
 * import inpage from 'inpage/vite';
 * export default { plugins: [inpage()] }; // every installed task, served at `<base>inpage/`
 */
export function inpage(options: InpageViteOptions = {}): Plugin {
  const folder = folderOf(options.path ?? 'inpage/');
  const tasks = taskOption(options.tasks);
  const isolate = options.crossOriginIsolation ?? true;
  let config: ResolvedConfig | undefined;
  let plan: AssetPlan | undefined;

  const byPath = (): Map<string, AssetFile> => new Map((plan?.files ?? []).map((file) => [file.path, file]));

  const serve = (files: Map<string, AssetFile>, prefix: string) => (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = assetPath(req.url, prefix);
    if (path === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const file = files.get(path);
    if (file === undefined) {
      // Only our engine/model folders answer 404 here; anything else under the prefix is the app's.
      if (!/^(ort|tfjs|models)\//.test(path)) return next();
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(`inpage: no ${path} here. Tasks served: ${plan?.tasks.join(', ') || 'none'}; set the plugin's \`tasks\` option.`);
      return;
    }
    file
      .localPath()
      .then((local) => {
        res.statusCode = 200;
        res.setHeader('Content-Type', contentTypeOf(file.path));
        res.setHeader('Content-Length', String(file.bytes));
        res.setHeader('ETag', `"${file.sha256}"`);
        res.setHeader('Cache-Control', 'no-cache');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        if (isolate) for (const [name, value] of Object.entries(isolationHeaders)) res.setHeader(name, value);
        if (req.headers['if-none-match'] === `"${file.sha256}"`) {
          res.statusCode = 304;
          res.end();
        } else if (req.method === 'HEAD') res.end();
        else createReadStream(local).pipe(res);
      })
      .catch((error: unknown) => {
        res.statusCode = 500;
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(error instanceof Error ? error.message : String(error));
      });
  };

  return {
    name: 'inpage',
    config(user) {
      const base = user.base ?? '/';
      const assetBase = `${base.endsWith('/') || base === '' ? base : `${base}/`}${folder}`;
      return {
        define: { __INPAGE_ASSET_BASE__: JSON.stringify(assetBase === '' ? './' : assetBase) },
        ...(isolate ? { server: { headers: isolationHeaders }, preview: { headers: isolationHeaders } } : {}),
      };
    },
    configResolved(resolved) {
      config = resolved;
      plan = planAssets({ root: resolved.root, tasks });
      const listed = tasks !== 'installed';
      if (listed && plan.missing.length > 0)
        throw new Error(
          `inpage: ${plan.missing.map((m) => `task "${m.task}" needs ${m.packages.join(' ')}`).join('; ')}. ` +
            `Install: ${plan.missing.map((m) => m.install).join(' && ')} (or drop the task from the plugin's \`tasks\`).`,
        );
      const total = plan.files.reduce((sum, file) => sum + file.bytes, 0);
      resolved.logger.info(
        `inpage: serving ${plan.files.length} files (${formatBytes(total)}) at ${resolved.base}${folder}: engines + ${plan.tasks.length === 0 ? 'no tasks' : plan.tasks.join(', ')}` +
          (plan.missing.length === 0 ? '' : `; not installed: ${plan.missing.map((m) => `${m.task} (${m.install})`).join(', ')}`),
      );
    },
    configureServer(server) {
      server.middlewares.use(serve(byPath(), `${server.config.base}${folder}`.replace(/^(?!\/)/, '/')));
      // The worker is prebuilt and final. Served through Vite's transforms, its ONNX Runtime
      // code's computed `import(url)` calls would be wrapped in a helper imported from
      // /@vite/client, which then starts an HMR client inside every worker. Serve it as it is.
      const workerFile = packageFile('worker.js', 'dist/worker.js');
      if (workerFile !== undefined)
        server.middlewares.use((req, res, next) => {
          const pathname = (req.url ?? '').split('?')[0] ?? '';
          if (!pathname.endsWith('/inpage/dist/worker.js')) return next();
          res.statusCode = 200;
          res.setHeader('Content-Type', 'text/javascript');
          res.setHeader('Cache-Control', 'no-cache');
          if (isolate) for (const [name, value] of Object.entries(isolationHeaders)) res.setHeader(name, value);
          createReadStream(workerFile).pipe(res);
        });
    },
    configurePreviewServer(server) {
      // The files are in the output folder; only make sure a missing one is a 404, not the SPA page.
      const outDir = join(server.config.root, server.config.build.outDir);
      const prefix = `${server.config.base}${folder}`.replace(/^(?!\/)/, '/');
      server.middlewares.use((req, res, next) => {
        const path = assetPath(req.url, prefix);
        if (path === undefined || !/^(ort|tfjs|models)\//.test(path)) return next();
        const onDisk = join(outDir, folder, path);
        if (existsSync(onDisk) && statSync(onDisk).isFile()) return next();
        res.statusCode = 404;
        res.end(`inpage: no ${path} in ${outDir}`);
      });
    },
    async generateBundle() {
      if (config === undefined || plan === undefined || config.build.ssr !== false) return;
      for (const file of plan.files) this.emitFile({ type: 'asset', fileName: `${folder}${file.path}`, source: await file.read() });
    },
  };
}

export default inpage;
export type { TaskName } from './manifest.js';
