/**
 * The worker contract: every type that crosses the main-thread ↔ worker boundary.
 *
 * Types only (no runtime code), so both sides import it without pulling anything
 * into their bundles. The `Engine` interface is implemented inside the worker (by the
 * ONNX Runtime Web engine, the TF.js engine, and the host that dispatches between
 * them) and proxied on the main thread through comlink, so a caller cannot tell the
 * two sides apart.
 */

import type { CacheEventSink } from './cache/events';

/** Request priority classes, most urgent first. */
export type Priority = 'realtime' | 'interactive' | 'background';

/** Element types a tensor can carry across the boundary. `bool` travels as a `Uint8Array` of 0/1. */
export type TensorDType = 'float32' | 'int32' | 'int64' | 'uint8' | 'int8' | 'bool';

/** The typed array that holds each {@link TensorDType}. */
export interface TensorDataOf {
  float32: Float32Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  int8: Int8Array;
  bool: Uint8Array;
}

/**
 * A dense tensor as plain data: `{dtype, dims, data}`, row-major.
 * When it crosses to or from a worker, `data.buffer` is transferred (the sender's
 * buffer is detached), never copied.
 */
export type Tensor = {
  [D in TensorDType]: { readonly dtype: D; readonly dims: readonly number[]; readonly data: TensorDataOf[D] };
}[TensorDType];

/** Named tensors, the shape of model inputs and outputs. */
export type TensorMap = Record<string, Tensor>;

/**
 * A dimension in a model signature: a fixed size, or a symbolic name (`"batch"`)
 * or `null` when the size is free.
 */
export type Dim = number | string | null;

/** One input or output as the model declares it. */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: TensorDType;
  /** `null` when the model does not declare a shape (any rank accepted). */
  readonly shape: readonly Dim[] | null;
}

/** Where a model's session runs. */
export type Backend = 'webgpu' | 'wasm' | 'cpu';

/**
 * What a caller may ask for: a concrete backend, or `'auto'`: never a software WebGPU adapter
 * (SwiftShader) unless the runtime allows it; on a hardware adapter, ONNX models are timed on
 * both backends at load and run on the faster (`ModelDescriptor.probe`); else WASM.
 */
export type BackendPreference = Backend | 'auto';

/** Model file formats the engines understand. */
export type ModelFormat = 'onnx' | 'tfjs-graph';

/**
 * A TF.js graph model handed over in memory instead of by URL: the parsed `model.json`
 * and its weights, either as one buffer (the shards concatenated in manifest order) or
 * as the shards themselves in manifest order (TF.js reads across them without a copy).
 */
export interface TfjsGraphArtifacts {
  readonly modelJson: TfjsModelJson;
  readonly weights: ArrayBuffer | ArrayBuffer[];
}

/** The parts of a TF.js `model.json` the engine reads. */
export interface TfjsModelJson {
  readonly format?: string;
  readonly modelTopology: unknown;
  readonly weightsManifest: ReadonlyArray<{ readonly paths: readonly string[]; readonly weights: readonly unknown[] }>;
  readonly signature?: unknown;
  readonly userDefinedMetadata?: Record<string, unknown>;
  readonly modelInitializer?: unknown;
}

/** Where model bytes come from once they reach the worker. */
export type ModelSource =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'bytes'; readonly bytes: ArrayBuffer }
  | { readonly kind: 'tfjs-artifacts'; readonly artifacts: TfjsGraphArtifacts };

