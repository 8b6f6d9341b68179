/**
 * What `runtime.load()` takes: the model (format, source, backend, integrity), and its
 * scheduling config, Triton-style: modality defaults, batching policy, replicas, and how
 * requests are stacked (batch axes per tensor, ragged inputs). Checked here before
 * anything loads; what needs the graph's signature is checked right after the session is
 * created (`resolveBatchPlan`), and a bad config then frees it again.
 */
import type { BatchAxes, RaggedConfig } from './batching/config';
import { describeConfigValue, isRecord } from './batching/config-checks';
import { checkSequenceConfig, type SequenceConfig } from './model-session';
import { checkProbe, type ProbeOptions } from './backend-probe';
import { InvalidOptionsError, messageOf } from './errors';
import { describeValue } from './tensor';
import type { BackendPreference, Dim, ExpectedBytes, ExpectedSha256, LoadProgress, ModelFormat, ModelSource, TfjsGraphArtifacts } from './protocol';
import { resolvePolicy, type BatchPolicy, type Modality } from './scheduler/policy';
import { resolveReplicas, type ReplicaOptions } from './scheduler/replicas';
import { checkShapeOverrides } from './signature';

const backends: readonly BackendPreference[] = ['webgpu', 'wasm', 'cpu', 'auto'];
const formats: readonly ModelFormat[] = ['onnx', 'tfjs-graph'];
const modalities: readonly Modality[] = ['image', 'text', 'audio'];

export { maxReplicas } from './scheduler/replicas';

/**
 * Describes a model to load, and how it is scheduled.
 *
 * @example
 * const vad = await runtime.load({
 *   format: 'onnx', source: '/models/silero_vad_v5.onnx',
 *   modality: 'audio', batching: { maxBatchSize: 32 }, batchAxes: { state: 1, stateN: 1, sr: null },
 * });
 */
export interface ModelDescriptor {
  /** `'onnx'` for ONNX Runtime Web, `'tfjs-graph'` for a TF.js graph model (`model.json`). */
  readonly format: ModelFormat;
  /** A URL (relative URLs resolve against the page), ONNX bytes, or TF.js artifacts in memory. */
  readonly source: string | URL | ArrayBuffer | Uint8Array | TfjsGraphArtifacts;
  /** Where to run: `'webgpu'`, `'wasm'`, `'cpu'` (TF.js only) or `'auto'`. @default 'auto' */
  readonly backend?: BackendPreference;
  /** The model's id in metrics and errors. @default the file name of the URL, else the format */
  readonly id?: string;
  /**
   * Worker to host the model; models with the same key share a worker.
   * @default `'onnx'` for ONNX models; `'tfjs-graph:<backend>'` for TF.js (one TF.js backend per worker)
   */
  readonly worker?: string;
  /** Reject float inputs containing NaN before running. @default false */
  readonly rejectNaN?: boolean;
  /**
   * Tighten input shapes the graph leaves free, by input name. Named dimensions must
   * agree across inputs. @default {} (the graph's own declaration)
   * @example { input: ['batch', 576], state: [2, 'batch', 128] } // Silero VAD v5
   */
  readonly shapes?: Readonly<Record<string, readonly Dim[]>>;
  /**
   * Expected SHA-256 (hex) of a URL source, checked on download: a mismatch rejects with
   * `INTEGRITY_ERROR` and nothing is cached. A string is the source file's hash (the ONNX
   * file, or `model.json`); for a TF.js graph a map by file name (`{ 'model.json': …,
   * 'group1-shard1of1.bin': … }`) covers the shards too.
   */
  readonly sha256?: ExpectedSha256;
  /**
   * Expected size in bytes of a URL source (or a map by file name, like `sha256`), checked
   * before the body is read when the server announces it, and after: a mismatch rejects with
   * `INTEGRITY_ERROR` and nothing is cached.
   */
  readonly expectedBytes?: ExpectedBytes;
  /** Download progress of a URL source, per file and overall (bytes). */
  readonly onProgress?: (progress: LoadProgress) => void;
  /**
   * How `backend: 'auto'` times an ONNX model on WebGPU and WASM at load (on a hardware
   * adapter): synthetic inputs of the signature's shapes at batch 1 and, when the model
   * batches, at its largest batch. Name sizes for free dimensions and values for inputs
   * that zeros would break. `model.backendReason` shows what was measured.
   */
  readonly probe?: ProbeOptions;

