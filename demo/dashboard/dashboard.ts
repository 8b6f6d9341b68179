/**
 * The live dashboard: subscribes to `runtime.metrics` and plots, per model, end-to-end
 * p50/p95/p99, queue depth, batch size and throughput; generation time to first token
 * and tokens/s; cache hit rates and bytes; and a table of what runs where. Charts keep
 * their history when the runtime is replaced (a backend or cache toggle reloads models).
 */
import type { MetricsSnapshot, Runtime, SeriesMetrics, Summary } from '../../src/index';
import { element } from '../ui';
import { LiveChart } from './live-chart';

/** A window summary's value, or a gap when the window saw no samples. */
function windowed(summary: Summary, pick: (s: Summary) => number): number | null {
  return summary.count === 0 ? null : pick(summary);
}

function byModel(models: readonly SeriesMetrics[], pick: (m: SeriesMetrics) => number | null): Record<string, number | null> {
  return Object.fromEntries(models.map((m) => [m.name, pick(m)]));
}

/** Cache counters seen at the previous tick, for hit rates over the last interval. */
interface CacheMark {
  readonly hits: number;
  readonly misses: number;
}

/** Owns the charts and the metrics subscription. */
export class Dashboard {
  private readonly latency = new Map<string, LiveChart>();
  private readonly queueDepth: LiveChart;
  private readonly batchSize: LiveChart;
  private readonly throughput: LiveChart;
  private readonly ttft: LiveChart;
  private readonly tokensPerSecond: LiveChart;
  private readonly cacheHitRate: LiveChart;
  private readonly cacheBytes: LiveChart;
  private readonly marks = new Map<string, CacheMark>();
  private unsubscribe: (() => void) | undefined;
  private ticks = 0;

  constructor(private readonly root: HTMLElement = element('dashboard', HTMLElement)) {
    const grid = element('dashboard-charts', HTMLElement);
    this.queueDepth = new LiveChart(grid, { title: 'Queue depth (requests waiting)', unit: '' }, 'queue');
    this.batchSize = new LiveChart(grid, { title: 'Batch size (mean units per engine call, window)', unit: '' }, 'batch');
    this.throughput = new LiveChart(grid, { title: 'Throughput (completed requests/s, window)', unit: 'req/s' }, 'throughput');
    this.ttft = new LiveChart(grid, { title: 'Generation: time to first token (window)', unit: 'ms' }, 'ttft');
    this.tokensPerSecond = new LiveChart(grid, { title: 'Generation: tokens/s (p50, window)', unit: 'tok/s' }, 'tokens');
    this.cacheHitRate = new LiveChart(grid, { title: 'Cache hit rate (since the last tick)', unit: '%', yRange: [0, 100] }, 'cache-hits');
    this.cacheBytes = new LiveChart(grid, { title: 'Cache bytes written (since models loaded)', unit: 'MB' }, 'cache-bytes');
  }

  /** Ticks received (for the page's status and tests). */
  get tickCount(): number {
    return this.ticks;
  }

  /** Follow `runtime`'s metrics every `intervalMs` (replacing any previous runtime). */
  attach(runtime: Runtime, intervalMs = 500): void {
    this.detach();
    this.marks.clear();
    this.unsubscribe = runtime.metrics.subscribe((snapshot) => this.tick(snapshot), intervalMs);
  }

  /** Stop following (the charts stay). */
  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private latencyChart(model: string): LiveChart {
    let chart = this.latency.get(model);
    if (chart === undefined) {
      chart = new LiveChart(element('latency-charts', HTMLElement), { title: `${model}: end-to-end latency (window)`, unit: 'ms' }, `latency-${model}`);
      this.latency.set(model, chart);
    }
    return chart;
  }

