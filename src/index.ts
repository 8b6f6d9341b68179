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
export type { Runtime, RuntimeEnvironment, RuntimeMetrics, RuntimeOptions } from './runtime';
export type { ModelDescriptor } from './model-descriptor';
export type {
  BatchAxes,
  ConcatInput,
  RaggedConcatConfig,
  RaggedConfig,
  RaggedGroupConfig,
  RaggedInput,
  RaggedOutput,
  RaggedPadConfig,
} from './batching/config';
export type { MetricsOptions } from './metrics/registry';
export { exposeMetrics } from './metrics/expose';
export type { MetricsHook, MetricsSource } from './metrics/expose';
export type { CacheEntryInfo, CacheUsage, RuntimeCache, StoreUsage } from './cache/runtime-cache';
export type { BackendTiming, BatchRunTimings, ExpectedBytes, ExpectedSha256, LoadProgress, WebGpuFacts, WorkerEnvironment } from './protocol';
export type { ProbeOptions } from './backend-probe';
export type { ReplicaOptions } from './scheduler/replicas';
export type { GenerationMetrics, MetricsSnapshot, SeriesMetrics, Stage, Summary, TokenTotals, WindowedSummary } from './metrics/types';
export type { BatchPolicy, Modality, Priority } from './scheduler/policy';
export { modalityDefaults } from './scheduler/policy';
export type { SchedulingOptions } from './tasks/task-queue';
export type { DetailedRunResult, Model, ModelSummary, RunOptions } from './model';
export { ModelSession } from './model-session';
export type { SequenceConfig, SequenceState, SessionOptions } from './model-session';
export type { ModelState, ModelStatus, RepositoryModel } from './model-repository';

// ── Tasks ────────────────────────────────────────────────────────────────────
export { PoseTask } from './tasks/pose';
export type { PoseOptions } from './tasks/pose';
export { keypointNames } from './tasks/keypoints';
export { OcrTask } from './tasks/ocr';
export type { DetailedOcrResult, OcrOptions } from './tasks/ocr';
export { cosineSimilarity, EmbeddingTask } from './tasks/embeddings';
export type { DetailedEmbeddings, EmbeddingOptions } from './tasks/embeddings';
export { TextGenerator } from './tasks/generation';
export type { GenerateOptions, GeneratedToken, GenerationStats, TextGeneration, TextGenerationOptions } from './tasks/generation';
export { ModelTask } from './tasks/model-task';
export { VadStream, VadTask, vadFrameMs } from './tasks/vad';
export type { VadDetection, VadOptions, VadStreamOptions } from './tasks/vad';
export { segmentsOf, SpeechSegmenter } from './tasks/speech-segmenter';
export type { SegmenterOptions, SpeechSegment, VadEvent } from './tasks/speech-segmenter';
export type { AudioInput, PcmAudio } from './tasks/audio-input';
export type { ImageInput } from './tasks/image-input';
export type { CallOptions, TaskOptions } from './tasks/loaded-task';
export type { TaskSummary } from './tasks/replicated-task';
export type { Keypoint, KeypointName, OcrLine, OcrResult, Point, PoseResult, StageTimings, TaskKind } from './protocol';

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

// ── Caches ───────────────────────────────────────────────────────────────────
export type { CacheOptions, EmbeddingCacheConfig } from './cache/config';
export type { CacheEvent, CacheName } from './cache/events';
export type { EmbeddingCache, CachedEmbedding } from './cache/embedding-cache';
export type { CachedCompletion, PromptEmbedder, SemanticCache, SemanticCacheOptions, SemanticCacheStats, SemanticHit } from './cache/semantic-cache';
export type { CacheMetrics } from './metrics/types';

// ── Errors ───────────────────────────────────────────────────────────────────
export {
  AbortedError,
  AssetError,
  BackendUnavailableError,
  DeadlineExceededError,
  QueueFullError,
  SupersededError,
  DisposedError,
  InferenceError,
  InpageError,
  IntegrityError,
  InvalidInputError,
  InvalidOptionsError,
  ModelLoadError,
  ModelNotFoundError,
  WorkerCrashedError,
} from './errors';
export type { InpageErrorCode, InpageErrorFields } from './errors';

// ── Object detection (a task written with the public API above) ──────────────
export { cocoLabels, loadObjectDetection, ObjectDetectionTask } from './tasks/detection';
export type {
  CocoLabel,
  DetectedObject,
  DetectionImage,
  DetectionSettings,
  DetectionTimings,
  DetectOptions,
  ObjectDetectionOptions,
  ObjectDetectionResult,
  PixelBox,
} from './tasks/detection';
