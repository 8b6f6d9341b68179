import { describe, expect, it } from 'vitest';
import manifest from '../src/model-manifest.json';
import { ortFileOfBuild } from './engine-files';
import { buildFor } from './ort-builds';

describe("ONNX Runtime Web's two builds", () => {
  it('WebGPU sessions run on the JSEP build, WASM sessions on the CPU-only build', () => {
    expect(buildFor('webgpu')).toBe('jsep');
    expect(buildFor('wasm')).toBe('cpu');
  });

  it("the manifest lists each build's loader and WASM, and every ORT file belongs to exactly one build", () => {
    const paths = manifest.engines.ort.files.map((f) => f.path);
    expect(paths.filter((p) => ortFileOfBuild(p, 'jsep'))).toEqual(['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm']);
    expect(paths.filter((p) => ortFileOfBuild(p, 'cpu'))).toEqual(['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']);
    for (const path of paths) expect([ortFileOfBuild(path, 'jsep'), ortFileOfBuild(path, 'cpu')].filter(Boolean), path).toHaveLength(1);
  });

  it('other builds’ files (JSPI, asyncify) belong to neither', () => {
    for (const path of ['ort-wasm-simd-threaded.jspi.wasm', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.wasm.map'])
      expect([ortFileOfBuild(path, 'jsep'), ortFileOfBuild(path, 'cpu')], path).toEqual([false, false]);
  });
});
