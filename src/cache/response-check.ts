/**
 * Checks every downloaded model file passes before it is stored or handed to an engine:
 * the HTTP status, the `Content-Type` (never `text/html`), a sniff of the bytes for the
 * file's kind (an ONNX ModelProto header, a TF.js `model.json`, JSON, not an HTML page),
 * and the expected size when the caller knows it. A failure is a `ModelLoadError` that
 * names the URL, what came back (`got`) and what was expected.
 *
 * Why: a single-page app's dev server or host answers a missing file with its
 * `index.html` (HTTP 200, `text/html`). Stored as a model, that page broke every later
 * load in the same browser profile, even after the real file was served.
 *
 * Used by the weights store (downloads, and entries read back from IndexedDB), the ONNX
 * engine's own fetch, and the tasks' auxiliary files (vocabularies, character lists).
 */
import { IntegrityError, messageOf, ModelLoadError } from '../errors';
import { sha256Hex } from './hash';
import type { TfjsModelJson } from '../protocol';

/**
 * What a file should be, which picks its sniff:
 * - `onnx`: an ONNX model (a protobuf `ModelProto`);
 * - `tfjs-model-json`: a TF.js graph `model.json` (JSON with `modelTopology` and `weightsManifest`);
 * - `json`: any JSON (vocabularies, `config.json`);
 * - `text`: text (character lists, BPE merges): not an HTML page;
 * - `binary`: any bytes (TF.js weight shards): not an HTML page.
 */
export type ModelFileKind = 'onnx' | 'tfjs-model-json' | 'json' | 'text' | 'binary';

/** One file to check, and how to name it in errors. */
export interface FileCheck {
  /** The model (or task) id the error names. */
  readonly model: string;
  /** The file's absolute URL. */
  readonly url: string;
  readonly kind: ModelFileKind;
  /** What the file is, for messages ("the USE-lite vocabulary"). @default the URL alone */
  readonly what?: string;
  /** The option that named the file (`vocabUrl` …), as the error's `input`. */
  readonly input?: string;
  /** Expected size in bytes, when the caller knows it. */
  readonly expectedBytes?: number;
  /** Expected SHA-256 (hex), when the caller knows it: a mismatch is an `IntegrityError`. */
  readonly expectedSha256?: string;
}

/** How each kind reads in messages ("… not an ONNX model"). */
const kindWords: Record<ModelFileKind, string> = {
  onnx: 'an ONNX model',
  'tfjs-model-json': 'a TF.js graph model.json',
  json: 'JSON',
  text: 'a text file',
  binary: 'model data',
};

/** The hint for an HTML answer: almost always a single-page app's fallback for a missing file. */
const spaHint =
  "a single-page-app fallback answered for a missing file; serve the model files (inpage/vite plugin or `npx inpage assets`) or set `appType: 'mpa'` in Vite.";

/** The kind a URL's file name suggests, for callers that do not say: `.onnx`, `.json`, `.txt`/`.bpe`, else binary. */
export function fileKindOf(url: string): ModelFileKind {
  const path = new URL(url, 'http://localhost/').pathname.toLowerCase();
  if (path.endsWith('.onnx')) return 'onnx';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.txt') || path.endsWith('.bpe')) return 'text';
  return 'binary';
}

/**
 * The expectation that applies to `url` among `expected`: a single value is the source
 * file's; a map is looked up by URL, by path relative to the source file's folder, then
 * by file name (how `sha256` and `expectedBytes` are given).
 */
export function expectedFor<T extends string | number>(expected: T | Readonly<Record<string, T>> | undefined, url: string, sourceUrl: string): T | undefined {
  if (expected === undefined) return undefined;
  if (typeof expected !== 'object') return url === sourceUrl ? expected : undefined;
  const { pathname } = new URL(url);
  const base = new URL('.', sourceUrl).pathname;
  const relative = pathname.startsWith(base) ? pathname.slice(base.length) : undefined;
  const file = pathname.split('/').pop();
  return expected[url] ?? (relative === undefined ? undefined : expected[relative]) ?? (file === undefined ? undefined : expected[file]);
}

