import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { AttributeType, ProtoWriter, TensorDataType, encodeModelProto } from './protobuf.js';
import type { ModelProto } from './protobuf.js';

const { onnx } = onnxProto;

/** What protobufjs (through onnx-proto, the schema the script used) writes for the same message. */
function protobufjsBytes(model: ModelProto): Uint8Array {
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(model as onnxProto.onnx.IModelProto)).finish();
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

describe('ProtoWriter', () => {
  it('writes varints: multi-byte, 2^53 - 1, and negatives as 10-byte two’s complement', () => {
    expect([...new ProtoWriter().varint(300).finish()]).toEqual([0xac, 0x02]);
    expect([...new ProtoWriter().varint(0).finish()]).toEqual([0]);
    expect([...new ProtoWriter().varint(Number.MAX_SAFE_INTEGER).finish()]).toEqual([255, 255, 255, 255, 255, 255, 255, 15]);
    expect([...new ProtoWriter().varint(-1).finish()]).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
    expect([...new ProtoWriter().varint(-2).finish()]).toEqual([254, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
  });

  it('refuses values it cannot write exactly', () => {
    expect(() => new ProtoWriter().varint(1.5)).toThrow(/safe integer/);
    expect(() => new ProtoWriter().varint(2 ** 60)).toThrow(/safe integer/);
    expect(() => new ProtoWriter().string(0, 'x')).toThrow(/field number 0/);
  });

  it('writes keys, strings, floats and nested messages with their lengths', () => {
    const writer = new ProtoWriter()
      .string(1, 'x')
      .float(2, 1)
      .message(3, (child) => child.int64(1, 150));
    expect([...writer.finish()]).toEqual([10, 1, 120, 21, 0, 0, 0x80, 0x3f, 26, 3, 8, 0x96, 0x01]);
    expect(writer.length).toBe(13);
  });

  it('keeps large payloads by reference and still returns one contiguous copy', () => {
    const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
    const writer = new ProtoWriter().string(1, 'head').bytes(2, big).string(3, 'tail');
    const out = writer.finish();
    expect(out.length).toBe(writer.length);
    expect(out.length).toBe(6 + 1 + 3 + big.length + 6);
    expect(Buffer.from(out.subarray(10, 10 + big.length)).equals(big)).toBe(true);
    expect(out.buffer).not.toBe(big.buffer);
  });
});

describe('encodeModelProto', () => {
  it('matches its doc example', () => {
    const bytes = encodeModelProto({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g' } });
    expect([...bytes]).toEqual([8, 8, 58, 3, 18, 1, 103, 66, 4, 10, 0, 16, 17]);
  });

  it('writes every field it supports exactly as protobufjs does', () => {
    const raw = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
    const model: ModelProto = {
      irVersion: 8,
      producerName: 'prodücer ✓ 𝄞',
      producerVersion: '',
      domain: 'ai.inpage',
      modelVersion: 2 ** 40,
      docString: 'a'.repeat(300),
      opsetImport: [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
      graph: {
        name: 'all_fields',
        docString: 'graph doc',
        node: [
          {
            input: ['a', ''],
            output: ['b'],
            name: 'n0',
            opType: 'Custom',
            domain: 'com.microsoft',
            docString: 'node doc',
            attribute: [
              { name: 'axis', type: AttributeType.INT, i: -1 },
              { name: 'zero', type: AttributeType.INT, i: 0 },
              { name: 'eps', type: AttributeType.FLOAT, f: 1e-5 },
              { name: 'neg', type: AttributeType.FLOAT, f: -3.25 },
              { name: 'perm', type: AttributeType.INTS, ints: [0, 2, -1, 2 ** 35] },
              { name: 'scales', type: AttributeType.FLOATS, floats: [0.5, -0, 1e30] },
              { name: 's', type: AttributeType.STRING, s: new Uint8Array([1, 2, 3]), docString: 'attr doc' },
              { name: 'ss', type: AttributeType.STRINGS, strings: [new Uint8Array([9]), new Uint8Array(0)] },
              { name: 't', type: AttributeType.TENSOR, t: { name: 'c', dims: [2], dataType: TensorDataType.INT64, int64Data: [-5, 7] } },
            ],
          },
          { input: [], output: ['c'], opType: 'Constant', attribute: [] },
        ],
        initializer: [
          { name: 'raw', dims: [10, 25, 4], dataType: TensorDataType.FLOAT, rawData: raw, docString: 'init doc' },
          { name: 'scalar', dims: [], dataType: TensorDataType.FLOAT, rawData: new Uint8Array([0, 0, 128, 63]) },
          { name: 'f', dims: [3], dataType: TensorDataType.FLOAT, floatData: [1.5, -2, 3e-8] },
          { name: 'i32', dims: [3], dataType: TensorDataType.INT32, int32Data: [-1, 0, 2 ** 31 - 1] },
          { name: 'empty', dims: [0], dataType: TensorDataType.INT64, int64Data: [] },
        ],
        input: [
          {
            name: 'a',
            docString: 'in',
            type: {
              denotation: 'TENSOR',
              tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 0 }, { dimValue: 2 ** 33, denotation: 'X' }] } },
            },
          },
        ],
        output: [{ name: 'b', type: { tensorType: { elemType: 7, shape: {} } } }, { name: 'd', type: { tensorType: { elemType: 7 } } }, { name: 'e' }],
        valueInfo: [{ name: 'c', type: { tensorType: { elemType: 7, shape: { dim: [{ dimValue: 2 }] } } } }],
      },
    };
    const ours = encodeModelProto(model);
    expect(ours).toEqual(protobufjsBytes(model));
    // And it reads back: the round trip keeps what protobufjs sees.
    const decoded = onnx.ModelProto.toObject(onnx.ModelProto.decode(ours), { longs: String }) as ModelProto;
    expect(decoded.producerName).toBe('prodücer ✓ 𝄞');
    expect(decoded.graph?.node?.[0]?.attribute?.[0]?.i).toBe('-1');
    expect(decoded.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[2]?.dimValue).toBe(String(2 ** 33));
  });

  it('writes an empty model as no bytes, as protobufjs does', () => {
    expect(encodeModelProto({}).length).toBe(0);
    expect(protobufjsBytes({}).length).toBe(0);
  });
});

describe('node/generators', () => {
  it('imports no protobuf runtime outside tests', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const sources = readdirSync(dir).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
    expect(sources).toEqual(expect.arrayContaining(['protobuf.ts', 'decoder.ts', 'use-uint8.ts']));
    for (const file of sources) expect(readFileSync(join(dir, file), 'utf8')).not.toMatch(/from ['"](onnx-proto|protobufjs)|require\(/);
  });
});