  // ── Scheduling: every model runs through its own queue and dynamic batcher ──

  /**
   * Picks the scheduling defaults (see `modalityDefaults`): `'image'` small batches and
   * `interactive` priority, `'text'` large batches that may queue, `'audio'` medium batches,
   * `realtime` priority and a deadline.
   * @default 'image'
   */
  readonly modality?: Modality;
  /**
   * Overrides of the modality's batching policy (`maxBatchSize`, `maxQueueDelayMs`,
   * `preferredBatchSizes`, `targetP95Ms`, `defaultPriority`, `defaultTimeoutMs`, `maxQueueSize` …).
   * A model given none of `modality`, `batching`, `batchAxes` or `ragged` runs one request
   * per engine call (still queued, prioritised and measured): batching is asked for.
   * @default the modality's defaults
   * @example { maxBatchSize: 32, maxQueueDelayMs: 2 }
   */
  readonly batching?: Partial<BatchPolicy>;
  /**
   * Workers serving the model, each with its own session; batches go to the least loaded.
   * `{ count: 2, reserve: { interactive: 1 } }` keeps one of two for realtime and interactive
   * work, so a background flood never queues in front of it. @default 1
   */
  readonly replicas?: ReplicaOptions;
  /**
   * The batch axis of each input and output, where the graph does not make it plain: a
   * leading free or symbolic dimension is taken as the batch by default; `null` says a
   * tensor has none (requests of one batch must then give equal values, like a sample rate).
   * @default inferred from the graph
   * @example { state: 1, stateN: 1, sr: null } // Silero VAD v5: state is [2, batch, 128]
   */
  readonly batchAxes?: BatchAxes;
  /**
   * Requests whose other dimensions differ: `{ mode: 'group' }` batches only same-shape
   * requests (the default); `{ mode: 'pad', inputs, mask, outputs }` pads ragged inputs to the
   * longest with a pad value, fills a mask input, and cuts outputs back to each request;
   * `{ mode: 'concat', inputs }` joins the rows of inputs whose axis 0 varies (tokens, sparse
   * entries) end to end, offsetting an item column, with no padding.
   * @default { mode: 'group' }
   */
  readonly ragged?: RaggedConfig;
  /**
   * State tensors that `model.session()` carries from one call to the next (Triton's
   * sequence batcher): each pair feeds an output's value to an input on the stream's next
   * call, so callers pass only the other inputs while sessions of many streams batch together.
   * @default none (`model.session()` is then refused)
   * @example { state: [{ input: 'state', output: 'stateN' }] } // Silero VAD v5
   */
  readonly sequence?: SequenceConfig;
  /**
   * Free the sessions after this long without a call, ms; the next call loads the model
   * again, transparently (it waits for the load). Only for models of the runtime's
   * `models` repository (`runtime.model(name)`). @default 0 (never)
   */
  readonly idleUnloadMs?: number;
}

/** The URL relative sources resolve against: the page (`document.baseURI`), or the worker's location. */
export function pageBase(): string {
  return typeof document !== 'undefined' ? document.baseURI : globalThis.location.href;
}

/** `url` resolved against the page; a malformed one (`"http://["`) is `INVALID_OPTIONS` naming `field`. */
export function resolveOptionUrl(url: string | URL, field: string): string {
  try {
    return new URL(url, pageBase()).href;
  } catch (error) {
    throw new InvalidOptionsError(`\`${field}\` is not a URL: ${JSON.stringify(String(url))} (${messageOf(error)}).`, {
      input: field,
      expected: 'an absolute or page-relative URL',
      got: String(url),
      detail: messageOf(error),
    });
  }
}

const sourceTypes = 'string | URL | ArrayBuffer | Uint8Array | TfjsGraphArtifacts';

/** `INVALID_OPTIONS` naming `field`: "Expected \`field\` to be {expected}, got {got}." */
export function optionError(field: string, expected: string, got: string): InvalidOptionsError {
  return new InvalidOptionsError(`Expected \`${field}\` to be ${expected}, got ${got}.`, { input: field, expected, got });
}

