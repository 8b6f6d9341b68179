/**
 * What `backend: 'auto'` runs when it times an ONNX model on both backends at load: the
 * batch sizes the model will see (from its scheduling config), and the user's hints for
 * synthetic inputs (named dimension sizes, fill values). See `workers/ort-backend.ts`.
 */
import { InvalidOptionsError } from './errors';
import type { ModelDescriptor } from './model-descriptor';
import type { BackendProbe } from './protocol';
import { modalityDefaults } from './scheduler/policy';
import { describeValue } from './tensor';

/**
 * Hints for timing a model on each backend (`ModelDescriptor.probe`): synthetic inputs
 * take the signature's shapes, free dimensions 1 unless named here, zeros unless filled.
 * @example { dims: { height: 640, width: 640 } } // an image model with free height and width
 * @example { fill: { sr: 16000 } } // Silero VAD: the sample rate input must be a real rate
 */
export interface ProbeOptions {
  /** Sizes of named dimensions (from the graph or `shapes`). */
  readonly dims?: Readonly<Record<string, number>>;
  /** The value every element of an input holds, by input name. @default 0 */
  readonly fill?: Readonly<Record<string, number>>;
}

function checkRecord(field: string, record: unknown, valid: (value: unknown) => boolean, expected: string): void {
  if (record === undefined) return;
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    throw new InvalidOptionsError(`\`${field}\` must be an object by name.`, {
      input: field,
      expected: 'object',
      got: describeValue(record),
    });
  for (const [name, value] of Object.entries(record))
    if (!valid(value))
      throw new InvalidOptionsError(`Expected \`${field}.${name}\` to be ${expected}, got ${String(value)}.`, {
        input: `${field}.${name}`,
        expected,
        got: String(value),
      });
}

/** Throw `INVALID_OPTIONS` for a malformed `probe` (before anything loads). */
export function checkProbe(probe: ProbeOptions | undefined): void {
  if (probe === undefined) return;
  if (typeof probe !== 'object' || probe === null)
    throw new InvalidOptionsError('`probe` must be an object: { dims?, fill? }.', { input: 'probe', expected: 'object', got: String(probe) });
  checkRecord('probe.dims', probe.dims, (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65_536, 'an integer from 1 to 65536');
  checkRecord('probe.fill', probe.fill, (v) => typeof v === 'number' && Number.isFinite(v), 'a finite number');
}

/** The probe a load sends: batch 1, and the largest batch when the model batches. */
export function backendProbe(descriptor: ModelDescriptor, batches: boolean): BackendProbe {
  const largest = descriptor.batching?.maxBatchSize ?? modalityDefaults[descriptor.modality ?? 'image'].maxBatchSize;
  const batchSizes = batches && largest > 1 ? [1, largest] : [1];
  return {
    batchSizes,
    ...(descriptor.batchAxes === undefined ? {} : { batchAxes: descriptor.batchAxes }),
    ...(descriptor.probe?.dims === undefined ? {} : { dims: descriptor.probe.dims }),
    ...(descriptor.probe?.fill === undefined ? {} : { fill: descriptor.probe.fill }),
  };
}
