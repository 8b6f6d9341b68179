/**
 * A sliding time window of quantile sketches: a ring of slots, each covering `slotMs`;
 * reading merges the slots still inside the window. Old slots are reused, so memory is
 * bounded by the slot count whatever the traffic.
 */
import { QuantileSketch } from './sketch';

/** Values over the last `slots × slotMs` ms. */
export class WindowedSketch {
  private readonly ring: { start: number; sketch: QuantileSketch }[];

  constructor(
    readonly slotMs = 5000,
    readonly slots = 12,
  ) {
    this.ring = Array.from({ length: slots }, () => ({ start: Number.NEGATIVE_INFINITY, sketch: new QuantileSketch() }));
  }

  /** Window length, ms. */
  get windowMs(): number {
    return this.slotMs * this.slots;
  }

  private slotFor(now: number): { start: number; sketch: QuantileSketch } {
    const start = Math.floor(now / this.slotMs) * this.slotMs;
    const slot = this.ring[Math.floor(now / this.slotMs) % this.slots];
    if (slot === undefined) throw new Error('window ring is empty');
    if (slot.start !== start) {
      slot.start = start;
      slot.sketch.clear();
    }
    return slot;
  }

  /** Record `value` at time `now`. */
  add(now: number, value: number): void {
    this.slotFor(now).sketch.add(value);
  }

  /** Everything recorded within the window ending at `now`. */
  read(now: number): QuantileSketch {
    const merged = new QuantileSketch();
    const oldest = now - this.windowMs;
    for (const slot of this.ring) if (slot.start > oldest && slot.start <= now) merged.merge(slot.sketch);
    return merged;
  }
}

/** A sketch since start plus a sliding window: the pair every latency series keeps. */
export class LatencySeries {
  readonly total = new QuantileSketch();
  readonly window: WindowedSketch;

  constructor(slotMs?: number, slots?: number) {
    this.window = new WindowedSketch(slotMs, slots);
  }

  add(now: number, value: number): void {
    this.total.add(value);
    this.window.add(now, value);
  }
}
