/**
 * The in-memory tier of the KV prefix cache: an LRU of blocks under a byte budget.
 * A `Map` keeps insertion order, so re-inserting on use makes its first key the least
 * recently used.
 */

/** Byte-budgeted LRU of `Float32Array` blocks by key. */
export class BlockLru {
  private readonly entries = new Map<string, Float32Array>();
  private total = 0;

  /**
   * @param budgetBytes bytes the blocks may take together
   * @param onEvict told about every block dropped for room
   */
  constructor(
    readonly budgetBytes: number,
    private readonly onEvict: (key: string, bytes: number) => void = () => undefined,
  ) {}

  /** Bytes held. */
  get bytes(): number {
    return this.total;
  }

  /** Blocks held. */
  get size(): number {
    return this.entries.size;
  }

  /** Whether `key` is held (does not mark it used). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The block under `key`, marked most recently used. */
  get(key: string): Float32Array | undefined {
    const block = this.entries.get(key);
    if (block === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, block);
    return block;
  }

  /**
   * Keep `block` under `key` as the most recently used, evicting the least recently
   * used blocks until it fits. Returns false (keeping nothing) when it alone exceeds
   * the budget.
   */
  set(key: string, block: Float32Array): boolean {
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.entries.delete(key);
      this.total -= previous.byteLength;
    }
    if (block.byteLength > this.budgetBytes) return false;
    for (const [oldest, value] of this.entries) {
      if (this.total + block.byteLength <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.total -= value.byteLength;
      this.onEvict(oldest, value.byteLength);
    }
    this.entries.set(key, block);
    this.total += block.byteLength;
    return true;
  }

  /** Drop everything. */
  clear(): void {
    this.entries.clear();
    this.total = 0;
  }
}