/** A request to load one model into a worker. */
export interface LoadRequest {
  /** Unique id the runtime gives the model; later calls name it. */
  readonly modelId: string;
  readonly format: ModelFormat;
  readonly source: ModelSource;
  readonly backend: BackendPreference;
  /** Reject float inputs that contain NaN before running. */
  readonly rejectNaN: boolean;
  /** Tighter input shapes than the graph declares, by input name (see `ModelDescriptor.shapes`). */
  readonly shapes: Readonly<Record<string, readonly Dim[]>>;
  /**
   * Expected SHA-256 (hex) of the downloaded file(s), checked before anything is cached or
   * loaded: a string for the file at the source URL, or a map from file name (or URL) to hash.
   */
  readonly sha256?: ExpectedSha256;
  /**
   * Expected size in bytes of the downloaded file(s), checked before anything is cached or
   * loaded (`MODEL_LOAD_FAILED`): a number for the file at the source URL, or a map from
   * file name (or URL) to size, like `sha256`.
   */
  readonly expectedBytes?: ExpectedBytes;
  /** The name weight-cache entries are filed under (per-model delete). @default the source URL */
  readonly cacheModel?: string;
  /** How `'auto'` times an ONNX model on each backend at load. @default batch size 1, free dimensions 1, zeros */
  readonly probe?: BackendProbe;
  /**
   * Outputs that stay on the GPU on WebGPU (ONNX Runtime Web's `preferredOutputLocation:
   * 'gpu-buffer'`), for {@link Engine.runKeeping}; a plain `run` downloads them. Names, or
   * prefixes ending in `*`: a decoder's `present.*` KV cache, fed back as the next step's
   * past. Ignored on WASM.
   */
  readonly keepOnDevice?: readonly string[];
}

/**
 * How `backend: 'auto'` times a model at load: synthetic inputs of the signature's shapes
 * (after `shapes` overrides), run on each backend at each batch size; the backend with the
 * lower sum of median call times wins.
 */
export interface BackendProbe {
  /** The batch sizes the model will see (1, and the batcher's largest batch when it batches). */
  readonly batchSizes: readonly number[];
  /** Each input's batch axis (`null`: not batched). @default axis 0 where it is free */
  readonly batchAxes?: Readonly<Record<string, number | null>>;
  /** Sizes of named dimensions (e.g. `{ height: 640 }`); other free dimensions are 1. */
  readonly dims?: Readonly<Record<string, number>>;
  /** The value every element of an input holds, by input name (e.g. Silero's `sr: 16000`). @default 0 */
  readonly fill?: Readonly<Record<string, number>>;
}

/** One measurement of `backend: 'auto'` at load: the median of a few warm calls at one batch size. */
export interface BackendTiming {
  readonly backend: Backend;
  readonly batchSize: number;
  readonly ms: number;
}

/** Expected SHA-256 hashes (hex): one for the source file, or by file name / URL for several. */
export type ExpectedSha256 = string | Readonly<Record<string, string>>;

/** Expected file sizes in bytes: one for the source file, or by file name / URL for several. */
export type ExpectedBytes = number | Readonly<Record<string, number>>;

/**
 * Download progress of a model load, per file and across all of the load's files.
 * Files answered from the cache report once, at their full size (`from: 'cache'`).
 */
export interface LoadProgress {
  /** The file this update is about (absolute URL). */
  readonly url: string;
  /** Bytes of this file received so far. */
  readonly loaded: number;
  /** This file's size, when known (no `Content-Length` → unknown until done). */
  readonly total: number | undefined;
  /** Where this file's bytes came from. */
  readonly from: 'network' | 'cache';
  /** True on this file's last update. */
  readonly done: boolean;
  /** Bytes received across the load's files so far (never decreases). */
  readonly overallLoaded: number;
  /** Sum of the sizes of the files seen so far, once all of them are known. */
  readonly overallTotal: number | undefined;
  /** Files seen so far, and how many of them are complete. */
  readonly files: number;
  readonly filesDone: number;
}

/** Receives {@link LoadProgress} updates. Must not throw. */
export type LoadProgressSink = (progress: LoadProgress) => void;

/** What a loaded model reports about itself. */
export interface ModelInfo {
  readonly modelId: string;
  readonly format: ModelFormat;
  /** The backend the session actually runs on (the resolution of `'auto'`). */
  readonly backend: Backend;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Why `'auto'` did not pick WebGPU, when it did not. */
  readonly fallbackReason?: string;
  /** Why the model runs on {@link ModelInfo.backend}: asked for, measured faster, or the only one that works. */
  readonly backendReason: string;
  /** What `'auto'` measured at load, when it timed the backends. */
  readonly backendTimings?: readonly BackendTiming[];
  /** Wall time of session creation inside the worker, ms. */
  readonly loadMs: number;
  /** Size of the model's weights as loaded (the ONNX file, or the TF.js weight shards), bytes; 0 when unknown. */
  readonly weightBytes?: number;
  /**
   * The operators an ONNX model's graph uses (its subgraphs' too), sorted: plain names for
   * the ONNX domain, `domain.Name` for others (`com.microsoft.GroupQueryAttention`).
   * Absent for TF.js models and for ONNX files it could not read.
   */
  readonly operators?: readonly string[];
}

