/**
 * One live line chart (uPlot): a rolling window of points over wall-clock time, with
 * series that may appear while it runs (a model loaded later, a cache first used). A new
 * series is back-filled with gaps, so history is kept across model reloads.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Colours for successive series (distinct in light and dark mode). */
const palette = ['#1e88e5', '#e53935', '#43a047', '#fb8c00', '#8e24aa', '#00897b', '#6d4c41', '#d81b60'];

/** Options of one chart. */
export interface LiveChartOptions {
  /** Heading shown above the chart, and its accessible name. */
  readonly title: string;
  /** Unit of the y values, for the axis and the text summary (e.g. 'ms', 'req/s', '%'). */
  readonly unit: string;
  /** Points kept (the x window). @default 240 */
  readonly capacity?: number;
  /** Fixed y range (e.g. 0–100 for percentages); otherwise it follows the data. */
  readonly yRange?: readonly [number, number];
}

function format(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

/** A uPlot line chart fed one point per tick. */
export class LiveChart {
  private readonly times: number[] = [];
  private readonly series = new Map<string, (number | null)[]>();
  private plot: uPlot | undefined;
  private readonly figure: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly capacity: number;

  constructor(
    parent: HTMLElement,
    private readonly options: LiveChartOptions,
    /** Stable id for tests and styling (`chart-<id>`). */
    readonly id: string,
  ) {
    this.capacity = options.capacity ?? 240;
    this.figure = document.createElement('figure');
    this.figure.className = 'live-chart';
    this.figure.id = `chart-${id}`;
    this.figure.dataset['points'] = '0';
    const caption = document.createElement('figcaption');
    caption.textContent = options.title;
    this.summary = document.createElement('p');
    this.summary.className = 'chart-summary';
    this.summary.setAttribute('aria-live', 'off');
    this.figure.append(caption, this.summary);
    parent.append(this.figure);
  }

  /** Points received so far (capped at the window). */
  get points(): number {
    return this.times.length;
  }

  /** Add one point: `values` by series name (a missing or null value is a gap). */
  push(timeSeconds: number, values: Readonly<Record<string, number | null>>): void {
    let added = false;
    for (const name of Object.keys(values)) {
      if (!this.series.has(name)) {
        this.series.set(
          name,
          this.times.map(() => null),
        );
        added = true;
      }
    }
    this.times.push(timeSeconds);
    for (const [name, column] of this.series) column.push(values[name] ?? null);
    if (this.times.length > this.capacity) {
      this.times.shift();
      for (const column of this.series.values()) column.shift();
    }
    this.figure.dataset['points'] = String(this.times.length);
    this.summary.textContent = [...this.series.entries()]
      .map(([name, column]) => `${name}: ${format(column[column.length - 1], this.options.unit)}`)
      .join(' · ');
    if (this.plot === undefined || added) this.rebuild();
    else this.plot.setData(this.data());
  }

  private data(): uPlot.AlignedData {
    return [this.times, ...this.series.values()];
  }

  private rebuild(): void {
    this.plot?.destroy();
    const unit = this.options.unit;
    const range = this.options.yRange;
    this.plot = new uPlot(
      {
        width: Math.max(260, this.figure.clientWidth - 8),
        height: 150,
        legend: { show: true, live: false },
        cursor: { show: false },
        scales: {
          x: { time: true },
          y: range === undefined ? { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)] } : { range: [range[0], range[1]] },
        },
        axes: [
          { stroke: '#888', grid: { stroke: '#8882' } },
          {
            stroke: '#888',
            grid: { stroke: '#8882' },
            size: 64,
            values: (_u, ticks) => ticks.map((t) => `${t >= 10 ? t.toFixed(0) : String(Number(t.toFixed(2)))} ${unit}`),
          },
        ],
        series: [
          {},
          ...[...this.series.keys()].map((label, i) => ({
            label,
            stroke: palette[i % palette.length] ?? '#888',
            width: 1.5,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => format(v, unit),
          })),
        ],
      },
      this.data(),
      this.figure,
    );
    this.plot.root.setAttribute('role', 'img');
    this.plot.root.setAttribute('aria-label', `${this.options.title}: ${[...this.series.keys()].join(', ')}`);
  }

  /** Remove the chart. */
  destroy(): void {
    this.plot?.destroy();
    this.figure.remove();
  }
}
