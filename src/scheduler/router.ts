/**
 * Replica routing: send a batch to the replica with the least expected wait
 * (batches in flight × its measured service time), honouring sticky keys so that a
 * conversation returns to the worker that holds its KV cache.
 *
 * Each replica takes `maxInFlight` batches, plus one express slot for a batch more
 * urgent than everything it is running: an interactive request arriving while two
 * background batches are in flight goes out at once, and the worker (which runs waiting
 * engine calls most urgent first) starts it right after the batch already running.
 */
import type { ReplicaPlan } from './replicas';

/** One replica's load, as the router sees it. */
export interface ReplicaState {
  readonly index: number;
  inFlight: number;
  /** Priority rank of each batch in flight (0 = realtime … 2 = background). */
  readonly ranks: number[];
  /** When the replica is expected to be free of the batches it runs (`performance.now()` ms); undefined when unknown. */
  freeAt: number | undefined;
  /** Exponentially weighted mean service time of its batches, ms (undefined until measured). */
  serviceMs: number | undefined;
  /** When its last batch ended (`performance.now()` ms); undefined before the first. */
  endedAt: number | undefined;
  /** The least urgent priority rank it takes: 2 (anything), 1 (reserved for interactive and realtime), 0 (realtime only). */
  readonly maxRank: number;
}

const smoothing = 0.2;

/** Chooses replicas; remembers sticky assignments. */
export class Router {
  readonly replicas: ReplicaState[];
  private readonly sticky = new Map<string, number>();

  constructor(
    /** A replica count, or a plan with replicas reserved for urgent priorities. */
    replicas: number | ReplicaPlan,
    /** Batches per replica before only the express slot is left; the batcher may change it live. */
    public maxInFlight: number,
  ) {
    const maxRanks = typeof replicas === 'number' ? Array.from({ length: replicas }, () => 2) : replicas.maxRanks;
    this.replicas = maxRanks.map((maxRank, index) => ({ index, inFlight: 0, ranks: [], freeAt: undefined, serviceMs: undefined, endedAt: undefined, maxRank }));
  }

  /** True when some replica is kept for urgent priorities. */
  get hasReserved(): boolean {
    return this.replicas.some((r) => r.maxRank < 2);
  }

  /** Expected wait before a new batch would start on `replica`, ms. */
  expectedWait(replica: ReplicaState): number {
    const known = this.replicas.map((r) => r.serviceMs).filter((ms): ms is number => ms !== undefined);
    const fallback = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
    return replica.inFlight * (replica.serviceMs ?? fallback);
  }

  /** The replica a sticky key is bound to, if any. */
  stickyReplica(key: string | undefined): number | undefined {
    return key === undefined ? undefined : this.sticky.get(key);
  }

  /** Can `replica` take a batch of priority `rank` now: a free slot, or the express slot for work more urgent than all it runs. */
  private accepts(replica: ReplicaState, rank: number): boolean {
    if (rank > replica.maxRank) return false;
    if (replica.inFlight < this.maxInFlight) return true;
    return replica.inFlight === this.maxInFlight && replica.ranks.every((r) => r > rank);
  }

  /**
   * The best replica with a free slot for a batch of priority `rank` led by a request
   * with `stickyKey` (binding the key on first use), or undefined when none can take it now.
   */
  pick(stickyKey: string | undefined, rank = 1): ReplicaState | undefined {
    const bound = this.stickyReplica(stickyKey);
    if (bound !== undefined) {
      const replica = this.replicas[bound];
      return replica !== undefined && this.accepts(replica, rank) ? replica : undefined;
    }
    let best: ReplicaState | undefined;
    for (const replica of this.replicas) {
      if (!this.accepts(replica, rank)) continue;
      if (best === undefined) {
        best = replica;
        continue;
      }
      // Least expected wait; on a tie, the replica kept for the most urgent work (so urgent
      // work uses what is kept for it, and the shared replicas stay free for the rest).
      const wait = this.expectedWait(replica);
      const bestWait = this.expectedWait(best);
      if (wait < bestWait || (wait === bestWait && replica.maxRank < best.maxRank)) best = replica;
    }
    if (best !== undefined && stickyKey !== undefined) this.sticky.set(stickyKey, best.index);
    return best;
  }

  /** Forget a sticky binding (the session ended). */
  release(stickyKey: string): void {
    this.sticky.delete(stickyKey);
  }

  /**
   * A batch of priority `rank` starts on `replica` at `now`, expected to take `expectedMs`
   * (undefined when not yet measured). It runs after the batches already there.
   */
  begin(replica: ReplicaState, rank: number, now: number, expectedMs: number | undefined): void {
    replica.freeAt =
      expectedMs === undefined || (replica.inFlight > 0 && replica.freeAt === undefined) ? undefined : Math.max(now, replica.freeAt ?? now) + expectedMs;
    replica.inFlight += 1;
    replica.ranks.push(rank);
  }

  /**
   * A batch of priority `rank` on `replica` ended at `now`. Returns how long it held the
   * replica: since it was sent (`startedAt`), or since the batch before it ended when it was
   * sent behind that one (its wait in the worker is not its service).
   */
  end(replica: ReplicaState, rank: number, startedAt: number, now: number): number {
    const held = now - Math.max(startedAt, replica.endedAt ?? startedAt);
    replica.endedAt = now;
    replica.inFlight -= 1;
    const at = replica.ranks.indexOf(rank);
    if (at >= 0) replica.ranks.splice(at, 1);
    if (replica.inFlight === 0) replica.freeAt = undefined;
    return held;
  }

  /** Record a finished batch's service time on its replica. */
  record(replica: ReplicaState, ms: number): void {
    replica.serviceMs = replica.serviceMs === undefined ? ms : replica.serviceMs + smoothing * (ms - replica.serviceMs);
  }

  /** Batches in flight across replicas. */
  get inFlight(): number {
    return this.replicas.reduce((sum, r) => sum + r.inFlight, 0);
  }
}
