import { describe, expect, it } from 'vitest';
import { contribVariant, generateContribDecoder } from '../node/generators/decoder-contrib';
import { generateLlamaDecoder, llamaVariants } from '../node/generators/decoder-llama';
import { encodeModelProto } from '../node/generators/protobuf';
import { onnxOperators } from './onnx-operators';

const small = { vocab: 64, maxPositions: 16 };

describe('onnxOperators', () => {
  it('lists contrib ops by domain and the ONNX ones by name, skipping the weights by length', () => {
    const { onnx } = generateContribDecoder({ ...contribVariant, ...small });
    const operators = onnxOperators(onnx);
    expect(operators).toContain('com.microsoft.GroupQueryAttention');
    expect(operators).toContain('com.microsoft.MatMulNBits');
    expect(operators).toContain('SimplifiedLayerNormalization');
    expect(operators).toContain('Gather');
    expect(operators).toEqual([...(operators ?? [])].sort());
    expect(new Set(operators).size).toBe(operators?.length);
  });

  it('reads the operators inside subgraphs (an If’s branches)', () => {
    const merged = llamaVariants.find((variant) => variant.cacheBranch);
    if (merged === undefined) throw new Error('no merged variant');
    const operators = onnxOperators(generateLlamaDecoder({ ...merged, ...small }).onnx);
    expect(operators).toEqual(expect.arrayContaining(['If', 'Identity', 'Slice', 'Softmax']));
    expect(operators?.some((op) => op.includes('GroupQueryAttention'))).toBe(false);
  });

  it('answers undefined for bytes that are not a ModelProto', () => {
    expect(onnxOperators(new TextEncoder().encode('<!doctype html><html></html>'))).toBeUndefined();
    expect(onnxOperators(new Uint8Array([0x3a, 0xff, 0xff, 0xff]))).toBeUndefined(); // a graph longer than the file
    expect(onnxOperators(new Uint8Array(0))).toBeUndefined();
    expect(onnxOperators(encodeModelProto({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g' } }))).toEqual([]);
  });
});
