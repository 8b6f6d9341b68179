/**
 * How many replicas (workers, each with its own session) serve a model, and which of them
 * are kept for urgent work: `replicas: { count: 2, reserve: { interactive: 1 } }` runs two,
 * one of which takes only `realtime` and `interactive` batches, so a background flood can
 * fill the other but never stands in front of an interactive request (Triton's per-priority
 * instance groups, in the page).
 */
import { InvalidOptionsError } from '../errors';
import { priorityRank, type Priority } from './policy';

/** Most replicas (workers) one model may ask for on any machine. */
export const maxReplicas = 16;

/**
 * Most replicas one model may ask for on this machine: as many as it has cores
 * (`navigator.hardwareConcurrency`), at least 4 (a GPU-bound model's workers mostly wait),
 * at most {@link maxReplicas}. More workers than that only compete for the same cores and
 * memory: `replicas: 1000` is refused instead of spawning workers until the tab dies.
 */
export function replicaLimit(cores: number | undefined = typeof navigator === 'undefined' ? undefined : navigator.hardwareConcurrency): number {
  const known = typeof cores === 'number' && Number.isFinite(cores) && cores > 0 ? Math.floor(cores) : maxReplicas;
  return Math.min(maxReplicas, Math.max(4, known));
}

/** A replica count, or a count with replicas reserved for urgent priorities. */
export type ReplicaOptions =
  | number
  | {
      /** Replicas in all. */
      readonly count: number;
      /**
       * Replicas kept for a priority and the ones more urgent than it, by the least urgent
       * priority they take: `{ interactive: 1 }` keeps one for realtime and interactive
       * batches, `{ realtime: 1 }` one for realtime alone. At least one replica is left for everything.
       */
      readonly reserve?: Partial<Record<Exclude<Priority, 'background'>, number>>;
    };

/** Resolved {@link ReplicaOptions}: per replica, the least urgent priority rank it takes. */
export interface ReplicaPlan {
  readonly count: number;
  /** By replica index: 0 (realtime only), 1 (up to interactive) or 2 (anything). Reserved replicas come last. */
  readonly maxRanks: readonly number[];
}

function invalid(field: string, expected: string, got: unknown): InvalidOptionsError {
  return new InvalidOptionsError(`Expected \`${field}\` to be ${expected}, got ${JSON.stringify(got) ?? String(got)}.`, {
    input: field,
    expected,
    got: String(got),
  });
}

function checkCount(field: string, value: unknown, min: number, max: number, why = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(field, `an integer from ${min} to ${max}${why}`, value);
  return value;
}

/** Why the replica limit is what it is, for error messages. */
function limitWhy(): string {
  const cores = typeof navigator === 'undefined' ? undefined : navigator.hardwareConcurrency;
  return cores === undefined ? '' : ` (on this machine: its ${cores} cores, at least 4, at most ${maxReplicas})`;
}

/** Check and resolve `replicas` (a number or `{ count, reserve }`); throws `INVALID_OPTIONS` naming the field. */
export function resolveReplicas(options: ReplicaOptions | undefined): ReplicaPlan {
  if (options === undefined || typeof options === 'number') {
    const count = checkCount('replicas', options ?? 1, 1, replicaLimit(), limitWhy());
    return { count, maxRanks: Array.from({ length: count }, () => priorityRank.background) };
  }
  if (typeof options !== 'object' || options === null) throw invalid('replicas', `an integer from 1 to ${replicaLimit()}, or { count, reserve }`, options);
  const count = checkCount('replicas.count', options.count, 1, replicaLimit(), limitWhy());
  const reserve = options.reserve ?? {};
  if (typeof reserve !== 'object' || reserve === null) throw invalid('replicas.reserve', 'an object such as { interactive: 1 }', reserve);
  const ranks: number[] = [];
  for (const [name, value] of Object.entries(reserve)) {
    if (name !== 'realtime' && name !== 'interactive') throw invalid(`replicas.reserve`, 'keys realtime or interactive', name);
    const n = checkCount(`replicas.reserve.${name}`, value, 0, count - 1);
    for (let i = 0; i < n; i += 1) ranks.push(priorityRank[name]);
  }
  if (ranks.length > count - 1)
    throw invalid('replicas.reserve', `at most ${count - 1} reserved replicas in all (one must take background work)`, ranks.length);
  // Unreserved replicas first, then the looser reservations before the stricter ones.
  ranks.sort((a, b) => b - a);
  return { count, maxRanks: [...Array.from({ length: count - ranks.length }, () => priorityRank.background), ...ranks] };
}
