import { describe, expect, it } from 'vitest';
import { attentionFact } from './generate-layout';

describe('attentionFact', () => {
  it('names the fused attention contrib op a graph uses, the most specific first', () => {
    expect(attentionFact(['Add', 'com.microsoft.MultiHeadAttention', 'com.microsoft.SkipLayerNormalization'], 'webgpu')).toBe('MultiHeadAttention');
    expect(attentionFact(['com.microsoft.GroupQueryAttention', 'com.microsoft.MatMulNBits'], 'wasm')).toBe('GroupQueryAttention');
    expect(attentionFact(['com.microsoft.Attention', 'Gather'], 'webgpu')).toBe('Attention');
  });

  it('says plain ops otherwise, and on WebGPU that a fused export decodes faster', () => {
    const plain = ['Add', 'Concat', 'MatMul', 'Softmax', 'com.microsoft.MatMulNBits'];
    expect(attentionFact(plain, 'wasm')).toBe('plain ops');
    expect(attentionFact(plain, 'webgpu')).toMatch(/^plain ops: ONNX Runtime Web fuses none for WebGPU/);
    expect(attentionFact(undefined, 'webgpu')).toBe('unknown');
  });
});
