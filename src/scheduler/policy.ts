/**
 * Batching and queueing policy per model, with modality defaults. Every option can be
 * overridden per model; invalid values fail at once with an exact message.
 */
import { describeConfigValue } from '../batching/config-checks';
import { InvalidOptionsError } from '../errors';
import type { Priority } from '../protocol';

export type { Priority };

/** Rank of each priority (lower runs first). */
export const priorityRank: Record<Priority, number> = { realtime: 0, interactive: 1, background: 2 };

/** The modalities inpage schedules differently. */
export type Modality = 'image' | 'text' | 'audio';

/** How one model's requests are queued and batched. */
export interface BatchPolicy {
  /** Most units (frames, crops, texts) in one engine call. */
  readonly maxBatchSize: number;
  /** Longest the oldest queued request waits for a fuller batch, ms. */
  readonly maxQueueDelayMs: number;
  /** Batch sizes the model runs best at; a batch is cut to the largest that fits. Empty: any size. */
  readonly preferredBatchSizes: readonly number[];
  /** Most requests waiting; past it, new requests fail at once with `QUEUE_FULL`. */
  readonly maxQueueSize: number;
  /** Learn service time per batch size and pick sizes that raise throughput within this p95, ms. 0 = off. */
  readonly targetP95Ms: number;
  /** Priority of requests that name none. */
  readonly defaultPriority: Priority;
  /** Deadline of requests that name none, ms; 0 = none. */
  readonly defaultTimeoutMs: number;
  /** A queued request moves up one priority class per this much waiting, ms (no starvation). */
  readonly agingMs: number;
  /** Batches in flight per replica (2 keeps a worker busy across the round trip). */
  readonly maxInFlightPerReplica: number;
  /**
   * A replica still running a batch is sent its next (non-full) batch this long before it
   * is expected to be free (plus 10% of its mean service time), so the batch grows meanwhile
   * instead of waiting in the worker. 0 = only just in time.
   */
  readonly pipelineLeadMs: number;
}

/**
 * Defaults per modality, and why:
 * - image: people wait on it (a click, a camera frame): small-to-medium batches, short
 *   delay, `interactive` priority.
 * - text: embeddings and indexing arrive in bursts and are rarely on screen at once:
 *   large batches that may queue longer, `background` unless asked.
 * - audio: frames are useless once late (a VAD frame covers 32 ms): medium batches, a
 *   very short delay, `realtime` priority and a deadline.
 */
export const modalityDefaults: Record<Modality, BatchPolicy> = {
  image: {
    maxBatchSize: 8,
    maxQueueDelayMs: 4,
    preferredBatchSizes: [],
    maxQueueSize: 256,
    targetP95Ms: 0,
    defaultPriority: 'interactive',
    defaultTimeoutMs: 0,
    agingMs: 1000,
    maxInFlightPerReplica: 2,
    pipelineLeadMs: 2,
  },
  text: {
    maxBatchSize: 64,
    maxQueueDelayMs: 10,
    preferredBatchSizes: [],
    maxQueueSize: 4096,
    targetP95Ms: 0,
    defaultPriority: 'background',
    defaultTimeoutMs: 0,
    agingMs: 2000,
    maxInFlightPerReplica: 2,
    pipelineLeadMs: 2,
  },
  audio: {
    maxBatchSize: 32,
    maxQueueDelayMs: 2,
    preferredBatchSizes: [],
    maxQueueSize: 1024,
    targetP95Ms: 0,
    defaultPriority: 'realtime',
    defaultTimeoutMs: 500,
    agingMs: 500,
    maxInFlightPerReplica: 2,
    pipelineLeadMs: 2,
  },
};

function integerAtLeast(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidOptionsError(`Expected \`${name}\` to be an integer from ${min} and up, got ${String(value)}.`, {
      input: name,
      expected: `integer ≥ ${min}`,
      got: String(value),
    });
  }
}

function numberAtLeast(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionsError(`Expected \`${name}\` to be a number from ${min} and up, got ${String(value)}.`, {
      input: name,
      expected: `number ≥ ${min}`,
      got: String(value),
    });
  }
}

const policyKeys: ReadonlySet<string> = new Set(Object.keys(modalityDefaults.image));

/**
 * Throw `INVALID_OPTIONS` unless `overrides` is an object whose keys are batching settings:
 * a typo such as `{ maxBatch: 4 }` is refused, never silently ignored.
 */
export function checkPolicyOverrides(overrides: unknown): asserts overrides is Partial<BatchPolicy> {
  const bad = (input: string, expected: string, got: string): never => {
    throw new InvalidOptionsError(`Expected \`${input}\` to be ${expected}, got ${got}.`, { input, expected, got });
  };
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) bad('batching', 'an object', describeConfigValue(overrides));
  for (const [key, value] of Object.entries(overrides as object))
    if (value !== undefined && !policyKeys.has(key)) bad(key, `one of ${[...policyKeys].join(', ')}`, key);
  const preferred: unknown = Reflect.get(overrides as object, 'preferredBatchSizes');
  if (preferred !== undefined && !Array.isArray(preferred)) bad('preferredBatchSizes', 'an array', describeConfigValue(preferred));
}

/** Merge `overrides` into the modality's defaults and validate the result. */
export function resolvePolicy(modality: Modality, overrides: Partial<BatchPolicy> = {}): BatchPolicy {
  checkPolicyOverrides(overrides);
  const policy: BatchPolicy = { ...modalityDefaults[modality], ...overrides };
  integerAtLeast('maxBatchSize', policy.maxBatchSize, 1);
  numberAtLeast('maxQueueDelayMs', policy.maxQueueDelayMs, 0);
  integerAtLeast('maxQueueSize', policy.maxQueueSize, 1);
  numberAtLeast('targetP95Ms', policy.targetP95Ms, 0);
  numberAtLeast('defaultTimeoutMs', policy.defaultTimeoutMs, 0);
  numberAtLeast('agingMs', policy.agingMs, 1);
  integerAtLeast('maxInFlightPerReplica', policy.maxInFlightPerReplica, 1);
  numberAtLeast('pipelineLeadMs', policy.pipelineLeadMs, 0);
  if (!(policy.defaultPriority in priorityRank)) {
    throw new InvalidOptionsError(`Expected \`defaultPriority\` to be realtime | interactive | background, got ${String(policy.defaultPriority)}.`, {
      input: 'defaultPriority',
      expected: 'realtime | interactive | background',
      got: String(policy.defaultPriority),
    });
  }
  for (const size of policy.preferredBatchSizes) {
    integerAtLeast('preferredBatchSizes[]', size, 1);
    if (size > policy.maxBatchSize) {
      throw new InvalidOptionsError(`Preferred batch size ${size} exceeds maxBatchSize ${policy.maxBatchSize}.`, {
        input: 'preferredBatchSizes',
        expected: `≤ ${policy.maxBatchSize}`,
        got: String(size),
      });
    }
  }
  return { ...policy, preferredBatchSizes: [...policy.preferredBatchSizes].sort((a, b) => a - b) };
}
