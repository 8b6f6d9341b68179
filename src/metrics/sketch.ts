/**
 * A quantile sketch with a relative-error guarantee (the DDSketch construction): values
 * fall into log-spaced buckets of ratio γ = (1 + α) / (1 − α), and a bucket is reported
 * by the value within α of everything in it. With α = 0.01 every quantile is within 1%
 * of the exact value, in O(log range) memory, and sketches merge exactly, so a
 * sliding window is a ring of small sketches merged on read.
 */

/** Default relative accuracy: 1%. */
export const defaultRelativeAccuracy = 0.01;

/** Values at or below this are counted in the zero bucket (latencies in ms). */
const minPositive = 1e-6;

/** A mergeable quantile sketch for non-negative values. */
export class QuantileSketch {
  private readonly gamma: number;
  private readonly logGamma: number;
  private readonly buckets = new Map<number, number>();
  private zeros = 0;
  private total = 0;
  private sumOfValues = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;

  /** @param relativeAccuracy α: the largest relative error of any quantile. @default 0.01 */
  constructor(readonly relativeAccuracy = defaultRelativeAccuracy) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) throw new RangeError(`Expected relativeAccuracy in (0, 1), got ${relativeAccuracy}`);
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.logGamma = Math.log(this.gamma);
  }

  /** Number of values added. */
  get count(): number {
    return this.total;
  }

  /** Sum of values added. */
  get sum(): number {
    return this.sumOfValues;
  }

  /** Smallest value added (exact), or NaN when empty. */
  get min(): number {
    return this.total === 0 ? Number.NaN : this.minValue;
  }

  /** Largest value added (exact), or NaN when empty. */
  get max(): number {
    return this.total === 0 ? Number.NaN : this.maxValue;
  }

  /** Add a value (negative values count as 0). */
  add(value: number, times = 1): void {
    if (!Number.isFinite(value) || times <= 0) return;
    const v = Math.max(0, value);
    if (v <= minPositive) this.zeros += times;
    else {
      const index = Math.ceil(Math.log(v) / this.logGamma);
      this.buckets.set(index, (this.buckets.get(index) ?? 0) + times);
    }
    this.total += times;
    this.sumOfValues += v * times;
    this.minValue = Math.min(this.minValue, v);
    this.maxValue = Math.max(this.maxValue, v);
  }

  /** Add everything `other` holds (same accuracy required). */
  merge(other: QuantileSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) throw new RangeError('Cannot merge sketches of different accuracy');
    for (const [index, n] of other.buckets) this.buckets.set(index, (this.buckets.get(index) ?? 0) + n);
    this.zeros += other.zeros;
    this.total += other.total;
    this.sumOfValues += other.sumOfValues;
    if (other.total > 0) {
      this.minValue = Math.min(this.minValue, other.minValue);
      this.maxValue = Math.max(this.maxValue, other.maxValue);
    }
  }

  /** The `q` quantile (0…1), within `relativeAccuracy` of the exact value; NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    if (q <= 0) return this.minValue;
    if (q >= 1) return this.maxValue;
    // Nearest rank, as the exact reference computes it.
    const rank = Math.ceil(q * this.total);
    let seen = this.zeros;
    if (seen >= rank) return 0;
    const indices = [...this.buckets.keys()].sort((a, b) => a - b);
    for (const index of indices) {
      seen += this.buckets.get(index) ?? 0;
      if (seen >= rank) {
        const estimate = (2 * this.gamma ** index) / (this.gamma + 1);
        return Math.min(this.maxValue, Math.max(this.minValue, estimate));
      }
    }
    return this.maxValue;
  }

  /** Mean of values added; NaN when empty. */
  mean(): number {
    return this.total === 0 ? Number.NaN : this.sumOfValues / this.total;
  }

  /** Empty the sketch. */
  clear(): void {
    this.buckets.clear();
    this.zeros = 0;
    this.total = 0;
    this.sumOfValues = 0;
    this.minValue = Number.POSITIVE_INFINITY;
    this.maxValue = Number.NEGATIVE_INFINITY;
  }
}
