/**
 * The pool budget against TF.js's own BufferManager (the pinned 4.22 one, on a fake device):
 * if TF.js changes the pool's private bookkeeping, `managed` turns false and these fail.
 */
import { describe, expect, it } from 'vitest';
import { BufferManager } from '@tensorflow/tfjs-backend-webgpu/dist/buffer_manager.js';
import { GpuPoolBudget } from './tfjs-gpu-pool';

const usage = 4;

/** A device whose buffers record being destroyed. */
function fakeDevice() {
  const destroyed: number[] = [];
  const device = {
    createBuffer: ({ size, usage }: { size: number; usage: number }) => ({ size, usage, destroy: () => destroyed.push(size) }),
  };
  return { device: device as unknown as GPUDevice, destroyed }; // only createBuffer is used by BufferManager
}

describe('GpuPoolBudget on TF.js 4.22 BufferManager', () => {
  it('leaves a pool under budget alone, and trims the least recently wanted sizes to half the budget', () => {
    const { device, destroyed } = fakeDevice();
    const manager = new BufferManager(device);
    const pool = new GpuPoolBudget(manager, 1000);
    expect(pool.stats().managed).toBe(true);

    // Sizes 100, 200, 300 used and freed (in that order), then 100 again: 200 is the least recently wanted.
    const take = (size: number) => manager.acquireBuffer(size, usage);
    for (const size of [100, 200, 300]) manager.releaseBuffer(take(size));
    const held = take(400);
    manager.releaseBuffer(take(100));
    expect(pool.trim()).toBe(0); // 600 free ≤ 1000
    expect(destroyed).toEqual([]);

    manager.releaseBuffer(take(500)); // 1100 free > 1000: trimmed to ≤ 500, least recently wanted first (400 is in use)
    expect(pool.trim()).toBe(3);
    expect(destroyed).toEqual([200, 300, 100]);
    expect(pool.freeBytes).toBe(500);
    expect(pool.stats()).toMatchObject({ usedBuffers: 1, freeBuffers: 1, bytesUsed: 400, bytesAllocated: 900, trimmedBuffers: 3 });

    // The pool still works: a kept size is reused, a trimmed one created anew, the buffer in use untouched.
    const reused = take(500);
    expect(manager.getNumFreeBuffers()).toBe(0);
    const again = take(200);
    expect(manager.numBytesAllocated).toBe(1100);
    for (const b of [again, reused, held]) manager.releaseBuffer(b);
    expect(manager.getNumUsedBuffers()).toBe(0);
    expect(manager.getNumFreeBuffers()).toBe(3);
    expect(destroyed).toEqual([200, 300, 100]);
  });

  it('does nothing on a pool it cannot read', () => {
    const manager = {
      acquireBuffer: () => ({ size: 1, usage, destroy: () => undefined }) as unknown as GPUBuffer,
      getNumUsedBuffers: () => 0,
      getNumFreeBuffers: () => 0,
      numBytesUsed: 0,
      numBytesAllocated: 10_000,
    };
    const pool = new GpuPoolBudget(manager, 10);
    expect(pool.stats().managed).toBe(false);
    expect(pool.trim()).toBe(0);
  });
});
