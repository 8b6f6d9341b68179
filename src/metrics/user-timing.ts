/**
 * User Timing entries for each request stage, with Chrome DevTools' extensibility
 * `detail` so they show as custom tracks ("inpage" group, one track per model) in the
 * Performance panel.
 */
import type { RequestTimings } from './registry';

const colors = { queue: 'tertiary-light', preprocess: 'secondary-light', inference: 'primary', postprocess: 'secondary', endToEnd: 'primary-light' } as const;

/** Emit one measure per stage, laid end to end from `submittedAt`. */
export function emitUserTiming(model: string, timings: RequestTimings, submittedAt: number, detail: Readonly<Record<string, string | number>>): void {
  if (typeof performance.measure !== 'function') return;
  const properties = Object.entries(detail).map(([k, v]) => [k, String(v)]);
  const measure = (stage: keyof typeof colors, start: number, duration: number): void => {
    if (!(duration >= 0)) return;
    performance.measure(`inpage:${model}:${stage}`, {
      start,
      duration,
      detail: {
        devtools: {
          dataType: 'track-entry',
          track: model,
          trackGroup: 'inpage',
          color: colors[stage],
          properties,
          tooltipText: `${stage} ${duration.toFixed(2)} ms`,
        },
      },
    });
  };
  measure('endToEnd', submittedAt, timings.endToEndMs);
  let at = submittedAt;
  for (const stage of ['queue', 'preprocess', 'inference', 'postprocess'] as const) {
    const duration = timings[`${stage}Ms`];
    measure(stage, at, duration);
    at += duration;
  }
}
