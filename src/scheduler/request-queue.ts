/**
 * The per-model wait queue: requests ordered by priority class, FIFO within a class,
 * with aging (every `agingMs` waited moves a request up one class, so background work
 * is never starved), plus lookup by supersede key. Sizes here are small (hundreds), so
 * a sorted scan beats a heap in constant factors and keeps removal O(n) and simple.
 */
import { priorityRank, type Priority } from './policy';

/** What the queue needs to know of a request. */
export interface QueuedItem {
  readonly id: number;
  readonly priority: Priority;
  /** `performance.now()` at enqueue. */
  readonly enqueuedAt: number;
  /** Units this request adds to a batch (texts, frames …). */
  readonly size: number;
  readonly supersedeKey: string | undefined;
  readonly stickyKey: string | undefined;
  /** Requests share a batch only with requests of the same key (same shapes, equal unbatched inputs); undefined: any. */
  readonly batchKey?: string | undefined;
}

/** Priority-ordered queue with aging. */
export class RequestQueue<T extends QueuedItem> {
  private items: T[] = [];
  private units = 0;

  /** `agingMs` may be changed live (a policy change). */
  constructor(public agingMs: number) {}

  /** Requests waiting. */
  get length(): number {
    return this.items.length;
  }

  /** Units waiting (sum of sizes). */
  get unitCount(): number {
    return this.units;
  }

  /** Units waiting that may share a batch with requests of `batchKey`. */
  unitsFor(batchKey: string | undefined): number {
    if (batchKey === undefined) return this.units;
    let units = 0;
    for (const item of this.items) if (item.batchKey === batchKey) units += item.size;
    return units;
  }

  /** The request waiting longest. */
  oldest(): T | undefined {
    let oldest: T | undefined;
    for (const item of this.items) if (oldest === undefined || item.enqueuedAt < oldest.enqueuedAt) oldest = item;
    return oldest;
  }

  push(item: T): void {
    this.items.push(item);
    this.units += item.size;
  }

  /** Remove a specific request; true when it was queued. */
  remove(item: T): boolean {
    const index = this.items.indexOf(item);
    if (index < 0) return false;
    this.items.splice(index, 1);
    this.units -= item.size;
    return true;
  }

  /** The queued request with this supersede key, if any. */
  findSuperseded(key: string): T | undefined {
    return this.items.find((item) => item.supersedeKey === key);
  }

  /** Effective rank: class rank minus classes earned by waiting. Lower runs first. */
  effectiveRank(item: T, now: number): number {
    return priorityRank[item.priority] - (now - item.enqueuedAt) / this.agingMs;
  }

  /** The request that runs next at `now` (one scan; no sort). */
  head(now: number): T | undefined {
    let best: T | undefined;
    for (const item of this.items) if (best === undefined || this.before(item, best, now)) best = item;
    return best;
  }

  private before(a: T, b: T, now: number): boolean {
    const byRank = this.effectiveRank(a, now) - this.effectiveRank(b, now);
    if (byRank !== 0) return byRank < 0;
    return a.enqueuedAt - b.enqueuedAt < 0 || (a.enqueuedAt === b.enqueuedAt && a.id < b.id);
  }

  /** All requests in run order at `now`. */
  ordered(now: number): T[] {
    return [...this.items].sort((a, b) => this.effectiveRank(a, now) - this.effectiveRank(b, now) || a.enqueuedAt - b.enqueuedAt || a.id - b.id);
  }

  /**
   * Take requests in run order until `maxUnits` would be exceeded (always at least one),
   * keeping only those `accept` allows (e.g. sticky to the chosen replica).
   */
  take(now: number, maxUnits: number, accept: (item: T) => boolean = () => true): T[] {
    const taken: T[] = [];
    let units = 0;
    for (const item of this.ordered(now)) {
      if (!accept(item)) continue;
      if (taken.length > 0 && units + item.size > maxUnits) break;
      taken.push(item);
      units += item.size;
      if (units >= maxUnits) break;
    }
    for (const item of taken) this.remove(item);
    return taken;
  }

  /** Remove and return everything. */
  drain(): T[] {
    const all = this.items;
    this.items = [];
    this.units = 0;
    return all;
  }
}
