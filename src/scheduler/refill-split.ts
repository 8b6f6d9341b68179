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
 * known, and nothing splits to find out: two halves sent back to back on a GPU would go on
 * alternating (each sent while the other runs) at nearly twice the cost per round.
 */
import type { BatchSizer } from './batch-sizer';

const smoothing = 0.2;
/** Splitting must win at least this share of the round's time. */
const minGain = 0.05;

/** Measures each replica's refill gap and decides when a batch goes out as two halves. */
export class RefillSplit {
  /** When each replica's last batch ended (`performance.now()` ms). */
  private readonly endedAt = new Map<number, number>();
  /** Exponentially weighted mean refill gap, ms (undefined until measured). */
  private gap: number | undefined;
  /** The size of each half while batches go out in halves; undefined while they go whole. */
  private half: number | undefined;

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
    const whole = sizer.estimate(units);
    const part = sizer.estimate(half);
    const rest = sizer.estimate(units - half);
    if (whole === undefined || part === undefined || rest === undefined) {
      this.half = undefined;
      return units;
    }
    const split = part + rest < (whole + this.gap) * (1 - minGain);
    this.half = split ? half : undefined;
    return split ? half : units;
  }
}