function subject(check: FileCheck): string {
  return `Model "${check.model}": ${check.what === undefined ? check.url : `${check.what} at ${check.url}`}`;
}

function failure(check: FileCheck, message: string, fields: { got?: string; expected?: string; detail?: string }): ModelLoadError {
  return new ModelLoadError(message, { model: check.model, ...(check.input === undefined ? {} : { input: check.input }), ...fields });
}

/** The media type of a `Content-Type` header, lowercase, without parameters. */
function mediaType(response: Response): string | undefined {
  const header = response.headers.get('Content-Type');
  if (header === null) return undefined;
  return header.split(';')[0]?.trim().toLowerCase();
}

/** A fetch that threw (offline, CORS, bad URL). */
export function networkError(error: unknown, check: FileCheck): ModelLoadError {
  return failure(
    check,
    `${subject(check)} could not be loaded: ${messageOf(error)}. Check the URL, that the server is up, and that another origin allows CORS.`,
    { detail: messageOf(error) },
  );
}

/** A body that failed while streaming. */
export function readError(error: unknown, check: FileCheck): ModelLoadError {
  return failure(check, `${subject(check)}: the download failed part way: ${messageOf(error)}. Try again; nothing was cached or loaded.`, {
    detail: messageOf(error),
  });
}

/**
 * What is wrong with a response before its body is read: a non-OK status, `text/html`,
 * or a `Content-Length` other than the expected size. `undefined` when it may carry the file.
 */
export function responseProblem(response: Response, check: FileCheck): ModelLoadError | IntegrityError | undefined {
  if (!response.ok) {
    const status = `HTTP ${response.status}`;
    return failure(
      check,
      `${subject(check)} could not be loaded: ${status}${response.statusText === '' ? '' : ` ${response.statusText}`}. Serve the file at that URL or pass the right URL (the built-in tasks' files come from the inpage/vite plugin or \`npx inpage assets\`).`,
      { got: status, expected: 'HTTP 200' },
    );
  }
  const type = mediaType(response);
  if (type === 'text/html')
    return failure(check, `${subject(check)} answered ${response.status} with text/html, not ${kindWords[check.kind]} — ${spaHint}`, {
      got: 'text/html',
      expected: kindWords[check.kind],
    });
  const length = Number(response.headers.get('Content-Length') ?? Number.NaN);
  const encoding = response.headers.get('Content-Encoding');
  const plain = encoding === null || encoding === 'identity';
  if (check.expectedBytes !== undefined && plain && Number.isInteger(length) && length !== check.expectedBytes) return sizeError(length, check);
  return undefined;
}

/** Throw {@link responseProblem}'s error, if any, after cancelling the body it will not read. */
export function checkResponse(response: Response, check: FileCheck): void {
  const problem = responseProblem(response, check);
  if (problem === undefined) return;
  discardBody(response);
  throw problem;
}

/** Stop downloading a body that will not be read. */
export function discardBody(response: Response): void {
  if (response.body !== null && !response.bodyUsed) response.body.cancel().catch(() => undefined);
}

function sizeError(got: number, check: FileCheck): IntegrityError {
  // Another size is another file (or a truncated one): an integrity failure, like a hash mismatch.
  return new IntegrityError(
    `${subject(check)} has ${got} bytes, but ${String(check.expectedBytes)} were expected (a truncated download, or another file). Nothing was cached or loaded; check the file on the server or the \`expectedBytes\` you passed.`,
    { model: check.model, got: `${got} bytes`, expected: `${String(check.expectedBytes)} bytes`, ...(check.input === undefined ? {} : { input: check.input }) },
  );
}

/** Up to `count` leading bytes as hex pairs and as printable ASCII, for messages. */
function preview(bytes: Uint8Array, count = 16): { hex: string; text: string } {
  const head = bytes.subarray(0, count);
  const hex = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = [...head].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return { hex, text };
}

/** True when the bytes start (after a BOM and white space) like an HTML page. */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  while (start < bytes.length && start < 512 && (bytes[start] === 0x20 || bytes[start] === 0x09 || bytes[start] === 0x0a || bytes[start] === 0x0d)) start += 1;
  const head = String.fromCharCode(...bytes.subarray(start, start + 15)).toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