/** Stage timings measured inside the worker for one run, in ms. */
export interface RunTimings {
  /** Input validation and conversion to engine tensors. */
  readonly prepareMs: number;
  /** The engine call, including reading results back to CPU memory. */
  readonly inferenceMs: number;
}

/** The answer to one run. */
export interface RunResult {
  readonly outputs: TensorMap;
  readonly timings: RunTimings;
}

/** Where the time of one batched engine call went, ms (shared by the requests of the batch). */
export interface BatchRunTimings extends RunTimings {
  /** Stacking the requests' inputs along their batch axes (and padding ragged ones). */
  readonly stackMs: number;
  /** Splitting the outputs back per request (and cutting ragged ones). */
  readonly splitMs: number;
}

/** The answer to a batch stacked on the main thread: its outputs, and its inputs given back when asked. */
export interface StackedRunResult extends RunResult {
  /** The stacked inputs, transferred back so their buffers serve the next batch. */
  readonly inputs?: TensorMap;
}

/** What a worker learnt when it asked for a WebGPU adapter. */
export interface WebGpuFacts {
  readonly available: boolean;
  readonly vendor?: string;
  readonly architecture?: string;
  readonly description?: string;
  /** A software adapter (SwiftShader, or `isFallbackAdapter`): WebGPU on the CPU. `'auto'` passes it over unless allowed. */
  readonly software?: boolean;
  /** Why WebGPU is unavailable, when it is. */
  readonly reason?: string;
}

/** Facts about the worker's environment, for choosing backends and for reports. */
export interface WorkerEnvironment {
  readonly webgpu: WebGpuFacts;
  readonly crossOriginIsolated: boolean;
  readonly hardwareConcurrency: number;
  /** The WASM threads ONNX Runtime uses in this worker (1 without cross-origin isolation). */
  readonly ortNumThreads: number;
  /** The WASM threads TF.js uses (1: its threaded build breaks once bundled; see `configureTfjs`). */
  readonly tfjsNumThreads: number;
  readonly userAgent: string;
  /** The engine versions bundled into the worker (their served WASM must match; see `AssetError`). */
  readonly engines: { readonly onnxruntime: string; readonly tfjs: string };
  /** How many times the worker module was evaluated in this worker: 1, unless a bundler loads it twice. */
  readonly workerEvaluations: number;
}

/** Where the engines find their WASM binaries (served by the app, never a CDN). */
export interface EngineAssetPaths {
  /** URL prefix of ONNX Runtime Web's `ort-wasm-*.{mjs,wasm}` files, ending in `/`. */
  readonly ortWasmPrefix: string;
  /** URL prefix of TF.js's `tfjs-backend-wasm*.wasm` files, ending in `/`. */
  readonly tfjsWasmPrefix: string;
  /** WASM threads for ONNX Runtime (needs cross-origin isolation); 0: from the core count (`workers/wasm-threads.ts`). */
  readonly ortNumThreads: number;
  /** Let `'auto'` consider a software WebGPU adapter (SwiftShader). @default false */
  readonly allowSoftwareWebGpu?: boolean;
}

