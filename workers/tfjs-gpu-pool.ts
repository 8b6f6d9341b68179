/**
 * A byte budget for TF.js WebGPU's buffer pool.
 *
 * Quirk (TF.js 4.22 WebGPU): a disposed tensor's GPU buffer goes to a free pool keyed by
 * its exact size and usage, and the pool is never trimmed. A model whose shapes change
 * from call to call (USE-lite's sparse batch: every token count and batch size is another
 * shape) leaves buffers of every size it ever saw: measured on the H200, the embeddings
 * worker held 4,446 GPU buffers and 7.4 GB after filling the cache in batches of 64 texts,
 * and kept growing under the soak (bench/soak.bench.ts).
 *
 * {@link GpuPoolBudget} keeps the pool's free bytes under a budget: it notes when each
 * size was last taken from the pool, and after a run destroys the free buffers of the
 * sizes least recently taken until the free bytes are back under half the budget (so a
 * pool just over the line is not trimmed on every call). Buffers in use are never
 * touched. Only free buffers are destroyed, and only between runs, after their commands
 * were submitted: TF.js releases a buffer to the pool once its tensor is disposed and any
 * command using it was submitted, and WebGPU lets a buffer be destroyed while submitted
 * work still reads it.
 *
 * The pool's bookkeeping is TF.js-private (`freeBuffers`, `numFreeBuffers`,
 * `numBytesAllocated`): it is read through a structural check, and when it is not there
 * (another TF.js version) the budget does nothing and {@link GpuPoolBudget.stats} says so.
 */

/** Free bytes the TF.js WebGPU pool may keep per worker by default. */
export const defaultGpuPoolBudgetBytes = 256 * 2 ** 20;

/** The buffer manager's parts this module reads and writes. */
interface PoolState {
  readonly manager: object;
  readonly freeBuffers: Map<string, GPUBuffer[]>;
}

/** What the pool holds now. */
export interface GpuPoolStats {
  /** Buffers in use by tensors and free in the pool. */
  readonly usedBuffers: number;
  readonly freeBuffers: number;
  /** Bytes allocated in all of them, and in those in use. */
  readonly bytesAllocated: number;
  readonly bytesUsed: number;
  readonly budgetBytes: number;
  /** Free buffers destroyed by the budget so far. */
  readonly trimmedBuffers: number;
  /** False when this TF.js build's pool could not be read (the budget then does nothing). */
  readonly managed: boolean;
}

/** The public part of TF.js's `BufferManager` (typed in its .d.ts). */
export interface BufferManagerLike {
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  getNumUsedBuffers(): number;
  getNumFreeBuffers(): number;
  numBytesUsed: number;
  numBytesAllocated: number;
}

function isBufferArray(value: unknown): value is GPUBuffer[] {
  return Array.isArray(value) && value.every((b: unknown) => typeof b === 'object' && b !== null && 'destroy' in b && 'size' in b);
}

function poolStateOf(manager: BufferManagerLike): PoolState | undefined {
  const free: unknown = Reflect.get(manager, 'freeBuffers');
  if (!(free instanceof Map) || typeof Reflect.get(manager, 'numFreeBuffers') !== 'number') return undefined;
  for (const [key, list] of free) if (typeof key !== 'string' || !isBufferArray(list)) return undefined;
  // Checked entry by entry just above: string keys, arrays of buffers.
  return { manager, freeBuffers: free as Map<string, GPUBuffer[]> };
}

/** Keeps one TF.js WebGPU backend's free pool under a byte budget. */
export class GpuPoolBudget {
  private readonly state: PoolState | undefined;
  /** Per pool key (`${size}_${usage}`, TF.js's), when a buffer of it was last acquired. */
  private readonly lastAcquired = new Map<string, number>();
  private tick = 0;
  private trimmed = 0;

  constructor(
    private readonly manager: BufferManagerLike,
    readonly budgetBytes = defaultGpuPoolBudgetBytes,
  ) {
    this.state = poolStateOf(manager);
    if (this.state === undefined) return;
    const acquire = manager.acquireBuffer.bind(manager);
    manager.acquireBuffer = (size, usage, mappedAtCreation, reuse) => {
      this.lastAcquired.set(`${size}_${usage}`, ++this.tick);
      return acquire(size, usage, mappedAtCreation, reuse);
    };
  }

  /** Bytes in free pooled buffers. */
  get freeBytes(): number {
    return this.manager.numBytesAllocated - this.manager.numBytesUsed;
  }

  /** Destroy least recently wanted free buffers while the pool is over budget; returns how many. */
  trim(): number {
    const state = this.state;
    if (state === undefined || this.freeBytes <= this.budgetBytes) return 0;
    const target = this.budgetBytes / 2;
    const keys = [...state.freeBuffers.keys()].sort((a, b) => (this.lastAcquired.get(a) ?? 0) - (this.lastAcquired.get(b) ?? 0));
    let destroyed = 0;
    let bytes = 0;
    for (const key of keys) {
      if (this.freeBytes - bytes <= target) break;
      const list = state.freeBuffers.get(key);
      if (list === undefined || list.length === 0) continue;
      // Emptied in place, never deleted: TF.js reads an empty map as "disposed" and stops pooling.
      for (const buffer of list.splice(0)) {
        bytes += buffer.size;
        buffer.destroy();
        destroyed += 1;
      }
      this.lastAcquired.delete(key);
    }
    Reflect.set(state.manager, 'numFreeBuffers', this.manager.getNumFreeBuffers() - destroyed);
    this.manager.numBytesAllocated -= bytes;
    this.trimmed += destroyed;
    return destroyed;
  }

  stats(): GpuPoolStats {
    return {
      usedBuffers: this.manager.getNumUsedBuffers(),
      freeBuffers: this.manager.getNumFreeBuffers(),
      bytesAllocated: this.manager.numBytesAllocated,
      bytesUsed: this.manager.numBytesUsed,
      budgetBytes: this.budgetBytes,
      trimmedBuffers: this.trimmed,
      managed: this.state !== undefined,
    };
  }
}