/**
 * Throw `INVALID_OPTIONS` (`input: 'source'`) unless `source` is a well-formed, non-empty
 * URL, bytes that are neither empty nor detached (transferred away), or TF.js artifacts.
 */
function checkSource(source: unknown): void {
  if (typeof source === 'string') {
    if (source.trim() === '') throw optionError('source', 'a model URL', '""');
    resolveOptionUrl(source, 'source');
  } else if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
    // A detached buffer reads as 0 bytes too.
    if (source.byteLength === 0) throw optionError('source', 'non-empty ONNX bytes', 'empty or detached bytes');
  } else if (!(source instanceof URL) && !(typeof source === 'object' && source !== null && 'modelJson' in source && 'weights' in source))
    throw optionError('source', sourceTypes, describeValue(source));
}

/** The descriptor's source (checked by `checkDescriptor`) as the worker takes it, and a default name for the model. */
export function toSource(descriptor: ModelDescriptor): { source: ModelSource; name: string } {
  const { source } = descriptor;
  if (typeof source === 'string' || source instanceof URL) {
    const url = resolveOptionUrl(source, 'source');
    const file = new URL(url).pathname.split('/').filter(Boolean).pop() ?? descriptor.format;
    return { source: { kind: 'url', url }, name: file.replace(/\.(onnx|json)$/, '') };
  }
  if (source instanceof ArrayBuffer) return { source: { kind: 'bytes', bytes: source.slice(0) }, name: descriptor.format };
  if (source instanceof Uint8Array) return { source: { kind: 'bytes', bytes: source.slice().buffer }, name: descriptor.format };
  if (typeof source === 'object' && source !== null && 'modelJson' in source && 'weights' in source) {
    return { source: { kind: 'tfjs-artifacts', artifacts: source }, name: descriptor.format };
  }
  throw optionError('source', sourceTypes, describeValue(source));
}

/** Throw `INVALID_OPTIONS` naming `field` unless `value` (a model id, a task's name, a worker key) is absent or a non-empty string. */
export function checkName(value: unknown, field: string): void {
  if (value !== undefined && (typeof value !== 'string' || value.trim() === ''))
    throw optionError(field, 'a non-empty string', typeof value === 'string' ? '""' : describeValue(value));
}

/** Throw `INVALID_OPTIONS` (`input: 'options'`) unless a task's or a stream's `options` are an object. */
export function checkOptionsObject(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw optionError('options', 'an object', describeValue(options));
}

/** Throw `INVALID_OPTIONS` for the first malformed field (before anything loads). */
export function checkDescriptor(descriptor: ModelDescriptor): void {
  if (typeof descriptor !== 'object' || descriptor === null) {
    throw new InvalidOptionsError('load() needs a model descriptor object: { format, source, backend? }.', {
      input: 'descriptor',
      expected: 'object',
      got: String(descriptor),
    });
  }
  if (!formats.includes(descriptor.format)) {
    throw new InvalidOptionsError(`Unknown model format "${String(descriptor.format)}".`, {
      input: 'format',
      expected: formats.join(' | '),
      got: String(descriptor.format),
    });
  }
  checkSource(descriptor.source);
  checkBackend(descriptor.backend ?? 'auto');
  checkName(descriptor.id, 'id');
  checkName(descriptor.worker, 'worker');
  if (descriptor.rejectNaN !== undefined && typeof descriptor.rejectNaN !== 'boolean')
    throw optionError('rejectNaN', 'a boolean', describeValue(descriptor.rejectNaN));
  checkShapeOverrides(descriptor.id, descriptor.shapes);
  checkProbe(descriptor.probe);
  checkSha256(descriptor.sha256);
  checkExpectedBytes(descriptor.expectedBytes);
  if (descriptor.onProgress !== undefined && typeof descriptor.onProgress !== 'function')
    throw new InvalidOptionsError('`onProgress` must be a function.', { input: 'onProgress', expected: 'function', got: typeof descriptor.onProgress });
  checkScheduling(descriptor);
}

/** Throw `INVALID_OPTIONS` unless every expected hash is 64 hex digits. */
function checkSha256(expected: ExpectedSha256 | undefined): void {
  if (expected === undefined) return;
  const hashes = typeof expected === 'string' ? [expected] : typeof expected === 'object' && expected !== null ? Object.values(expected) : [expected];
  for (const hash of hashes)
    if (typeof hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hash))
      throw new InvalidOptionsError(`Expected \`sha256\` to be 64 hex digits (or a map of them by file name), got ${String(hash)}.`, {
        input: 'sha256',
        expected: '64 hex digits',
        got: String(hash),
      });
}