/** How a worker caches (resolved from the runtime's `cache` option; see `src/cache/config.ts`). */
export interface WorkerCacheConfig {
  /** Model files in IndexedDB, verified by SHA-256. */
  readonly weights: {
    readonly enabled: boolean;
    /** LRU byte budget across models. */
    readonly budgetBytes: number;
    /** Check each stored file's SHA-256 when it is read back. */
    readonly verifyOnRead: boolean;
    /** Ask the server whether a stored file changed (`If-None-Match`) before using it. */
    readonly revalidate: boolean;
  };
  /** Key/value blocks of prompt prefixes for text generation. */
  readonly kvPrefix: {
    readonly enabled: boolean;
    /** Tokens per block (prefixes are reused in whole blocks). */
    readonly blockTokens: number;
    /** In-worker LRU budget, bytes. */
    readonly memoryBytes: number;
    /** Also keep blocks in IndexedDB (survives reloads). */
    readonly persist: boolean;
    /** IndexedDB LRU budget, bytes. */
    readonly budgetBytes: number;
  };
}

/**
 * What one engine in a worker holds now, counted from the engine's own bookkeeping
 * (the worker's `resources()`; for soak tests and leak hunts).
 */
export interface EngineResources {
  /** ONNX Runtime Web: live `InferenceSession`s in the engine's map. TF.js: graph models held. */
  readonly sessions: number;
  /** The backend it runs on, when it has one (TF.js: one per worker). */
  readonly backend?: Backend;
  /** TF.js: `tf.memory().numTensors`, the tensors alive in the worker. */
  readonly tensors?: number;
  /** TF.js: `tf.memory().numDataBuffers`. */
  readonly dataBuffers?: number;
  /** TF.js: `tf.memory().numBytes`, the bytes of all live tensors. */
  readonly tensorBytes?: number;
  /** TF.js on WebGPU: bytes of tensors in GPU buffers (`numBytesInGPU`). */
  readonly gpuBytes?: number;
  /** TF.js on WebGPU: bytes of GPU buffers allocated, pooled ones included (`numBytesAllocatedInGPU`). */
  readonly gpuBytesAllocated?: number;
  /** TF.js on WebGPU: GPU buffers in use plus free in its pool. */
  readonly gpuBuffers?: number;
  /** TF.js on WebGPU: GPU buffers held by live tensors. */
  readonly gpuBuffersInUse?: number;
  /** TF.js on WebGPU: bytes in free pooled buffers (kept for reuse, trimmed to the budget after each run). */
  readonly gpuPoolFreeBytes?: number;
  /** TF.js on WebGPU: the pool's free-byte budget; null when this TF.js build's pool cannot be trimmed. */
  readonly gpuPoolBudgetBytes?: number | null;
  /** TF.js on WebGPU: free buffers destroyed by the budget so far. */
  readonly gpuPoolTrimmed?: number;
  /** ONNX Runtime Web: outputs kept on the device between calls ({@link DeviceTensor}s not yet disposed). */
  readonly deviceTensors?: number;
}

/** What a worker holds now: its loaded models and tasks, and each started engine's resources. */
export interface WorkerResources {
  /** Models the worker's host has loaded (tasks' models included). */
  readonly models: number;
  /** Tasks loaded (pose, OCR, generation); 0 in a host without tasks. */
  readonly tasks: number;
  /** Each engine started in this worker, by model format. */
  readonly engines: Partial<Record<ModelFormat, EngineResources>>;
}

/**
 * An output an engine kept where it was computed (ONNX Runtime Web on WebGPU: a GPU
 * buffer; on WASM: its CPU tensor, unconverted), to be fed back to the same model by
 * {@link Engine.runKeeping} without a round trip through the CPU. Lives only inside the
 * worker that made it: it is never posted, and whoever holds it disposes it once.
 */
export interface DeviceTensor {
  readonly dtype: TensorDType;
  readonly dims: readonly number[];
  /** Where its data lives: `'gpu-buffer'` on WebGPU, `'cpu'` otherwise. */
  readonly location: 'gpu-buffer' | 'cpu';
  /** Copy its data to a CPU tensor and free the device copy: the handle is disposed after. */
  download(): Promise<Tensor>;
  /** Free its device memory. Idempotent. */
  dispose(): void;
}

/** A run that kept some outputs on the device: `outputs` holds the rest, on the CPU. */
export interface KeepingRunResult extends RunResult {
  readonly kept: Readonly<Record<string, DeviceTensor>>;
}

