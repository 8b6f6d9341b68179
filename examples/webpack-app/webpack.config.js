/**
 * inpage in webpack 5, with no inpage-specific loader or plugin:
 *
 * - the worker: inpage's main entry makes its worker URL as `new URL('./worker.js',
 *   import.meta.url)`, which webpack 5 emits as an asset module (the prebuilt file, copied);
 * - the engines' WASM and the models: `npm run assets` (`inpage assets public/inpage`) copies
 *   them into public/inpage/; the dev server serves public/ as it is, the build copies it
 *   into dist/. The runtime looks for them at `<page base>/inpage/` by default, so
 *   `createRuntime()` needs no options;
 * - cross-origin isolation (multi-threaded WASM): COOP/COEP headers on every response, from
 *   the dev server here and from serve.mjs (or your own server) for the build.
 */
import { cpSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import HtmlWebpackPlugin from 'html-webpack-plugin';

const here = dirname(fileURLToPath(import.meta.url));
const publicDir = join(here, 'public');

/** The headers that make the page cross-origin isolated (`crossOriginIsolated === true`). */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Copies public/ into the output byte for byte, after webpack has written its own files.
 *
 * Not copy-webpack-plugin: that one makes every file a webpack asset (31 MB through memory),
 * and the production minimizer then rewrites ONNX Runtime's loader (`inpage/ort/*.mjs`),
 * which inpage checks by SHA-256 and refuses. (With copy-webpack-plugin, mark the copies:
 * `{ from: 'public', info: { minimized: true } }`.) In dev nothing is copied: the dev
 * server serves public/ from disk (`devServer.static`).
 */
class CopyPublicPlugin {
  apply(compiler) {
    compiler.hooks.beforeRun.tap('CopyPublicPlugin', () => {
      if (!existsSync(join(publicDir, 'inpage')))
        throw new Error('public/inpage/ is missing: run `npm run assets` (npx inpage assets public/inpage --tasks vad) first');
    });
    compiler.hooks.afterEmit.tap('CopyPublicPlugin', () => {
      cpSync(publicDir, compiler.outputPath, { recursive: true });
    });
  }
}

/**
 * Marks inpage's worker asset as already minified, so the production minimizer leaves it
 * alone (webpack's minimizers skip assets whose info says `minimized`). The file ships
 * minified; a second terser pass over its 1.4 MB takes most of the build's time and saves
 * about 1.4 kB (measured: see README). Dependency-free, unlike `new TerserPlugin({ exclude })`.
 */
class KeepInpageWorkerPlugin {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap('KeepInpageWorkerPlugin', (compilation) => {
      const { Compilation } = compiler.webpack;
      compilation.hooks.processAssets.tap({ name: 'KeepInpageWorkerPlugin', stage: Compilation.PROCESS_ASSETS_STAGE_OPTIMIZE_SIZE - 1 }, (assets) => {
        for (const name of Object.keys(assets)) {
          if (compilation.getAsset(name)?.info.sourceFilename?.endsWith('inpage/dist/worker.js'))
            compilation.updateAsset(name, (source) => source, { minimized: true });
        }
      });
    });
  }
}

export default (env, argv) => {
  const production = argv.mode === 'production';
  return {
    mode: production ? 'production' : 'development',
    entry: './src/index.js',
    output: {
      path: join(here, 'dist'),
      filename: production ? '[name].[contenthash:8].js' : '[name].js',
      // The worker is an asset module; keep "worker" in its name (the default is the bare hash).
      assetModuleFilename: '[name].[contenthash:8][ext]',
      clean: true,
    },
    devtool: production ? 'source-map' : 'eval-cheap-module-source-map',
    plugins: [
      new HtmlWebpackPlugin({ template: './src/index.html' }),
      new KeepInpageWorkerPlugin(),
      ...(production && !env.WEBPACK_SERVE ? [new CopyPublicPlugin()] : []),
    ],
    performance: {
      // The worker (1.4 MB: inpage's worker with ONNX Runtime Web's and TF.js's JS bundled in)
      // is over webpack's 244 kB hint by design; it loads off the main thread, once.
      assetFilter: (name) => !/^worker\..*\.js$/.test(name) && !/\.map$/.test(name),
    },
    devServer: {
      headers: isolation,
      static: { directory: publicDir },
    },
  };
};
