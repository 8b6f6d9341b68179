/**
 * Turns a model's URL source into bytes through the {@link WeightsStore} (cache, integrity
 * checks, progress), so the engines get `bytes` (ONNX) or in-memory TF.js artifacts and
 * never fetch themselves.
 *
 * A TF.js graph is `model.json` plus the weight shards its `weightsManifest` lists
 * (relative to `model.json`, carrying its query string, as TF.js's own loader does);
 * the shards are fetched in parallel and handed over in manifest order.
 */
import { ProgressTracker } from '../src/cache/load-progress';
import type { WeightsStore } from '../src/cache/weights';
import { messageOf, ModelLoadError } from '../src/errors';
import type { ExpectedSha256, LoadRequest, ModelSource, TfjsModelJson } from '../src/protocol';

/** The expected hash of `url` among `expected` (a string is the source file's; a map is by URL, path or file name). */
export function expectedHashOf(expected: ExpectedSha256 | undefined, url: string, sourceUrl: string): string | undefined {
  if (expected === undefined) return undefined;
  if (typeof expected === 'string') return url === sourceUrl ? expected : undefined;
  const { pathname } = new URL(url);
  const base = new URL('.', sourceUrl).pathname;
  const relative = pathname.startsWith(base) ? pathname.slice(base.length) : undefined;
  const file = pathname.split('/').pop();
  return expected[url] ?? (relative === undefined ? undefined : expected[relative]) ?? (file === undefined ? undefined : expected[file]);
}

function parseModelJson(bytes: ArrayBuffer, url: string, model: string): TfjsModelJson {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ModelLoadError(`Model "${model}": ${url} is not JSON (${messageOf(error)}); give the TF.js graph's model.json.`, {
      model,
      detail: messageOf(error),
    });
  }
  const ok =
    typeof json === 'object' &&
    json !== null &&
    'modelTopology' in json &&
    'weightsManifest' in json &&
    Array.isArray(json.weightsManifest) &&
    json.weightsManifest.every(
      (group: unknown) =>
        typeof group === 'object' &&
        group !== null &&
        'paths' in group &&
        Array.isArray(group.paths) &&
        group.paths.every((p: unknown) => typeof p === 'string') &&
        'weights' in group &&
        Array.isArray(group.weights),
    );
  if (!ok)
    throw new ModelLoadError(`Model "${model}": ${url} is not a TF.js graph model.json (it needs modelTopology and weightsManifest).`, {
      model,
      expected: 'model.json with modelTopology and weightsManifest',
    });
  return json as TfjsModelJson; // its structure was checked just above
}

/**
 * Resolve a URL source through `store`; other sources pass through unchanged.
 * `tracker` receives per-file progress (shared across a task's models).
 */
export async function resolveSource(
  request: LoadRequest,
  store: WeightsStore,
  tracker: ProgressTracker = new ProgressTracker(undefined),
): Promise<ModelSource> {
  const { source, modelId } = request;
  if (source.kind !== 'url') return source;
  const sourceUrl = source.url;
  const model = request.cacheModel ?? sourceUrl;
  const fetchFile = (url: string): Promise<ArrayBuffer> =>
    store.fetchFile(url, { model, modelId, sha256: expectedHashOf(request.sha256, url, sourceUrl), onProgress: tracker.file(url) });
  if (request.format === 'onnx') return { kind: 'bytes', bytes: await fetchFile(sourceUrl) };
  const jsonBytes = await fetchFile(sourceUrl);
  const modelJson = parseModelJson(jsonBytes, sourceUrl, modelId);
  const query = new URL(sourceUrl).search;
  const shardUrls = modelJson.weightsManifest.flatMap((group) =>
    group.paths.map((path) => {
      const url = new URL(path, sourceUrl);
      if (url.search === '' && query !== '') url.search = query;
      return url.href;
    }),
  );
  const shards = await Promise.all(shardUrls.map(fetchFile));
  // The shards go to TF.js as they are (no concatenated copy of the whole model).
  return { kind: 'tfjs-artifacts', artifacts: { modelJson, weights: shards.length === 1 && shards[0] !== undefined ? shards[0] : shards } };
}
