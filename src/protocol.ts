/**
 * The worker contract: every type that crosses the main-thread ↔ worker boundary.
 *
 * Types only (no runtime code), so both sides import it without pulling anything
 * into their bundles. The `Engine` interface is implemented inside the worker (by the
 * ONNX Runtime Web engine, the TF.js engine, and the host that dispatches between
 * them) and proxied on the main thread through comlink, so a caller cannot tell the
 * two sides apart.
 */

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

/** What a caller may ask for: a concrete backend, or `'auto'` (WebGPU when it works, else WASM). */
export type BackendPreference = Backend | 'auto';

/** Model file formats the engines understand. */
export type ModelFormat = 'onnx' | 'tfjs-graph';

/**
 * A TF.js graph model handed over in memory instead of by URL: the parsed `model.json`
 * and its weight shards concatenated in manifest order.
 */
export interface TfjsGraphArtifacts {
  readonly modelJson: TfjsModelJson;
  readonly weights: ArrayBuffer;
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
}

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
  /** Wall time of session creation inside the worker, ms. */
  readonly loadMs: number;
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

/** Facts about the worker's environment, for choosing backends and for reports. */
export interface WorkerEnvironment {
  readonly webgpu: { readonly available: boolean; readonly vendor?: string; readonly architecture?: string; readonly reason?: string };
  readonly crossOriginIsolated: boolean;
  readonly hardwareConcurrency: number;
  readonly userAgent: string;
}

/** Where the engines find their WASM binaries (served by the app, never a CDN). */
export interface EngineAssetPaths {
  /** URL prefix of ONNX Runtime Web's `ort-wasm-*.{mjs,wasm}` files, ending in `/`. */
  readonly ortWasmPrefix: string;
  /** URL prefix of TF.js's `tfjs-backend-wasm*.wasm` files, ending in `/`. */
  readonly tfjsWasmPrefix: string;
  /** WASM threads for ONNX Runtime (needs cross-origin isolation); 0 lets ORT choose. */
  readonly ortNumThreads: number;
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
}

/** The worker's exposed API: the engine plus one-time setup and introspection. */
export interface WorkerApi extends Engine {
  /** Configure asset paths; call once before the first `load`. */
  configure(paths: EngineAssetPaths): Promise<void>;
  /** Describe the worker's environment (WebGPU adapter, isolation, cores). */
  environment(): Promise<WorkerEnvironment>;
  /** Release every session; the worker can then be terminated. */
  releaseAll(): Promise<void>;
}
