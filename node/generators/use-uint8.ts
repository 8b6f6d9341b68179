/**
 * Re-pack Universal Sentence Encoder lite's float32 TF.js weights as uint8, 4× smaller, in
 * a format TF.js loads unchanged (ported from `scripts/pack-use-uint8.mjs`; the bytes are
 * identical). Each float32 tensor gets a `quantization` entry in the weight manifest,
 * `{ dtype: 'uint8', scale, min }`, and TF.js dequantises it on load as
 *   value = q * scale + min.
 * The range is the tensor's own [min, max], "nudged" (as the TF.js converter does) so
 * that 0.0 is exactly representable when it lies in the range; a constant tensor is
 * stored as zeros with min = the constant, so it comes back exact. Non-float weights
 * (int32 shape constants) are copied as they are. Output shards are 4 MiB, the TF.js
 * converter's default.
 *
 * Pure: the caller reads `model.json` and its shards and writes the returned files.
 */

/** The TF.js converter's default shard size. */
const SHARD_BYTES = 4 * 1024 * 1024;
const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/** One weight of a TF.js weight manifest (only the keys this module reads are typed). */
interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
  [key: string]: unknown;
}

/** One group of a TF.js weight manifest. */
interface WeightGroup {
  paths: string[];
  weights: WeightSpec[];
}

/** The `quantization` entry TF.js reads for a uint8 weight. */
interface Uint8Quantization {
  dtype: 'uint8';
  scale: number;
  min: number;
}

/** One output file: its name in the model's folder and its bytes. */
export interface PackedFile {
  /** `model.json` or a shard name such as `group1-shard1of2`. */
  name: string;
  /** The file's contents. Shards may be views of one shared buffer. */
  bytes: Uint8Array;
}

function fail(message: string): never {
  throw new Error(`packUseUint8: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Check that `modelJson.weightsManifest` is a TF.js weight manifest; return its groups. */
function manifestOf(modelJson: object): WeightGroup[] {
  const manifest = (modelJson as Record<string, unknown>).weightsManifest;
  if (!Array.isArray(manifest)) fail('model.json has no weightsManifest array; is it a TF.js graph model?');
  return manifest.map((group: unknown, g): WeightGroup => {
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) fail(`weightsManifest[${g}] needs a paths array and a weights array`);
    const paths = group.paths as unknown[];
    if (!paths.every((p): p is string => typeof p === 'string')) fail(`weightsManifest[${g}].paths must hold file names`);
    const weights = (group.weights as unknown[]).map((spec, w): WeightSpec => {
      if (
        !isRecord(spec) ||
        typeof spec.name !== 'string' ||
        typeof spec.dtype !== 'string' ||
        !Array.isArray(spec.shape) ||
        !spec.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)
      )
        fail(`weightsManifest[${g}].weights[${w}] needs a name, a dtype and a shape of non-negative integers`);
      return spec as WeightSpec;
    });
    return { paths, weights };
  });
}

/** Affine uint8 parameters for values in [lo, hi], zero exactly representable when covered. */
function affineRange(lo: number, hi: number): { scale: number; min: number } {
  if (lo === hi) return { scale: 1, min: lo };
  const scale = (hi - lo) / 255;
  if (lo <= 0 && hi >= 0) return { scale, min: -Math.round(-lo / scale) * scale };
  return { scale, min: lo };
}

/** Quantise a float32 tensor to uint8; returns the bytes and the manifest's quantization entry. */
function quantize(name: string, values: Float32Array): { bytes: Uint8Array; quantization: Uint8Quantization } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) fail(`weight ${name} holds ${v}; cannot quantise non-finite values`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const { scale, min } = affineRange(lo, hi);
  const q = new Uint8Array(values.length);
  if (lo !== hi) for (let i = 0; i < values.length; i++) q[i] = Math.min(255, Math.max(0, Math.round(((values[i] as number) - min) / scale)));
  return { bytes: q, quantization: { dtype: 'uint8', scale, min } };
}

function concat(arrays: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(arrays.reduce((sum, a) => sum + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

/**
 * Re-pack a float32 TF.js graph model's weights as uint8.
 *
 * `shards` are the files of `modelJson.weightsManifest[*].paths`, in that order (every
 * group's, flattened). Returns the new `model.json` object (the input's keys, with one
 * weight group whose float32 weights carry `quantization`) and the files to write: the
 * shards `group1-shard{i}of{n}`, then `model.json` as `JSON.stringify(modelJson)`. Throws
 * an `Error` on a manifest that does not match its shards, an already quantised weight, an
 * unknown dtype or a non-finite value.
 *
 * @example
 * const { files } = packUseUint8(JSON.parse(await readFile('fp32/model.json', 'utf8')), shards);
 * // files: group1-shard1of2 (4 MiB), group1-shard2of2, model.json — 6.8 MiB instead of 26.8
 */
export function packUseUint8(modelJson: object, shards: Uint8Array[]): { modelJson: object; files: PackedFile[] } {
  const groups = manifestOf(modelJson);
  const expectedShards = groups.reduce((sum, group) => sum + group.paths.length, 0);
  if (shards.length !== expectedShards) fail(`the manifest lists ${expectedShards} shard files but ${shards.length} were given`);

  // The fp32 weights: every group's shards, concatenated in manifest order.
  const weights: { spec: WeightSpec; bytes: Uint8Array }[] = [];
  let nextShard = 0;
  for (const group of groups) {
    const data = concat(shards.slice(nextShard, nextShard + group.paths.length));
    nextShard += group.paths.length;
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.quantization !== undefined) fail(`weight ${spec.name} is already quantised`);
      const perElement = BYTES_PER_ELEMENT[spec.dtype];
      if (perElement === undefined) fail(`weight ${spec.name} has dtype ${spec.dtype}, which packUseUint8 does not know`);
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const byteLength = count * perElement;
      if (offset + byteLength > data.length) fail(`weight ${spec.name} runs past the end of its shards`);
      const raw = data.subarray(offset, offset + byteLength);
      offset += byteLength;
      if (spec.dtype === 'float32') {
        // Copy unless aligned: a Float32Array view needs a 4-byte-aligned offset.
        const values = raw.byteOffset % 4 === 0 ? new Float32Array(data.buffer, raw.byteOffset, count) : new Float32Array(raw.slice().buffer);
        const { bytes, quantization } = quantize(spec.name, values);
        weights.push({ spec: { ...spec, quantization }, bytes });
      } else {
        weights.push({ spec, bytes: raw });
      }
    }
    if (offset !== data.length) fail(`the manifest describes ${offset} bytes but the shards hold ${data.length}`);
  }

  const packed = concat(weights.map((w) => w.bytes));
  const shardCount = Math.max(1, Math.ceil(packed.length / SHARD_BYTES));
  const paths = Array.from({ length: shardCount }, (_, i) => `group1-shard${i + 1}of${shardCount}`);
  const target = { ...modelJson, weightsManifest: [{ paths, weights: weights.map((w) => w.spec) }] };
  const files: PackedFile[] = paths.map((name, i) => ({ name, bytes: packed.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES) }));
  files.push({ name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(target)) });
  return { modelJson: target, files };
}
