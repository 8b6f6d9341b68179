/**
 * Adaptive batch sizing. Measures service time per batch size (power-of-two buckets, an
 * exponentially weighted mean) on the device it runs on, and picks the size with the
 * lowest cost per unit among those whose service time keeps the latency target. If
 * larger batches do not lower the cost per unit (batching does not pay on this
 * model/backend), it picks the smallest size, so requests are not held back to fill
 * batches for nothing. Every `exploreEvery` batches it allows a larger size once, so a
 * changed device or load is noticed.
 */

const smoothing = 0.2;
/** A larger size must be at least this much cheaper per unit to be preferred. */
const minGain = 0.05;

/** Learns service time per batch size and picks a target size. */
export class BatchSizer {
  private readonly serviceMs = new Map<number, number>();
  private readonly samples = new Map<number, number>();
  private batches = 0;

  constructor(
    private readonly maxBatchSize: number,
    /** Latency target for one batch's service, ms; 0 = no target (throughput only). */
    private readonly targetP95Ms: number,
    private readonly exploreEvery = 50,
  ) {}

  private bucket(size: number): number {
    return Math.min(this.maxBatchSize, 2 ** Math.round(Math.log2(Math.max(1, size))));
  }

  /** Record that a batch of `size` units took `ms` to serve. */
  record(size: number, ms: number): void {
    const bucket = this.bucket(size);
    const perBucket = ms * (bucket / Math.max(1, size));
    const previous = this.serviceMs.get(bucket);
    this.serviceMs.set(bucket, previous === undefined ? perBucket : previous + smoothing * (perBucket - previous));
    this.samples.set(bucket, (this.samples.get(bucket) ?? 0) + 1);
    this.batches += 1;
  }

  /** Measured mean service time of a batch of about `size` units, if known. */
  serviceTime(size: number): number | undefined {
    return this.serviceMs.get(this.bucket(size));
  }

  /** Mean service time across sizes, weighted to the most used; for routing estimates. */
  typicalServiceMs(): number | undefined {
    let best: number | undefined;
    let mostSamples = 0;
    for (const [bucket, n] of this.samples) {
      if (n > mostSamples) {
        mostSamples = n;
        best = this.serviceMs.get(bucket);
      }
    }
    return best;
  }

  /**
   * The most units one batch may take of what is already waiting. Without a latency target,
   * the maximum: cutting a batch of waiting requests would only make the rest wait for the
   * next engine call (the smaller target decides only how long to wait for more). With
   * one, the size {@link target} picks within it.
   */
  cap(): number {
    return this.targetP95Ms === 0 ? this.maxBatchSize : this.target();
  }

  /** The batch size to aim for now: a batch this full goes without waiting. */
  target(): number {
    const measured = [...this.serviceMs.entries()].filter(([bucket]) => (this.samples.get(bucket) ?? 0) >= 2);
    // Until two sizes are known, let batches form naturally up to the maximum.
    if (measured.length < 2) return this.maxBatchSize;
    const withinTarget = measured.filter(([, ms]) => this.targetP95Ms === 0 || ms <= this.targetP95Ms / 2);
    const candidates = withinTarget.length > 0 ? withinTarget : [measured.sort((a, b) => a[1] - b[1])[0] ?? [1, 0]];
    candidates.sort((a, b) => a[0] - b[0]);
    let best = candidates[0] ?? [1, 0];
    for (const candidate of candidates) {
      const [size, ms] = candidate;
      const [bestSize, bestMs] = best;
      if (ms / size < (bestMs / bestSize) * (1 - minGain)) best = candidate;
    }
    const [size] = best;
    // Explore: now and then allow the next size up to re-measure it.
    if (this.exploreEvery > 0 && this.batches % this.exploreEvery === this.exploreEvery - 1) return Math.min(this.maxBatchSize, size * 2);
    return size;
  }
}
