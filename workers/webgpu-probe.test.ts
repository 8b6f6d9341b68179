import { describe, expect, it } from 'vitest';
import { isSoftware } from './webgpu-probe';

const info = (fields: Partial<GPUAdapterInfo>): GPUAdapterInfo => ({ vendor: '', architecture: '', device: '', description: '', ...fields }) as GPUAdapterInfo; // a test double: only the fields isSoftware reads

describe('isSoftware', () => {
  it('knows SwiftShader by name even when it does not say it is a fallback adapter', () => {
    expect(isSoftware({ info: info({ vendor: 'google', architecture: 'swiftshader' }) })).toBe(true);
    expect(isSoftware({ info: info({ description: 'SwiftShader Device (Subzero)' }) })).toBe(true);
  });

  it('believes isFallbackAdapter on the info or the adapter', () => {
    expect(isSoftware({ info: info({ vendor: 'acme', isFallbackAdapter: true }) })).toBe(true);
    expect(isSoftware({ info: info({ vendor: 'acme' }), isFallbackAdapter: true })).toBe(true);
  });

  it('takes a real GPU for hardware', () => {
    expect(isSoftware({ info: info({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }) })).toBe(false);
  });
});