/**
 * Protobuf tags (field number and wire type) a serialised ONNX `ModelProto` can start with:
 * `ir_version` (1, varint: 0x08) comes first from every writer we know, which serialise in
 * field order; the others cover writers that omit it. Two-byte tags are fields 20, 25, 26.
 */
const modelProtoTags = new Set([0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72]);
const modelProtoTwoByteTags = new Set([0xa2, 0xca, 0xd2]);

/** Why `bytes` are not an ONNX ModelProto header, or `undefined` when they may be one. */
function onnxHeaderProblem(bytes: Uint8Array): string | undefined {
  const first = bytes[0];
  if (first === undefined) return 'empty';
  if (first === 0x3c) return 'HTML or XML';
  if (first === 0x7b || first === 0x5b) return 'JSON';
  if (modelProtoTwoByteTags.has(first) && bytes[1] === 0x01) return undefined;
  if (!modelProtoTags.has(first)) return 'its first byte is no ModelProto field';
  if (first !== 0x08) return undefined;
  // ir_version: a varint that ends within 10 bytes, with a plausible value (1 … 64; 10 in 2024).
  let value = 0;
  for (let i = 1; i < Math.min(bytes.length, 11); i += 1) {
    const byte = bytes[i] ?? 0;
    if (i <= 4) value += (byte & 0x7f) * 2 ** (7 * (i - 1));
    if ((byte & 0x80) === 0) return value >= 1 && value <= 64 ? undefined : `an ir_version of ${value}`;
  }
  return 'an ir_version that does not end';
}

/** The file's bytes are not of its kind: an HTML page, no ModelProto header, empty. */
function formatProblem(bytes: ArrayBuffer, check: FileCheck): ModelLoadError | undefined {
  const view = new Uint8Array(bytes);
  if (looksLikeHtml(view))
    return failure(check, `${subject(check)} answered with an HTML page ("${preview(view).text}…"), not ${kindWords[check.kind]} — ${spaHint}`, {
      got: 'an HTML page',
      expected: kindWords[check.kind],
    });
  if (view.length === 0 && check.expectedBytes !== 0)
    return failure(check, `${subject(check)} is empty (0 bytes), not ${kindWords[check.kind]}. Check the file on the server.`, {
      got: '0 bytes',
      expected: kindWords[check.kind],
    });
  if (check.kind === 'onnx') {
    const why = onnxHeaderProblem(view);
    if (why !== undefined) {
      const { hex, text } = preview(view);
      return failure(
        check,
        `${subject(check)} is not an ONNX model (${why}): its first bytes are ${hex} ("${text}"), where a protobuf ModelProto starts with its ir_version (0x08). Check that the URL names the .onnx file itself and that the server sends it unchanged.`,
        { got: `starts with ${hex}`, expected: 'an ONNX model (protobuf ModelProto, first byte 0x08)' },
      );
    }
  }
  return undefined;
}

/** Parse a JSON file's bytes, or throw the uniform "is not JSON" `ModelLoadError`. */
export function parseJsonFile(bytes: ArrayBuffer, check: FileCheck): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    const { text } = preview(new Uint8Array(bytes), 24);
    const advice = check.kind === 'tfjs-model-json' ? "give the TF.js graph's model.json" : 'check the URL and the file on the server';
    throw failure(check, `${subject(check)} is not JSON (${messageOf(error)}; it starts with "${text}"); ${advice}.`, {
      got: `starts with "${text}"`,
      expected: kindWords[check.kind],
      detail: messageOf(error),
    });
  }
}

function isModelJson(json: unknown): json is TfjsModelJson {
  return (
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
    )
  );
}