  private tick(snapshot: MetricsSnapshot): void {
    const now = Date.now() / 1000;
    this.ticks += 1;
    this.root.dataset['ticks'] = String(this.ticks);
    const scheduled = snapshot.models.filter((m) => m.generation === undefined);
    for (const model of snapshot.models) {
      const e2e = model.stages.endToEnd.window;
      this.latencyChart(model.name).push(now, {
        p50: windowed(e2e, (s) => s.p50),
        p95: windowed(e2e, (s) => s.p95),
        p99: windowed(e2e, (s) => s.p99),
      });
    }
    this.queueDepth.push(
      now,
      byModel(scheduled, (m) => m.queueDepth),
    );
    this.batchSize.push(
      now,
      byModel(scheduled, (m) => windowed(m.batchUnits.window, (s) => s.mean)),
    );
    this.throughput.push(
      now,
      byModel(snapshot.models, (m) => m.throughputPerSecond),
    );
    const generators = snapshot.models.filter((m) => m.generation !== undefined);
    const ttft: Record<string, number | null> = {};
    const tokens: Record<string, number | null> = {};
    for (const m of generators) {
      const g = m.generation;
      if (g === undefined) continue;
      ttft[`${m.name} p50`] = windowed(g.timeToFirstTokenMs.window, (s) => s.p50);
      ttft[`${m.name} p95`] = windowed(g.timeToFirstTokenMs.window, (s) => s.p95);
      tokens[m.name] = windowed(g.tokensPerSecond.window, (s) => s.p50);
    }
    this.ttft.push(now, ttft);
    this.tokensPerSecond.push(now, tokens);
    const hitRates: Record<string, number | null> = {};
    const bytes: Record<string, number | null> = {};
    for (const cache of snapshot.caches) {
      const mark = this.marks.get(cache.name);
      // Counters restart with a new runtime: then the whole count is the interval's.
      const reset = mark === undefined || cache.hits < mark.hits || cache.misses < mark.misses;
      const hits = cache.hits - (reset ? 0 : mark.hits);
      const misses = cache.misses - (reset ? 0 : mark.misses);
      this.marks.set(cache.name, { hits: cache.hits, misses: cache.misses });
      hitRates[cache.name] = hits + misses === 0 ? null : (100 * hits) / (hits + misses);
      bytes[cache.name] = cache.bytesWritten / 1e6;
    }
    this.cacheHitRate.push(now, hitRates);
    this.cacheBytes.push(now, bytes);
    this.renderTable(snapshot);
  }

  private renderTable(snapshot: MetricsSnapshot): void {
    const rows = snapshot.models.map((m) => {
      const e2e = m.stages.endToEnd.window;
      const errors = Object.entries(m.errors)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ');
      const sizes = Object.keys(m.batchSizeCounts).map(Number);
      return [
        m.name,
        m.modality,
        m.backend,
        String(m.completed),
        e2e.count === 0 ? '–' : `${e2e.p50.toFixed(1)} / ${e2e.p95.toFixed(1)} / ${e2e.p99.toFixed(1)}`,
        sizes.length === 0 ? '–' : String(Math.max(...sizes)),
        m.throughputPerSecond.toFixed(1),
        errors || '0',
      ];
    });
    const body = element('models-table-body', HTMLElement);
    body.replaceChildren(
      ...rows.map((cells) => {
        const tr = document.createElement('tr');
        tr.dataset['model'] = cells[0] ?? '';
        for (const text of cells) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
    );
    const caches = element('caches-table-body', HTMLElement);
    caches.replaceChildren(
      ...snapshot.caches.map((c) => {
        const tr = document.createElement('tr');
        tr.dataset['cache'] = c.name;
        const tiers = Object.entries(c.hitsByTier)
          .map(([tier, n]) => `${tier} ${n}`)
          .join(', ');
        for (const text of [
          c.name,
          String(c.hits),
          tiers || '–',
          String(c.misses),
          `${(100 * c.hitRate).toFixed(0)}%`,
          (c.bytesWritten / 1e6).toFixed(1),
          String(c.evictions),
          String(c.warnings),
        ]) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
    );
  }
}