/**
 * The one interface every engine implements, and the worker exposes.
 *
 * Implemented by the ONNX Runtime Web engine, the TF.js engine, and the worker host
 * that routes each model to one of them; proxied to the main thread by comlink.
 */
export interface Engine {
  /** Load a model and report its signature and the backend it runs on. */
  load(request: LoadRequest): Promise<ModelInfo>;
  /** Run a loaded model. Inputs are validated first; bad input throws `InvalidInputError`. */
  run(modelId: string, inputs: TensorMap): Promise<RunResult>;
  /** Free a model's session. Unknown ids are ignored. */
  release(modelId: string): Promise<void>;
  /** The backend a loaded model runs on. */
  backendOf(modelId: string): Promise<Backend>;
  /**
   * Worker-internal (not proxied): run with some inputs already on the device (outputs
   * of an earlier call of the same model), keeping the outputs named in `keep` there.
   * Engines that cannot leave it out.
   */
  runKeeping?(modelId: string, inputs: TensorMap, resident: Readonly<Record<string, DeviceTensor>>, keep: readonly string[]): Promise<KeepingRunResult>;
  /** What the engine holds now (sessions, tensors); engines without bookkeeping leave it out. */
  engineResources?(): Promise<EngineResources>;
}

/** The engine part of the worker API: the engine plus one-time setup and introspection. */
export interface EngineWorkerApi extends Engine {
  /** Load a model, reporting download progress to `progress` (a comlink proxy from the main thread). */
  load(request: LoadRequest, progress?: LoadProgressSink): Promise<ModelInfo>;
  /**
   * Configure asset paths; call once before the first `load`. With `lifeLock`, the worker
   * takes that Web Lock and holds it for life (see `src/worker-liveness.ts`); resolves
   * whether it holds it.
   */
  configure(paths: EngineAssetPaths, cache?: WorkerCacheConfig, events?: CacheEventSink, lifeLock?: string): Promise<boolean>;
  /** Describe the worker's environment (WebGPU adapter, isolation, cores). */
  environment(): Promise<WorkerEnvironment>;
  /** Answer at once: the main thread's watchdog asks while calls are in flight (a worker that cannot answer is stuck). */
  ping(): Promise<true>;
  /** What the worker holds now: models, tasks, and each started engine's sessions and tensors. */
  resources(): Promise<WorkerResources>;
  /** Release every session; the worker can then be terminated. */
  releaseAll(): Promise<void>;
  /**
   * Run one batch the main thread stacked from requests it validated (no second
   * validation): one engine call, most urgent first. With `giveBack`, the inputs come back
   * with the outputs, so their buffers serve the next batch.
   */
  runStacked(modelId: string, inputs: TensorMap, priority?: Priority, giveBack?: boolean): Promise<StackedRunResult>;
}

/** The worker's exposed API: engines plus tasks. */
export interface WorkerApi extends EngineWorkerApi {
  /** Load a task's models and resources, reporting model download progress to `progress`. */
  loadTask(spec: TaskSpec, progress?: LoadProgressSink): Promise<TaskInfo>;
  /** Free a task and its models. Unknown ids are ignored. */
  releaseTask(taskId: string): Promise<void>;
  // `priority` (the batch's most urgent class) orders engine calls waiting in the worker.
  /** MoveNet on one image. */
  pose(taskId: string, image: ImageSource, priority?: Priority): Promise<TaskResult<PoseResult>>;
  /** PP-OCR on one image. */
  ocr(taskId: string, image: ImageSource, priority?: Priority): Promise<TaskResult<OcrResult>>;
  /** Tokenise and prefill a prompt; returns the first generated token. */
  generateStart(taskId: string, request: GenerateStartRequest): Promise<TaskResult<GenerateStep>>;
  /** Generate the next token of a session from its KV cache. */
  generateStep(taskId: string, sessionId: string): Promise<TaskResult<GenerateStep>>;
  /** End a session early and free its KV cache. */
  generateEnd(taskId: string, sessionId: string): Promise<void>;
}

// ─────────────────────────────────────────────────────────────────────────────
// Tasks: image, text and audio work whose pre- and post-processing runs in the worker.
// ─────────────────────────────────────────────────────────────────────────────

