/** Test material for the kit's unit tests: a load result and a real runtime metrics snapshot. Not shipped (only *.test.ts import it). */
import { MetricsRegistry } from '../../src/metrics/registry';
import type { MetricsSnapshot } from 'inpage';
import type { LoadResult } from './load';
import { distribution } from './stats';

/** A closed-loop result with these latencies (ms) and `failed` failures. */
export function fakeLoad(samples: readonly number[], failed = 0, metrics: MetricsSnapshot | null = null): LoadResult {
  const sent = samples.length + failed;
  return {
    label: 'embed-8',
    kind: 'closed',
    clients: 8,
    durationMs: 1000,
    sent,
    completed: samples.length,
    failed,
    unfinished: 0,
    errors: failed > 0 ? { INFERENCE_FAILED: failed } : {},
    errorMessages: failed > 0 ? ['INFERENCE_FAILED: engine said no'] : [],
    errorRate: sent === 0 ? 0 : failed / sent,
    throughputPerSecond: samples.length,
    latency: distribution(samples),
    samples,
    metrics,
  };
}

/** A real registry's snapshot: model `embed` with 20 requests of 10…29 ms end to end in batches of 4, one failure. */
export function fakeSnapshot(): MetricsSnapshot {
  const registry = new MetricsRegistry();
  registry.describe('embed', 'text', 'wasm');
  for (let i = 0; i < 20; i += 1) {
    registry.requestStarted('embed');
    registry.requestFinished('embed', { queueMs: 1, preprocessMs: 1, inferenceMs: 5 + i / 2, postprocessMs: 0, endToEndMs: 10 + i }, 0);
    if (i % 4 === 0) registry.batch('embed', 4);
  }
  registry.requestStarted('embed');
  registry.requestFailed('embed', 'TIMEOUT');
  return registry.snapshot();
}

/** A real registry's snapshot of a generation model `chat`: 10 generations, TTFT 100…190 ms, 40…58 tokens/s. */
export function fakeGenerationSnapshot(): MetricsSnapshot {
  const registry = new MetricsRegistry();
  registry.describe('chat', 'text', 'webgpu');
  for (let i = 0; i < 10; i += 1) {
    registry.requestStarted('chat');
    registry.requestFinished('chat', { queueMs: 0, preprocessMs: 1, inferenceMs: 300, postprocessMs: 1, endToEndMs: 400 + i }, 0);
    registry.generation('chat', {
      timeToFirstTokenMs: 100 + 10 * i,
      interTokenMs: [20, 22],
      tokensPerSecond: 40 + 2 * i,
      promptTokens: 12,
      cachedPromptTokens: 0,
      outputTokens: 16,
      prefillMs: 80,
      decodeStepMs: [18, 19],
      decodeBatchSizes: [2, 2],
    });
  }
  return registry.snapshot();
}
