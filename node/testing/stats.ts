/**
 * Order statistics for latency samples: nearest-rank quantiles, a distribution summary,
 * and a small text histogram for failure messages and reports. Pure; no Playwright.
 */

/** The value below which a share `q` (0…1) of the **sorted** samples fall (nearest rank); NaN when empty. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** The value below which a share `q` (0…1) of the samples fall (nearest rank); NaN when empty. */
export function quantile(samples: readonly number[], q: number): number {
  return quantileSorted(
    [...samples].sort((a, b) => a - b),
    q,
  );
}

/** The median (nearest rank). */
export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/** A latency distribution, ms: sample count and order statistics (NaN when there are no samples). */
export interface Distribution {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Summarise samples as a {@link Distribution}. */
export function distribution(samples: readonly number[]): Distribution {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => quantileSorted(sorted, q);
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    mean: sorted.length === 0 ? Number.NaN : sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Milliseconds for people: 3 significant figures, `—` for NaN. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value >= 100) return `${Math.round(value)} ms`;
  return `${Number(value.toPrecision(3))} ms`;
}

/** One line: count and order statistics. */
export function describeDistribution(d: Distribution): string {
  return `n=${d.count} · min ${ms(d.min)} · p50 ${ms(d.p50)} · p90 ${ms(d.p90)} · p95 ${ms(d.p95)} · p99 ${ms(d.p99)} · max ${ms(d.max)}`;
}

/**
 * A text histogram of the samples in `rows` buckets, log-spaced when the samples span more
 * than a factor of 4 (latency tails), each row `[low, high) ms  ████ count`.
 */
export function histogram(samples: readonly number[], rows = 8, width = 30): string {
  if (samples.length === 0) return '(no samples)';
  const sorted = [...samples].sort((a, b) => a - b);
  const low = sorted[0] ?? 0;
  const high = sorted.at(-1) ?? 0;
  if (high <= low) return `${ms(low)}  ${'█'.repeat(width)} ${sorted.length}`;
  const logScale = low > 0 && high / low > 4;
  const edge = (i: number): number => (logScale ? low * (high / low) ** (i / rows) : low + ((high - low) * i) / rows);
  const counts = new Array<number>(rows).fill(0);
  for (const value of sorted) {
    let bucket = rows - 1;
    for (let i = 1; i < rows; i += 1)
      if (value < edge(i)) {
        bucket = i - 1;
        break;
      }
    counts[bucket] = (counts[bucket] ?? 0) + 1;
  }
  const most = Math.max(...counts);
  const labels = counts.map((_, i) => `${ms(edge(i))} – ${ms(edge(i + 1))}`);
  const pad = Math.max(...labels.map((l) => l.length));
  return counts
    .map(
      (count, i) => `${(labels[i] ?? '').padEnd(pad)}  ${'█'.repeat(count === 0 ? 0 : Math.max(1, Math.round((count / most) * width))).padEnd(width)} ${count}`,
    )
    .join('\n');
}
