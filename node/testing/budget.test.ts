import { describe, expect, it } from 'vitest';
import { judgeBudget } from './budget';
import { fakeGenerationSnapshot, fakeLoad, fakeSnapshot } from './load.fixture';

const samples = Array.from({ length: 100 }, (_, i) => 10 + i); // 10 … 109 ms

describe('toMeetLatencyBudget', () => {
  it('passes a load within every limit and says so', () => {
    const verdict = judgeBudget(fakeLoad(samples), { p50Ms: 80, p95Ms: 110, errorRate: 0 });
    expect(verdict.pass).toBe(true);
    expect(verdict.message.split('\n').slice(0, 4)).toEqual([
      'load "embed-8" met its latency budget',
      '  ✓ p50 59 ms ≤ budget 80 ms',
      '  ✓ p95 104 ms ≤ budget 110 ms',
      '  ✓ error rate 0% ≤ budget 0%',
    ]);
  });

  it('names the limit that broke and shows the distribution and a histogram', () => {
    const verdict = judgeBudget(fakeLoad(samples, 5), { p50Ms: 80, p99Ms: 50, errorRate: 0.01 });
    expect(verdict.pass).toBe(false);
    const lines = verdict.message.split('\n');
    expect(lines[0]).toBe('load "embed-8" broke its latency budget (p99, error rate)');
    expect(lines).toContain('  ✗ p99 108 ms > budget 50 ms');
    expect(lines).toContain('  ✗ error rate 4.76% > budget 1%');
    expect(lines).toContain('latency: n=100 · min 10 ms · p50 59 ms · p90 99 ms · p95 104 ms · p99 108 ms · max 109 ms');
    expect(verdict.message).toContain('errors: INFERENCE_FAILED 5; first: INFERENCE_FAILED: engine said no');
    expect(verdict.message).toMatch(/^10 ms – \S+ ms\s+█+\s+\d+$/m);
  });

  it('judges a model from the page metrics: its stage, error rate and batch sizes', () => {
    const snapshot = fakeSnapshot();
    const ok = judgeBudget(snapshot, { model: 'embed', p95Ms: 30 });
    expect(ok.pass).toBe(true);
    const inference = judgeBudget(fakeLoad(samples, 0, snapshot), { model: 'embed', stage: 'inference', p95Ms: 10, errorRate: 0 });
    expect(inference.pass).toBe(false);
    expect(inference.message).toContain('model "embed" broke its latency budget (inference p95, error rate)');
    expect(inference.message).toContain('model "embed" on wasm: 21 requests, 1 failed (TIMEOUT 1)');
    expect(inference.message).toContain('batch sizes (size×batches): 4×5');
  });

  it('judges a generation model by time to first token and tokens per second', () => {
    const snapshot = fakeGenerationSnapshot();
    expect(judgeBudget(snapshot, { model: 'chat', ttftMs: 200, tokensPerSecond: 30 }).pass).toBe(true);
    const slow = judgeBudget(snapshot, { model: 'chat', ttftMs: 150, tokensPerSecond: 55 });
    expect(slow.pass).toBe(false);
    expect(slow.message).toContain('model "chat" broke its latency budget (time to first token p95, tokens/s (median))');
    expect(slow.message).toMatch(/✗ time to first token p95 1\d\d ms > budget 150 ms/);
    expect(slow.message).toMatch(/✗ tokens\/s \(median\) 4\d(\.\d+)?\/s < budget 55\/s/);
    expect(slow.message).toMatch(/^time to first token: n=10 /m);
  });

  it('fails clearly when the budget cannot be judged', () => {
    expect(judgeBudget(fakeLoad(samples), {}).message).toMatch(/the budget sets no limit; give at least one of p50Ms/);
    expect(judgeBudget(fakeLoad(samples), { p95Ms: -1 }).message).toBe('toMeetLatencyBudget: budget.p95Ms must be a number ≥ 0; got -1');
    expect(judgeBudget(fakeLoad(samples), { ttftMs: 100 }).message).toMatch(/name it with budget.model/);
    expect(judgeBudget(fakeSnapshot(), { model: 'vad', p95Ms: 1 }).message).toBe(
      'toMeetLatencyBudget: no model "vad" in the page\u2019s metrics; models: "embed"'.replace('\u2019', "'"),
    );
    expect(judgeBudget(fakeLoad(samples), { model: 'embed', p95Ms: 1 }).message).toMatch(/the load has no runtime metrics/);
    expect(judgeBudget({ p95: 3 }, { p95Ms: 1 }).pass).toBe(false);
    expect(judgeBudget(fakeSnapshot(), { model: 'embed', ttftMs: 100 }).message).toContain('✗ time to first token p95 no samples vs budget 100 ms');
  });
});
