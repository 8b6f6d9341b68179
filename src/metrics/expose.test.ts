import { afterEach, describe, expect, it } from 'vitest';
import { exposeIfAsked, exposeMetrics, metricsHookName, type MetricsHook } from './expose';
import { MetricsRegistry } from './registry';

const hookOf = (): MetricsHook | undefined => (globalThis as { [metricsHookName]?: MetricsHook })[metricsHookName];
const withdraw: (() => void)[] = [];

afterEach(() => {
  for (const w of withdraw.splice(0)) w();
  delete (globalThis as { __INPAGE_EXPOSE_METRICS__?: unknown }).__INPAGE_EXPOSE_METRICS__;
});

describe('exposeMetrics', () => {
  it('merges every exposed runtime and says idle only when nothing is queued or in flight', () => {
    const a = new MetricsRegistry();
    const b = new MetricsRegistry();
    a.describe('vad', 'audio', 'wasm');
    b.describe('embed', 'text', 'webgpu');
    withdraw.push(exposeMetrics({ metrics: a }), exposeMetrics({ metrics: b }));
    const hook = hookOf();
    expect(hook?.version).toBe(1);
    expect(hook?.runtimes).toBe(2);
    expect(hook?.snapshot().models.map((m) => m.name)).toEqual(['vad', 'embed']);
    expect(hook?.idle()).toBe(true);
    b.requestStarted('embed');
    expect(hook?.snapshot().models[1]?.inFlight).toBe(1);
    expect(hook?.idle()).toBe(false);
    b.requestFailed('embed', 'TIMEOUT');
    expect(hook?.idle()).toBe(true);
    a.queueDepth('vad', 3);
    expect(hook?.idle()).toBe(false);
    b.requestStarted('embed');
    b.requestFinished('embed', { queueMs: 0, preprocessMs: 0, inferenceMs: 1, postprocessMs: 0, endToEndMs: 1 }, 0);
    hook?.reset();
    expect(hook?.snapshot().models.map((m) => m.requests)).toEqual([0, 0]);
  });

  it('exposes a runtime by itself only when the testing fixture set the flag', () => {
    const registry = new MetricsRegistry();
    registry.describe('pose', 'image', 'wasm');
    const source = { metrics: registry };
    exposeIfAsked(source);
    expect(
      hookOf()
        ?.snapshot()
        .models.some((m) => m.name === 'pose') ?? false,
    ).toBe(false);
    (globalThis as { __INPAGE_EXPOSE_METRICS__?: unknown }).__INPAGE_EXPOSE_METRICS__ = true;
    exposeIfAsked(source);
    withdraw.push(exposeMetrics(source)); // the same runtime twice is one entry; withdrawn after the test
    expect(
      hookOf()
        ?.snapshot()
        .models.filter((m) => m.name === 'pose'),
    ).toHaveLength(1);
  });
});
