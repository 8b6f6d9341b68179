/**
 * Keeping a replica busy while its callers refill the queue. When the callers of a batch
 * ask again as soon as they are answered (a closed loop: live streams, a worker pool),
 * the main thread spends a while between batches waking them and taking their next
 * requests (validation, stream state, stacking); with one batch of everything, the replica
 * sits idle through that gap every round. Two batches of half the size, the second sent
 * while the first runs, hide the gap: while one half is in the engine, the other half's
 * callers are woken and queue again. That pays only where the engine's cost grows with the
 * batch (WASM, CPU-bound models): where a batch costs about the same at any size (a GPU's
 * flat cost per call), two halves cost nearly twice one batch and the split never wins.
 *
 * The decision uses what was measured: the gap (from a replica's batch ending to its next
 * batch of requests that arrived in between) and the service time at both sizes
 * ({@link BatchSizer.estimate}, which needs sizes measured on either side of the half: a
 * model's lone requests and its full batches are enough). Nothing splits until both are
 * known, and nothing splits to find out. Halves, once apart, stay apart by themselves
 * (each is sent while the other runs), so they are reviewed as they run: when their measured
 * cost stops paying, and every {@link reviewEvery} halves anyway (with the whole batch's time
 * forgotten, so a time learned while shapes compiled cannot keep them apart), a waiting half
 * is held until the replica is free and the other half's callers asked again, and the two
 * go out as one batch.
 */
import type { BatchSizer } from './batch-sizer';

const smoothing = 0.2;
/** Splitting must win at least this share of the round's time. */
const minGain = 0.05;
/** Two halves may cost at most this much more than one whole batch (a GPU's two flat-cost calls never pass). */
const maxSplitCost = 1.3;
/** While halves run, every this many of them the two are joined again to measure the whole batch afresh. */
const reviewEvery = 32;

/** Measures each replica's refill gap and decides when a batch goes out as two halves. */
export class RefillSplit {
  /** When each replica's last batch ended (`performance.now()` ms). */
  private readonly endedAt = new Map<number, number>();
  /** Exponentially weighted mean refill gap, ms (undefined until measured). */
  private gap: number | undefined;
  /** The size of each half while batches go out in halves; undefined while they go whole. */
  private half: number | undefined;
  /** The whole batch the halves came from. */
  private whole = 0;
  /** Half batches run since the split. */
  private halves = 0;
  /** True from when the halves stopped until they run as one batch again. */
  private joining = false;
  /** How long an idle replica holds a waiting half for the other half's callers, `performance.now()` ms. */
  private holdEnd: number | undefined;

  /**
   * True after halves stopped paying (or for a review) until the two run as one batch again:
   * a waiting half is held until the replica is free and the other half's callers asked
   * again. Without the hold the halves would go on alternating for good, each sent while
   * the other runs.
   */
  get joiningHalves(): boolean {
    return this.joining;
  }

  /**
   * When an idle replica stops holding a waiting half for the other half (set on first ask):
   * `delayMs` (the policy's queue delay) or twice the refill gap, whichever is longer.
   */
  holdUntil(now: number, delayMs: number): number {
    this.holdEnd ??= now + Math.max(delayMs, 2 * (this.gap ?? 0));
    return this.holdEnd;
  }

  /** The whole batch the last halves came from, units. */
  get wholeUnits(): number {
    return this.whole;
  }

  /** A batch went out while joining: the halves are one again (or the other half did not come). */
  joined(): void {
    this.joining = false;
    this.holdEnd = undefined;
  }

  /**
   * A half batch ended (its time is in `sizer` already). Stop the halves when their measured
   * cost says they no longer pay, and every {@link reviewEvery} halves anyway, forgetting the
   * whole batch's time so it is measured afresh before the next decision (a time learned
   * while shapes were still compiling would otherwise keep the split going).
   */
  review(sizer: BatchSizer): void {
    if (this.half === undefined) return;
    this.halves += 1;
    const pays = this.pays(this.whole, this.half, sizer);
    if (pays && this.halves % reviewEvery !== 0) return;
    if (!pays) sizer.forget(this.whole);
    else if (this.halves % reviewEvery === 0) sizer.forget(this.whole);
    this.half = undefined;
    this.joining = true;
    this.holdEnd = undefined;
  }

  private pays(units: number, half: number, sizer: BatchSizer): boolean {
    if (this.gap === undefined) return false;
    const whole = sizer.estimate(units);
    const part = sizer.estimate(half);
    const rest = sizer.estimate(units - half);
    if (whole === undefined || part === undefined || rest === undefined) return false;
    return part + rest < (whole + this.gap) * (1 - minGain) && part + rest <= whole * maxSplitCost;
  }

  /**
   * While batches go out in halves, the units that make a batch full enough to send (the
   * other half is running): without it a half would wait for a whole batch's worth.
   */
  get halfUnits(): number | undefined {
    return this.half;
  }

  /** The refill gap measured so far, ms. */
  get gapMs(): number | undefined {
    return this.gap;
  }

  /** A batch on `replica` ended at `at`; nothing else runs there (`idle`) or something still does. */
  ended(replica: number, at: number, idle: boolean): void {
    if (idle) this.endedAt.set(replica, at);
    else this.endedAt.delete(replica);
  }

  /**
   * A batch of `units` goes to `replica`, idle now, at `now`; its oldest request was queued
   * at `oldestAt`. When all of it arrived after the replica's last batch ended, and within
   * that batch's service time, the wait was the callers' refill: it is measured.
   */
  dispatched(replica: number, now: number, oldestAt: number, serviceMs: number | undefined): void {
    const ended = this.endedAt.get(replica);
    this.endedAt.delete(replica);
    if (ended === undefined || serviceMs === undefined || oldestAt < ended) return;
    const gap = now - ended;
    if (gap > serviceMs) return; // an idle replica that new load found, not a refill
    this.gap = this.gap === undefined ? gap : this.gap + smoothing * (gap - this.gap);
  }

  /**
   * The units to send now of `units` waiting, to an idle replica that can take a second
   * batch while the first runs: half, when two halves back to back take less than one
   * batch plus the refill gap; else all of them.
   */
  units(units: number, sizer: BatchSizer, canPipeline: boolean): number {
    if (units < 2) return units;
    if (!canPipeline || this.gap === undefined) {
      this.half = undefined;
      return units;
    }
    const half = Math.ceil(units / 2);
    if (!this.pays(units, half, sizer)) {
      this.half = undefined;
      return units;
    }
    this.half = half;
    this.whole = units;
    this.halves = 0;
    return half;
  }
}
