import { describe, expect, it } from 'vitest';
import type { BackendTiming, TensorSpec } from '../src/protocol';
import { chooseBackend, describeFeeds, median, probeFeeds } from './backend-choice';

const vad: TensorSpec[] = [
  { name: 'input', dtype: 'float32', shape: ['batch', 576] },
  { name: 'state', dtype: 'float32', shape: [2, 'batch', 128] },
  { name: 'sr', dtype: 'int64', shape: [] },
];

describe('probeFeeds', () => {
  it('puts the batch on each input’s batch axis and fills what it is told', () => {
    const feeds = probeFeeds(vad, { batchSizes: [1, 32], batchAxes: { input: 0, state: 1, sr: null }, fill: { sr: 16000 } }, 32);
    if (typeof feeds === 'string') throw new Error(feeds);
    expect(describeFeeds(feeds)).toBe('input [32, 576], state [2, 32, 128], sr []');
    expect(feeds.sr?.data).toEqual(BigInt64Array.of(16000n));
    expect(feeds.input?.data.every((v) => v === 0)).toBe(true);
  });

  it('without batch axes batches a free first dimension, sizes named dims and sets other free dims to 1', () => {
    const specs: TensorSpec[] = [
      { name: 'x', dtype: 'float32', shape: [null, 3, 'height', 'width'] },
      { name: 'ids', dtype: 'int32', shape: [4, null] },
    ];
    const feeds = probeFeeds(specs, { batchSizes: [8], dims: { height: 64, width: 48 } }, 8);
    if (typeof feeds === 'string') throw new Error(feeds);
    expect(describeFeeds(feeds)).toBe('x [8, 3, 64, 48], ids [4, 1]');
    expect(feeds.x?.data.length).toBe(8 * 3 * 64 * 48);
  });

  it('says why when an input has no declared shape', () => {
    expect(probeFeeds([{ name: 'x', dtype: 'float32', shape: null }], { batchSizes: [1] }, 1)).toMatch(/input "x" declares no shape/);
  });
});

describe('chooseBackend', () => {
  const timings = (gpu: readonly number[], cpu: readonly number[]): BackendTiming[] =>
    [1, 32].flatMap((batchSize, i) => [
      { backend: 'webgpu' as const, batchSize, ms: gpu[i] ?? NaN },
      { backend: 'wasm' as const, batchSize, ms: cpu[i] ?? NaN },
    ]);

  it('picks WASM for a model whose GPU calls cost a flat 20 ms (VAD on the H200)', () => {
    const choice = chooseBackend(timings([20, 26], [1.6, 6]), 'nvidia NVIDIA H200');
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toBe(
      'auto: measured at load, wasm 6.1× faster (webgpu on nvidia NVIDIA H200: 20 ms at batch 1, 26 ms at batch 32; wasm: 1.6 ms at batch 1, 6.0 ms at batch 32)',
    );
  });

  it('picks WebGPU when the sum over the batch sizes is lower there, even if batch 1 is slower', () => {
    const choice = chooseBackend(timings([12, 30], [10, 300]), 'nvidia');
    expect(choice.backend).toBe('webgpu');
    expect(choice.reason).toMatch(/^auto: measured at load, webgpu 7\.4× faster/);
  });
});

describe('median', () => {
  it('takes the middle of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