/** Where the time of one task call went, measured in the worker, ms. */
export interface StageTimings {
  /** Decode, resize, normalise, tokenise. */
  readonly preprocessMs: number;
  /** Engine calls, including reading results back. */
  readonly inferenceMs: number;
  /** Decoding outputs: boxes, CTC, keypoints, sampling. */
  readonly postprocessMs: number;
  /** Engine calls made (a batched call counts once). */
  readonly engineCalls: number;
}

/** A task's answer with its stage timings. */
export interface TaskResult<T> {
  readonly value: T;
  readonly timings: StageTimings;
}

/**
 * An image on its way to a worker. The main thread turns every accepted input into
 * one of these; decoding (of a Blob or URL) happens in the worker.
 */
export type ImageSource =
  | { readonly kind: 'blob'; readonly blob: Blob }
  | { readonly kind: 'bitmap'; readonly bitmap: ImageBitmap }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'pixels'; readonly width: number; readonly height: number; readonly data: Uint8ClampedArray };

/** The tasks a worker can host. */
export type TaskKind = 'pose' | 'ocr' | 'embed' | 'vad' | 'generate';

interface TaskSpecBase {
  /** Unique id the runtime gives the task. */
  readonly taskId: string;
  readonly backend: BackendPreference;
  /**
   * What the files at the built-in tasks' default URLs must be, by absolute URL (from the
   * model manifest): any of the task's files fetched from one of these URLs is checked for
   * this size and SHA-256 (`INTEGRITY_ERROR`). Files at other URLs (yours) are not.
   */
  readonly expected?: Readonly<Record<string, FileExpectation>>;
}

/** The size and SHA-256 a file must have. */
export interface FileExpectation {
  readonly sha256: string;
  readonly bytes: number;
}

/** MoveNet single-pose. */
export interface PoseTaskSpec extends TaskSpecBase {
  readonly kind: 'pose';
  readonly modelUrl: string;
  /** Largest accepted image, in pixels (width × height). */
  readonly maxImagePixels: number;
}

/** PP-OCR detection → orientation → recognition. */
export interface OcrTaskSpec extends TaskSpecBase {
  readonly kind: 'ocr';
  readonly detUrl: string;
  readonly clsUrl: string;
  readonly recUrl: string;
  /** The recognition model's character list, one per line (`ppocr_keys_v1.txt`). */
  readonly keysUrl: string;
  /** Largest accepted image, in pixels (width × height). */
  readonly maxImagePixels: number;
  /** The detector sees the image scaled so its longer side is at most this (never upscaled). */
  readonly maxSideLength: number;
  /** DB box threshold: mean text probability a box needs, 0…1. */
  readonly boxThreshold: number;
  /** DB unclip ratio: how far boxes grow past the detector's shrunk text regions. */
  readonly unclipRatio: number;
  /** Lines read with a lower mean character probability are dropped, 0…1. */
  readonly minConfidence: number;
}

/** A decoder-only language model with a KV cache (Optimum I/O names). */
export interface GenerateTaskSpec extends TaskSpecBase {
  readonly kind: 'generate';
  /** The decoder `.onnx`: `input_ids`, `attention_mask`, [`position_ids`], `past_key_values.{i}.key/value` → `logits`, `present.{i}.key/value`. */
  readonly modelUrl: string;
  /** GPT-2 BPE vocabulary (`encoder.json`, a.k.a. `vocab.json`). */
  readonly vocabUrl: string;
  /** GPT-2 BPE merges (`vocab.bpe`, a.k.a. `merges.txt`). */
  readonly mergesUrl: string;
  /** Hugging Face `config.json`, read for sizes the graph leaves symbolic; must exist when given. Default: `config.json` next to the model, if there is one. */
  readonly configUrl?: string;
  /** Longest sequence the model takes (prompt + generated); overrides the config's `n_positions`. */
  readonly maxContext?: number;
  /** Sequences decoded together in one engine call (continuous batching); 1 = one session at a time. Default 16. */
  readonly maxBatchSize?: number;
  /** Keep the decode batch's KV cache where the engine computed it (GPU buffers on WebGPU) between steps. Default true. */
  readonly kvOnDevice?: boolean;
}

