/**
 * inpage — in-page inference runtime.
 *
 * This file is the package's only public entry: what it exports is the public API;
 * everything else is internal and may change without notice.
 *
 * @example
 * import { createRuntime, tensor } from 'inpage';
 * const runtime = createRuntime();
 * const vad = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx' });
 * const out = await vad.run({ input: tensor('float32', [1, 576], frame), state: tensor('float32', [2, 1, 128], state), sr: tensor('int64', [], BigInt64Array.of(16000n)) });
 */

// ── Runtime and models ───────────────────────────────────────────────────────
export { createRuntime } from './runtime';
export type { ModelDescriptor, Runtime, RuntimeEnvironment, RuntimeOptions } from './runtime';
export type { DetailedRunResult, Model, RunOptions } from './model';

// ── Tensors and signatures ───────────────────────────────────────────────────
export { elementCount, tensor } from './tensor';
export type {
  Backend,
  BackendPreference,
  Dim,
  ModelFormat,
  RunTimings,
  Tensor,
  TensorDataOf,
  TensorDType,
  TensorMap,
  TensorSpec,
  TfjsGraphArtifacts,
  TfjsModelJson,
} from './protocol';

// ── Errors ───────────────────────────────────────────────────────────────────
export {
  BackendUnavailableError,
  DisposedError,
  InferenceError,
  InpageError,
  InvalidInputError,
  InvalidOptionsError,
  ModelLoadError,
  ModelNotFoundError,
  WorkerCrashedError,
} from './errors';
export type { InpageErrorCode, InpageErrorFields } from './errors';