/** Parse and check a TF.js graph `model.json` (`modelTopology` and a `weightsManifest` of `{ paths, weights }` groups). */
export function parseTfjsModelJson(bytes: ArrayBuffer, check: FileCheck): TfjsModelJson {
  const json = parseJsonFile(bytes, check);
  if (isModelJson(json)) return json;
  const keys = typeof json === 'object' && json !== null && !Array.isArray(json) ? Object.keys(json).slice(0, 8).join(', ') : undefined;
  const got = keys === undefined ? `JSON ${Array.isArray(json) ? 'array' : typeof json}` : `JSON with keys ${keys === '' ? '(none)' : keys}`;
  throw failure(check, `${subject(check)} is not a TF.js graph model.json: it needs modelTopology and weightsManifest (${got}). Give the graph's model.json.`, {
    got,
    expected: 'model.json with modelTopology and weightsManifest',
  });
}

/**
 * What is wrong with a file's bytes for its kind (an HTML page, no ONNX header, not JSON,
 * not a `model.json`, empty) or size; `undefined` when they pass.
 */
export function bytesProblem(bytes: ArrayBuffer, check: FileCheck): ModelLoadError | IntegrityError | undefined {
  const problem = formatProblem(bytes, check);
  if (problem !== undefined) return problem;
  try {
    if (check.kind === 'json') parseJsonFile(bytes, check);
    if (check.kind === 'tfjs-model-json') parseTfjsModelJson(bytes, check);
  } catch (error) {
    if (error instanceof ModelLoadError) return error;
    throw error;
  }
  return sizeProblem(bytes, check);
}

function sizeProblem(bytes: ArrayBuffer, check: FileCheck): IntegrityError | undefined {
  return check.expectedBytes !== undefined && bytes.byteLength !== check.expectedBytes ? sizeError(bytes.byteLength, check) : undefined;
}

/** Throw {@link bytesProblem}'s error, if any. */
export function checkBytes(bytes: ArrayBuffer, check: FileCheck): void {
  const problem = bytesProblem(bytes, check);
  if (problem !== undefined) throw problem;
}

/** Fetch a file and check its response, its format (JSON is parsed when `parse`) and its size. */
async function download(check: FileCheck, fetchImpl: typeof fetch, parse: boolean): Promise<ArrayBuffer> {
  let response: Response;
  try {
    response = await fetchImpl(check.url);
  } catch (error) {
    throw networkError(error, check);
  }
  checkResponse(response, check);
  let bytes: ArrayBuffer;
  try {
    bytes = await response.arrayBuffer();
  } catch (error) {
    throw readError(error, check);
  }
  const problem = parse ? bytesProblem(bytes, check) : (formatProblem(bytes, check) ?? sizeProblem(bytes, check));
  if (problem !== undefined) throw problem;
  if (check.expectedSha256 !== undefined) {
    const got = await sha256Hex(bytes);
    const expected = check.expectedSha256.toLowerCase();
    if (got !== expected)
      throw new IntegrityError(
        `Model "${check.model}": ${check.what === undefined ? '' : `${check.what} at `}${check.url} has SHA-256 ${got}, but ${expected} was expected; it is not the file this inpage version was built with. Serve the files of this version (inpage/vite plugin or \`npx inpage assets\`).`,
        { model: check.model, expected, got, ...(check.input === undefined ? {} : { input: check.input }) },
      );
  }
  return bytes;
}

const globalFetch: typeof fetch = (input, init) => fetch(input, init);

/** Fetch a file and check its response and bytes; every failure is a `ModelLoadError`. */
export async function fetchChecked(check: FileCheck, fetchImpl: typeof fetch = globalFetch): Promise<ArrayBuffer> {
  return download(check, fetchImpl, true);
}

/** {@link fetchChecked} for a text file, decoded as UTF-8. */
export async function fetchCheckedText(check: Omit<FileCheck, 'kind'>, fetchImpl: typeof fetch = globalFetch): Promise<string> {
  return new TextDecoder().decode(await download({ ...check, kind: 'text' }, fetchImpl, true));
}

/** {@link fetchChecked} for a JSON file, parsed once. */
export async function fetchCheckedJson(check: Omit<FileCheck, 'kind'>, fetchImpl: typeof fetch = globalFetch): Promise<unknown> {
  const json: FileCheck = { ...check, kind: 'json' };
  return parseJsonFile(await download(json, fetchImpl, false), json);
}