/** What a worker needs to set up a task. */
export type TaskSpec = PoseTaskSpec | OcrTaskSpec | GenerateTaskSpec;

/** A loaded task. */
export interface TaskInfo {
  readonly taskId: string;
  readonly kind: TaskKind;
  /** The backend its models run on. */
  readonly backend: Backend;
  readonly models: readonly ModelInfo[];
  readonly loadMs: number;
  /** Task-specific facts (vocabulary size, layer count, context length …). */
  readonly facts: Readonly<Record<string, string | number>>;
}

/** MoveNet's 17 keypoints, in output order. */
export type KeypointName =
  | 'nose'
  | 'leftEye'
  | 'rightEye'
  | 'leftEar'
  | 'rightEar'
  | 'leftShoulder'
  | 'rightShoulder'
  | 'leftElbow'
  | 'rightElbow'
  | 'leftWrist'
  | 'rightWrist'
  | 'leftHip'
  | 'rightHip'
  | 'leftKnee'
  | 'rightKnee'
  | 'leftAnkle'
  | 'rightAnkle';

/** One keypoint, in the input image's own pixel coordinates. */
export interface Keypoint {
  readonly name: KeypointName;
  readonly x: number;
  readonly y: number;
  readonly score: number;
}

/** A detected pose. */
export interface PoseResult {
  readonly keypoints: readonly Keypoint[];
  /** Mean keypoint score. */
  readonly score: number;
  readonly width: number;
  readonly height: number;
}

/** A point in image pixels. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** One recognised line of text. */
export interface OcrLine {
  readonly text: string;
  /** Mean probability of the decoded characters, 0…1. */
  readonly confidence: number;
  /** Corners clockwise from top-left, in image pixels. */
  readonly box: readonly [Point, Point, Point, Point];
  /** 180 when the orientation classifier turned the crop upside down before reading. */
  readonly angle: 0 | 180;
}

/** What OCR read in one image, in reading order: rows top to bottom, each row left to right. */
export interface OcrResult {
  readonly lines: readonly OcrLine[];
  readonly width: number;
  readonly height: number;
}

/** Start of a generation session in the worker. */
export interface GenerateStartRequest {
  readonly sessionId: string;
  readonly prompt: string;
  readonly maxNewTokens: number;
  /** 0 = greedy. */
  readonly temperature: number;
  /** 0 = no top-k cut. */
  readonly topK: number;
  /** Seed of the sampling RNG. */
  readonly seed: number;
  /** `false` re-runs the whole sequence every step (the no-cache reference). */
  readonly useKvCache: boolean;
  /** Order of prefills waiting in the worker's decode loop. @default 'interactive' */
  readonly priority?: Priority;
  /** Fail with `DEADLINE_EXCEEDED` if the prefill has not started this many ms after the request reached the worker; 0 = never. */
  readonly timeoutMs?: number;
}

/** One generated token. */
export interface GenerateStep {
  readonly sessionId: string;
  readonly tokenId: number;
  /** The text this token adds (may be empty while a multi-byte character is incomplete). */
  readonly text: string;
  /** True when the session ended after this token; its cache is freed. */
  readonly done: boolean;
  /** Why it ended (when `done`): `maxNewTokens` reached, the end-of-text token, or no position left in the model's context. */
  readonly finishReason?: 'length' | 'eos' | 'context';
  readonly promptTokens: number;
  /** Prompt tokens whose keys/values came from the KV prefix cache instead of the prefill. */
  readonly cachedPromptTokens: number;
  readonly generatedTokens: number;
  /** Sequence length of the `input_ids` fed to produce this token. */
  readonly stepInputLength: number;
  /** Generation sessions (and so KV caches) the task holds after this step, across all callers. */
  readonly openSessions: number;
  /** Sequences in the engine call that produced this token: 1 for a prefill, the running batch's size for a decode step. */
  readonly batchSize: number;
}
