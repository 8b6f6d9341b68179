import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InvalidOptionsError } from '../errors';
import { prometheusText } from './prometheus';
import { MetricsRegistry, type MetricsOptions } from './registry';

const timings = (e2e: number) => ({ queueMs: e2e * 0.1, preprocessMs: e2e * 0.2, inferenceMs: e2e * 0.6, postprocessMs: e2e * 0.1, endToEndMs: e2e });

afterEach(() => {
  vi.useRealTimers();
  performance.clearMeasures();
});

describe('MetricsRegistry', () => {
  it('summarises stages per model and per modality, with errors by code and batch sizes', () => {
    const metrics = new MetricsRegistry();
    metrics.describe('vad', 'audio', 'wasm');
    metrics.describe('ocr', 'image', 'webgpu');
    for (let i = 1; i <= 100; i += 1) {
      metrics.requestStarted('vad');
      metrics.requestFinished('vad', timings(i), performance.now() - i);
    }
    metrics.requestStarted('vad');
    metrics.requestFailed('vad', 'DEADLINE_EXCEEDED');
    metrics.batch('vad', 32);
    metrics.batch('vad', 32);
    metrics.batch('vad', 8);
    metrics.queueDepth('vad', 5);
    metrics.requestStarted('ocr');
    metrics.requestFinished('ocr', timings(40), performance.now());
    const snapshot = metrics.snapshot();
    const vad = snapshot.models.find((m) => m.name === 'vad');
    expect(vad).toMatchObject({
      modality: 'audio',
      backend: 'wasm',
      requests: 101,
      completed: 100,
      errors: { DEADLINE_EXCEEDED: 1 },
      queueDepth: 5,
      batchSizeCounts: { '8': 1, '32': 2 },
    });
    expect(vad?.stages.endToEnd.total.p50).toBeCloseTo(50, -0.5);
    expect(Math.abs((vad?.stages.endToEnd.total.p99 ?? 0) - 99) / 99).toBeLessThanOrEqual(0.01);
    expect(vad?.stages.endToEnd.total.max).toBe(100);
    expect(vad?.stages.inference.window.count).toBe(100);
    const audio = snapshot.modalities.find((m) => m.name === 'audio');
    expect(audio).toMatchObject({ completed: 100, queueDepth: 5 });
    expect(snapshot.modalities.map((m) => m.name).sort()).toEqual(['audio', 'image']);
  });

  it('forgets values that left the sliding window but keeps them since start', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const metrics = new MetricsRegistry({ slotMs: 1000, slots: 5 });
    metrics.describe('m', 'text', 'wasm');
    metrics.requestFinished('m', timings(10), performance.now());
    vi.advanceTimersByTime(6000);
    metrics.requestFinished('m', timings(20), performance.now());
    const m = metrics.snapshot().models[0];
    expect(m?.stages.endToEnd.window.count).toBe(1);
    expect(m?.stages.endToEnd.total.count).toBe(2);
    expect(m?.stages.endToEnd.window.p50).toBe(20);
  });

  it('records generation series', () => {
    const metrics = new MetricsRegistry();
    metrics.describe('gpt', 'text', 'wasm');
    const record = { timeToFirstTokenMs: 120, interTokenMs: [10, 12, 11], tokensPerSecond: 90, promptTokens: 128, outputTokens: 4 };
    metrics.generation('gpt', { ...record, cachedPromptTokens: 96, prefillMs: 40, decodeStepMs: [9, 9, 30], decodeBatchSizes: [1, 1, 8] });
    metrics.generation('gpt', { ...record, cachedPromptTokens: 0, decodeStepMs: [], decodeBatchSizes: [] }); // a semantic-cache hit: no prefill ran
    const g = metrics.snapshot().models[0]?.generation;
    expect(g?.timeToFirstTokenMs.total.p50).toBe(120);
    expect(g?.interTokenMs.total.count).toBe(6);
    expect(g?.promptTokens.total.max).toBe(128);
    expect(g?.cachedPromptTokens.total.max).toBe(96);
    expect(g?.prefillMs.total).toMatchObject({ count: 1, max: 40 });
    expect(g?.decodeStepMs.total).toMatchObject({ count: 3, max: 30 });
    expect(g?.decodeBatchSize.total).toMatchObject({ count: 3, max: 8 });
    expect(g?.tokens).toEqual({ prompt: 256, cachedPrompt: 96, generated: 8 });
    // The modality's series sums its models'.
    expect(metrics.snapshot().modalities.find((m) => m.name === 'text')?.generation?.tokens).toEqual({ prompt: 256, cachedPrompt: 96, generated: 8 });
    const text = prometheusText(metrics.snapshot());
    expect(text).toContain('inpage_prompt_tokens_total{model="gpt",modality="text",backend="wasm"} 256');
    expect(text).toContain('inpage_cached_prompt_tokens_total{model="gpt",modality="text",backend="wasm"} 96');
    expect(text).toContain('inpage_generated_tokens_total{model="gpt",modality="text",backend="wasm"} 8');
    expect(text).toContain('inpage_decode_batch_size_count{model="gpt",modality="text",backend="wasm"} 3');
    expect(text).toContain('inpage_prefill_ms_count{model="gpt",modality="text",backend="wasm"} 1');
  });

  it('refuses malformed options and subscriptions with INVALID_OPTIONS naming the field, what it expected and what it got', () => {
    const refused = (make: () => unknown) => {
      try {
        make();
      } catch (error) {
        const { code, input, expected, got } = error as InvalidOptionsError;
        return { code, input, expected, got };
      }
      return 'accepted';
    };
    const bad = (options: unknown) => refused(() => new MetricsRegistry(options as MetricsOptions));
    expect(bad(null)).toMatchObject({ code: 'INVALID_OPTIONS', input: 'metrics', got: 'null' });
    expect(bad({ slotMs: 0 })).toMatchObject({ input: 'metrics.slotMs', expected: 'a number of milliseconds ≥ 100', got: '0' });
    expect(bad({ slotMs: Number.NaN })).toMatchObject({ input: 'metrics.slotMs', got: 'NaN' });
    expect(bad({ slots: 2.5 })).toMatchObject({ input: 'metrics.slots', got: '2.5' });
    expect(bad({ slots: 0 })).toMatchObject({ input: 'metrics.slots', got: '0' });
    expect(bad({ userTiming: 'yes' })).toMatchObject({ input: 'metrics.userTiming', expected: 'a boolean', got: '"yes"' });
    expect(bad({ window: 60_000 })).toMatchObject({ input: 'metrics.window' });
    expect(bad({ slotMs: 100, slots: 1000, userTiming: false })).toBe('accepted');
    const metrics = new MetricsRegistry();
    expect(refused(() => metrics.subscribe('log' as never))).toMatchObject({ code: 'INVALID_OPTIONS', input: 'listener', got: 'string' });
    expect(refused(() => metrics.subscribe(() => undefined, 0))).toMatchObject({ input: 'intervalMs', got: '0' });
    expect(refused(() => metrics.subscribe(() => undefined, Number.POSITIVE_INFINITY))).toMatchObject({ input: 'intervalMs', got: 'Infinity' });
  });

  it('delivers snapshots to subscribers at the refresh interval until unsubscribed', () => {
    vi.useFakeTimers();
    const metrics = new MetricsRegistry();
    const seen: number[] = [];
    const stop = metrics.subscribe((s) => seen.push(s.models.length), 500);
    metrics.describe('m', 'image', 'wasm');
    vi.advanceTimersByTime(1500);
    stop();
    vi.advanceTimersByTime(1500);
    expect(seen).toEqual([1, 1, 1]);
  });

  it('renders Prometheus text with counters, summaries and gauges', () => {
    const metrics = new MetricsRegistry();
    metrics.describe('vad', 'audio', 'wasm');
    metrics.requestStarted('vad');
    metrics.requestFinished('vad', timings(10), performance.now());
    metrics.requestFailed('vad', 'QUEUE_FULL');
    const text = metrics.prometheus();
    expect(text).toContain('# TYPE inpage_requests_total counter');
    expect(text).toContain('inpage_requests_total{model="vad",modality="audio",backend="wasm"} 1');
    expect(text).toContain('inpage_request_errors_total{model="vad",modality="audio",backend="wasm",code="QUEUE_FULL"} 1');
    expect(text).toMatch(/inpage_stage_duration_ms\{model="vad",modality="audio",backend="wasm",stage="endToEnd",quantile="0.5"\} 10\b/);
    expect(text).toContain('inpage_stage_duration_ms_count{model="vad",modality="audio",backend="wasm",stage="inference"} 1');
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [-+\w.]+)$/);
  });

  it('emits User Timing measures with DevTools track details when enabled', () => {
    const metrics = new MetricsRegistry({ userTiming: true });
    metrics.describe('vad', 'audio', 'wasm');
    const start = performance.now();
    metrics.requestFinished('vad', timings(10), start, { batch: 8 });
    const measures = performance.getEntriesByType('measure').filter((m) => m.name.startsWith('inpage:vad:'));
    expect(measures.map((m) => m.name).sort()).toEqual([
      'inpage:vad:endToEnd',
      'inpage:vad:inference',
      'inpage:vad:postprocess',
      'inpage:vad:preprocess',
      'inpage:vad:queue',
    ]);
    const inference = measures.find((m) => m.name === 'inpage:vad:inference');
    expect(inference?.duration).toBeCloseTo(6, 5);
    expect(inference?.startTime).toBeCloseTo(start + 3, 5);
    expect((inference as PerformanceMeasure | undefined)?.detail).toMatchObject({
      devtools: { dataType: 'track-entry', track: 'vad', trackGroup: 'inpage', properties: [['batch', '8']] },
    });
  });

  it('starts afresh on reset(), keeping requests in flight and the queue depth', () => {
    const metrics = new MetricsRegistry();
    metrics.describe('embed', 'text', 'wasm');
    const timings = { queueMs: 1, preprocessMs: 1, inferenceMs: 500, postprocessMs: 1, endToEndMs: 503 };
    for (let i = 0; i < 5; i += 1) {
      metrics.requestStarted('embed');
      metrics.requestFinished('embed', timings, 0);
    }
    metrics.batch('embed', 5);
    metrics.requestStarted('embed'); // still running across the reset
    metrics.queueDepth('embed', 2);
    metrics.cacheEvent({ cache: 'embeddings', kind: 'miss' });
    metrics.reset();
    let embed = metrics.snapshot().models[0];
    expect(embed).toMatchObject({ requests: 0, completed: 0, inFlight: 1, queueDepth: 2, errors: {}, batchSizeCounts: {} });
    expect(embed?.stages.inference.total.count).toBe(0);
    expect(metrics.snapshot().caches.find((c) => c.name === 'embeddings')?.misses).toBe(0);
    metrics.requestFinished('embed', { ...timings, inferenceMs: 5, endToEndMs: 8 }, 0);
    embed = metrics.snapshot().models[0];
    expect(embed).toMatchObject({ completed: 1, inFlight: 0 });
    expect(embed?.stages.inference.window.p95).toBeCloseTo(5, 0);
    expect(metrics.snapshot().modalities[0]?.inFlight).toBe(0);
  });
});
