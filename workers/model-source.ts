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
import { expectedFor, parseTfjsModelJson, type ModelFileKind } from '../src/cache/response-check';
import type { WeightsStore } from '../src/cache/weights';
import type { ExpectedSha256, LoadRequest, ModelSource } from '../src/protocol';

/** The expected hash of `url` among `expected` (a string is the source file's; a map is by URL, path or file name). */
export function expectedHashOf(expected: ExpectedSha256 | undefined, url: string, sourceUrl: string): string | undefined {
  return expectedFor(expected, url, sourceUrl);
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
  // Every file is checked (status, no text/html, format sniff, size) before it is stored or used.
  const fetchFile = (url: string, kind: ModelFileKind): Promise<ArrayBuffer> => {
    const bytes = expectedFor(request.expectedBytes, url, sourceUrl);
    return store.fetchFile(url, {
      model,
      modelId,
      kind,
      sha256: expectedHashOf(request.sha256, url, sourceUrl),
      ...(bytes === undefined ? {} : { bytes }),
      onProgress: tracker.file(url),
    });
  };
  if (request.format === 'onnx') return { kind: 'bytes', bytes: await fetchFile(sourceUrl, 'onnx') };
  const jsonBytes = await fetchFile(sourceUrl, 'tfjs-model-json');
  const modelJson = parseTfjsModelJson(jsonBytes, { model: modelId, url: sourceUrl, kind: 'tfjs-model-json' });
  const query = new URL(sourceUrl).search;
  const shardUrls = modelJson.weightsManifest.flatMap((group) =>
    group.paths.map((path) => {
      const url = new URL(path, sourceUrl);
      if (url.search === '' && query !== '') url.search = query;
      return url.href;
    }),
  );
  const shards = await Promise.all(shardUrls.map((url) => fetchFile(url, 'binary')));
  // The shards go to TF.js as they are (no concatenated copy of the whole model).
  return { kind: 'tfjs-artifacts', artifacts: { modelJson, weights: shards.length === 1 && shards[0] !== undefined ? shards[0] : shards } };
}
