/**
 * Start-up check of the engines' served files against the ones this build of inpage was
 * made with (the model manifest's sizes and SHA-256), before an engine touches them.
 *
 * ONNX Runtime Web's JS is bundled into inpage's worker while its WASM and loader are
 * served by the app: `ort-wasm-simd-threaded.jsep.{mjs,wasm}` for the JSEP build (WebGPU
 * sessions), `ort-wasm-simd-threaded.{mjs,wasm}` for the CPU-only build (WASM sessions;
 * `ort-builds.ts`). Each build's files are checked when a session first needs that build.
 * A stale copy — another inpage or onnxruntime-web version left in `public/` — makes ORT
 * fail much later with
 * errors such as `LinkError: WebAssembly.instantiate(): Import #0 …` or an abort in the
 * middle of a session. A missing file behind a single-page-app fallback makes it fail with
 * "expected magic word 00 61 73 6d". Both become one {@link AssetError} naming the URL.
 *
 * Cost: a build's loader (24–47 kB) is fetched and hashed once per worker (ORT then imports
 * it from the HTTP cache); its WASM (14 or 28 MB) is only asked for its size (`HEAD`), never
 * hashed here.
 */
import manifest from '../src/model-manifest.json';
import { AssetError, messageOf } from '../src/errors';
import { sha256Hex } from '../src/cache/hash';

/** The engine versions this worker bundles, from the manifest it was built with. */
export const engineVersions = { onnxruntime: manifest.engines.ort.version, tfjs: manifest.engines.tfjs.version } as const;

const hint =
  'Serve the engine files that come with this inpage version (the inpage/vite plugin, or `npx inpage assets <dir>`), or point createRuntime({ assetBaseUrl }) at them.';

/** Fetch `url` (GET or HEAD), turning a network error, a non-OK status or an HTML page into an {@link AssetError}. */
async function fetchAsset(url: string, what: string, method: 'GET' | 'HEAD'): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { method });
  } catch (error) {
    throw new AssetError(`${what} could not be fetched from ${url}: ${messageOf(error)}. ${hint}`, { input: url, detail: messageOf(error) });
  }
  const type = response.headers.get('Content-Type') ?? '';
  if (!response.ok)
    throw new AssetError(`${what} is missing: ${url} answered HTTP ${response.status}. ${hint}`, {
      input: url,
      got: `HTTP ${response.status}`,
      expected: 'HTTP 200',
    });
  if (type.includes('text/html'))
    throw new AssetError(`${what} is missing: ${url} answered with an HTML page (${type}), a single-page-app fallback for a file that is not there. ${hint}`, {
      input: url,
      got: type,
      expected: 'the engine file',
    });
  return response;
}

/** Throw unless `response` (already OK) announces `bytes` when it announces a plain length at all. */
function checkLength(response: Response, url: string, what: string, bytes: number, version: string): void {
  const length = response.headers.get('Content-Length');
  const encoding = response.headers.get('Content-Encoding');
  if (length === null || (encoding !== null && encoding !== 'identity')) return;
  if (Number(length) !== bytes)
    throw new AssetError(
      `${what} at ${url} is ${length} bytes, not the ${bytes} bytes of version ${version} that this inpage build bundles the code of. ${hint}`,
      {
        input: url,
        expected: `${bytes} bytes`,
        got: `${length} bytes`,
      },
    );
}

/** ONNX Runtime Web's builds: `jsep` (WebGPU and WASM providers) and `cpu` (`onnxruntime-web/wasm`, WASM only). */
export type OrtBuildName = 'jsep' | 'cpu';

/** The served files of each build, by name: a loader (`.mjs`) and its WASM. */
const ortBuildFiles: Readonly<Record<OrtBuildName, RegExp>> = {
  jsep: /^ort-wasm-simd-threaded\.jsep\.(mjs|wasm)$/,
  cpu: /^ort-wasm-simd-threaded\.(mjs|wasm)$/,
};

/** Whether the manifest's ORT file `path` belongs to `build`. */
export function ortFileOfBuild(path: string, build: OrtBuildName): boolean {
  return ortBuildFiles[build].test(path);
}

/**
 * `check()` once per `key` in this worker. A failure is not remembered: the next load checks
 * again (the app may have fixed its files).
 */
function once<K>(checks: Map<K, Promise<void>>, key: K, check: () => Promise<void>): Promise<void> {
  let checked = checks.get(key);
  if (checked === undefined) {
    checked = check().catch((error: unknown) => {
      checks.delete(key);
      throw error;
    });
    checks.set(key, checked);
  }
  return checked;
}

const ortChecked = new Map<OrtBuildName, Promise<void>>();

/** Check the served loader (hash) and WASM (size) of ONNX Runtime's `build` under `prefix`, once per worker and build. */
export function verifyOrtFiles(prefix: string, build: OrtBuildName): Promise<void> {
  return once(ortChecked, build, () => checkOrt(prefix, build));
}

async function checkOrt(prefix: string, build: OrtBuildName): Promise<void> {
  const { version, files } = manifest.engines.ort;
  for (const file of files.filter((f) => ortFileOfBuild(f.path, build))) {
    const url = new URL(file.path, prefix).href;
    const what = `ONNX Runtime Web ${version}'s ${file.path}`;
    if (file.path.endsWith('.mjs')) {
      const response = await fetchAsset(url, what, 'GET');
      const bytes = await response.arrayBuffer();
      const sha256 = await sha256Hex(bytes);
      if (sha256 !== file.sha256)
        throw new AssetError(
          `${url} is not ${what}: SHA-256 ${sha256} (${bytes.byteLength} bytes), expected ${file.sha256} (${file.bytes} bytes): a copy from another inpage or onnxruntime-web version, or one a build step changed (a minifier must copy ort/ byte for byte). ${hint}`,
          { input: url, expected: file.sha256, got: sha256 },
        );
    } else {
      const response = await fetchAsset(url, what, 'HEAD');
      checkLength(response, url, what, file.bytes, version);
    }
  }
}

const tfjsChecked = new Map<string, Promise<void>>();

/**
 * Check TF.js's WASM binary `file` (`tfjs-backend-wasm-simd.wasm` or `tfjs-backend-wasm.wasm`)
 * under `prefix` by hash (they are small), once per worker and file.
 */
export function verifyTfjsWasm(prefix: string, fileName: string): Promise<void> {
  return once(tfjsChecked, fileName, () => checkTfjs(prefix, fileName));
}

async function checkTfjs(prefix: string, fileName: string): Promise<void> {
  const { version, files } = manifest.engines.tfjs;
  const file = files.find((f) => f.path === fileName);
  if (file === undefined) throw new AssetError(`TF.js ${version} has no WASM file named ${fileName} in this build.`, { input: fileName });
  const url = new URL(file.path, prefix).href;
  const what = `TF.js ${version}'s ${file.path}`;
  const bytes = await (await fetchAsset(url, what, 'GET')).arrayBuffer();
  const sha256 = await sha256Hex(bytes);
  if (sha256 !== file.sha256)
    throw new AssetError(
      `${url} is not ${what}: SHA-256 ${sha256}, expected ${file.sha256}: a copy from another version, or one a build step changed. ${hint}`,
      {
        input: url,
        expected: file.sha256,
        got: sha256,
      },
    );
}