/** Throw `INVALID_OPTIONS` unless every expected size is an integer ≥ 0. */
function checkExpectedBytes(expected: ExpectedBytes | undefined): void {
  if (expected === undefined) return;
  const sizes = typeof expected === 'object' && expected !== null ? Object.values(expected) : [expected];
  for (const size of sizes)
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
      throw new InvalidOptionsError(`Expected \`expectedBytes\` to be an integer ≥ 0 (or a map of them by file name), got ${String(size)}.`, {
        input: 'expectedBytes',
        expected: 'integer ≥ 0',
        got: String(size),
      });
}

/** Throw `INVALID_OPTIONS` unless `backend` is one of {@link backends} (callers may pass anything at run time). */
export function checkBackend(backend: BackendPreference): void {
  if (!backends.includes(backend)) {
    throw new InvalidOptionsError(`Unknown backend "${String(backend)}".`, { input: 'backend', expected: backends.join(' | '), got: String(backend) });
  }
}

/** True when the descriptor asks for batching: any scheduling field but `replicas`. */
export function asksForBatching(descriptor: ModelDescriptor): boolean {
  return descriptor.modality !== undefined || descriptor.batching !== undefined || descriptor.batchAxes !== undefined || descriptor.ragged !== undefined;
}

/** Check the scheduling fields that need no graph: `modality`, `replicas`, `batching` (the policy). */
export function checkScheduling(descriptor: ModelDescriptor): void {
  if (descriptor.modality !== undefined && !modalities.includes(descriptor.modality))
    throw new InvalidOptionsError(`Unknown modality "${String(descriptor.modality)}".`, {
      input: 'modality',
      expected: modalities.join(' | '),
      got: String(descriptor.modality),
    });
  resolveReplicas(descriptor.replicas);
  if (descriptor.batching !== undefined && (typeof descriptor.batching !== 'object' || descriptor.batching === null))
    throw new InvalidOptionsError('`batching` must be an object of policy overrides, e.g. { maxBatchSize: 16 }.', {
      input: 'batching',
      expected: 'object',
      got: String(descriptor.batching),
    });
  checkBatchAxesShape(descriptor.batchAxes);
  checkRaggedMode(descriptor.ragged);
  checkSequenceConfig(descriptor.sequence);
  const idle = descriptor.idleUnloadMs ?? 0;
  if (typeof idle !== 'number' || !Number.isFinite(idle) || idle < 0)
    throw new InvalidOptionsError(`Expected \`idleUnloadMs\` to be a number of ms ≥ 0, got ${String(idle)}.`, {
      input: 'idleUnloadMs',
      expected: 'number ≥ 0',
      got: String(idle),
    });
  // Throws INVALID_OPTIONS naming the field for a bad value.
  resolvePolicy(descriptor.modality ?? 'image', descriptor.batching ?? {});
}

/** What `batchAxes` can be checked for without the graph: axes (integers ≥ 0) or `null` by name. */
function checkBatchAxesShape(batchAxes: unknown): void {
  if (batchAxes === undefined) return;
  if (!isRecord(batchAxes)) throw optionError('batchAxes', 'an object of axes by tensor name', describeConfigValue(batchAxes));
  for (const [name, axis] of Object.entries(batchAxes))
    if (axis !== null && (typeof axis !== 'number' || !Number.isInteger(axis) || axis < 0))
      throw optionError(`batchAxes.${name}`, 'an integer axis ≥ 0, or null', describeConfigValue(axis));
}

/** What `ragged` can be checked for without the graph: an object with a known `mode`. */
function checkRaggedMode(ragged: unknown): void {
  if (ragged === undefined) return;
  if (!isRecord(ragged)) throw optionError('ragged', '{ mode, … }', describeConfigValue(ragged));
  if (ragged.mode !== 'group' && ragged.mode !== 'pad' && ragged.mode !== 'concat')
    throw optionError('ragged.mode', 'group | pad | concat', describeConfigValue(ragged.mode));
}
