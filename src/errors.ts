/**
 * Typed errors. Every error inpage throws is an {@link InpageError} with a `code` and
 * structured fields; errors thrown inside a worker are rebuilt on the main thread as
 * instances of the same classes (see `wire-errors.ts`).
 */

/** Every error code inpage uses. */
export type InpageErrorCode =
  | 'MODEL_LOAD_FAILED'
  | 'BACKEND_UNAVAILABLE'
  | 'INVALID_INPUT'
  | 'INVALID_OPTIONS'
  | 'INFERENCE_FAILED'
  | 'MODEL_NOT_FOUND'
  | 'WORKER_CRASHED'
  | 'DISPOSED'
  | 'ABORTED'
  | 'QUEUE_FULL'
  | 'DEADLINE_EXCEEDED'
  | 'SUPERSEDED'
  | 'INTEGRITY_ERROR'
  | 'ASSET_ERROR';

/** Structured context an error may carry. */
export interface InpageErrorFields {
  /** The model the error concerns (its id). */
  model?: string;
  /** The input tensor (or option) that was wrong. */
  input?: string;
  /** What was expected, in words or a shape such as `[batch, 576]`. */
  expected?: string;
  /** What was given. */
  got?: string;
  /** The backend concerned. */
  backend?: string;
  /** The underlying engine or browser error's message, when this wraps one. */
  detail?: string;
}

/**
 * Base class of every inpage error.
 *
 * @example
 * try { await model.run(inputs); }
 * catch (e) { if (e instanceof InpageError && e.code === 'INVALID_INPUT') console.warn(e.input, e.expected, e.got); }
 */
export class InpageError extends Error implements InpageErrorFields {
  readonly code: InpageErrorCode;
  model?: string;
  input?: string;
  expected?: string;
  got?: string;
  backend?: string;
  detail?: string;

  constructor(code: InpageErrorCode, message: string, fields: InpageErrorFields = {}) {
    super(message);
    this.code = code;
    // Set explicitly (not `new.target.name`): minifiers rename classes.
    this.name = 'InpageError';
    if (fields.model !== undefined) this.model = fields.model;
    if (fields.input !== undefined) this.input = fields.input;
    if (fields.expected !== undefined) this.expected = fields.expected;
    if (fields.got !== undefined) this.got = fields.got;
    if (fields.backend !== undefined) this.backend = fields.backend;
    if (fields.detail !== undefined) this.detail = fields.detail;
  }

  /** The structured fields, for logging or re-serialising. */
  fields(): InpageErrorFields {
    const { model, input, expected, got, backend, detail } = this;
    return { model, input, expected, got, backend, detail };
  }
}

/** A model file could not be fetched, parsed or turned into a session. */
export class ModelLoadError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('MODEL_LOAD_FAILED', message, fields);
    this.name = 'ModelLoadError';
  }
}

/** The requested backend does not exist here, or the model cannot run on it. */
export class BackendUnavailableError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('BACKEND_UNAVAILABLE', message, fields);
    this.name = 'BackendUnavailableError';
  }
}

/** An input tensor was unknown, missing, or of the wrong dtype, rank, shape or length. Nothing ran. */
export class InvalidInputError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('INVALID_INPUT', message, fields);
    this.name = 'InvalidInputError';
  }
}

/** An option or model descriptor was malformed. Nothing was started. */
export class InvalidOptionsError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('INVALID_OPTIONS', message, fields);
    this.name = 'InvalidOptionsError';
  }
}

/** The engine failed while running valid inputs. */
export class InferenceError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('INFERENCE_FAILED', message, fields);
    this.name = 'InferenceError';
  }
}

/** A call named a model the worker does not hold (never loaded, or released). */
export class ModelNotFoundError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('MODEL_NOT_FOUND', message, fields);
    this.name = 'ModelNotFoundError';
  }
}

/** The worker died (failed to start or threw outside any call); its pending calls fail with this. */
export class WorkerCrashedError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('WORKER_CRASHED', message, fields);
    this.name = 'WorkerCrashedError';
  }
}

/** The model or runtime was disposed; create a new one. */
export class DisposedError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('DISPOSED', message, fields);
    this.name = 'DisposedError';
  }
}

/** The caller's `AbortSignal` fired; the request did not run, or stopped early. */
export class AbortedError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('ABORTED', message, fields);
    this.name = 'AbortedError';
  }
}

/** The model's queue is at `maxQueueSize`; the request was refused at once. Retry later or shed load. */
export class QueueFullError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('QUEUE_FULL', message, fields);
    this.name = 'QueueFullError';
  }
}

/** The request was still queued when its `timeoutMs` ran out; it never ran. */
export class DeadlineExceededError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('DEADLINE_EXCEEDED', message, fields);
    this.name = 'DeadlineExceededError';
  }
}

/** A newer request with the same `supersedeKey` replaced this one while it was queued. */
export class SupersededError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('SUPERSEDED', message, fields);
    this.name = 'SupersededError';
  }
}

/**
 * A downloaded model file's SHA-256 is not the one its descriptor names (`sha256`). The
 * file was not cached and not handed to an engine; `expected` and `got` are the hashes.
 */
export class IntegrityError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('INTEGRITY_ERROR', message, fields);
    this.name = 'IntegrityError';
  }
}

/**
 * A file inpage needs besides your model — ONNX Runtime's or TF.js's WASM, or the worker
 * script — is missing where the runtime looks for it, is something else (an HTML page a
 * single-page-app fallback answered with), or belongs to another inpage/engine version than
 * the code that asked for it. `input` is the URL; `expected` and `got` say what differed.
 * Serve the files with the `inpage/vite` plugin or `npx inpage assets`, or point
 * `createRuntime({ assetBaseUrl })` at them.
 */
export class AssetError extends InpageError {
  constructor(message: string, fields: InpageErrorFields = {}) {
    super('ASSET_ERROR', message, fields);
    this.name = 'AssetError';
  }
}

/** Throw {@link AbortedError} when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, model: string): void {
  if (signal?.aborted === true) throw new AbortedError(`The request to "${model}" was aborted.`, { model, detail: String(signal.reason) });
}

type ErrorClass = new (message: string, fields?: InpageErrorFields) => InpageError;

const classByCode: Record<InpageErrorCode, ErrorClass> = {
  MODEL_LOAD_FAILED: ModelLoadError,
  BACKEND_UNAVAILABLE: BackendUnavailableError,
  INVALID_INPUT: InvalidInputError,
  INVALID_OPTIONS: InvalidOptionsError,
  INFERENCE_FAILED: InferenceError,
  MODEL_NOT_FOUND: ModelNotFoundError,
  WORKER_CRASHED: WorkerCrashedError,
  DISPOSED: DisposedError,
  ABORTED: AbortedError,
  QUEUE_FULL: QueueFullError,
  DEADLINE_EXCEEDED: DeadlineExceededError,
  SUPERSEDED: SupersededError,
  INTEGRITY_ERROR: IntegrityError,
  ASSET_ERROR: AssetError,
};

const codes = new Set<string>(Object.keys(classByCode));

/** True when `value` is one of the known error codes. */
export function isInpageErrorCode(value: unknown): value is InpageErrorCode {
  return typeof value === 'string' && codes.has(value);
}

/** Build the error class instance for a code (used when rebuilding errors from a worker). */
export function errorForCode(code: InpageErrorCode, message: string, fields: InpageErrorFields = {}): InpageError {
  const ErrorType = classByCode[code];
  return new ErrorType(message, fields);
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
