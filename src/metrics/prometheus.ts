/**
 * Prometheus text exposition (format 0.0.4) of a metrics snapshot: summaries with
 * quantile labels for stage latencies (sliding window), counters for requests and
 * errors, gauges for queue depth and throughput.
 */
import type { GenerationMetrics, MetricsSnapshot, SeriesMetrics, Summary, TokenTotals } from './types';

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}

function summaryLines(name: string, labels: string, summary: Summary): string[] {
  return [
    ...(['0.5', '0.95', '0.99'] as const).map(
      (q) => `${name}{${labels},quantile="${q}"} ${number(q === '0.5' ? summary.p50 : q === '0.95' ? summary.p95 : summary.p99)}`,
    ),
    `${name}_sum{${labels}} ${number(summary.mean * summary.count || 0)}`,
    `${name}_count{${labels}} ${summary.count}`,
  ];
}

/** Render `snapshot` for a Prometheus scrape. */
export function prometheusText(snapshot: MetricsSnapshot): string {
  const lines: string[] = [];
  const models: readonly SeriesMetrics[] = snapshot.models;
  const base = (m: SeriesMetrics): string => `model="${label(m.name)}",modality="${label(m.modality)}",backend="${label(m.backend)}"`;
  lines.push('# HELP inpage_requests_total Requests accepted.', '# TYPE inpage_requests_total counter');
  for (const m of models) lines.push(`inpage_requests_total{${base(m)}} ${m.requests}`);
  lines.push('# HELP inpage_requests_completed_total Requests answered.', '# TYPE inpage_requests_completed_total counter');
  for (const m of models) lines.push(`inpage_requests_completed_total{${base(m)}} ${m.completed}`);
  lines.push('# HELP inpage_request_errors_total Failed requests by error code.', '# TYPE inpage_request_errors_total counter');
  for (const m of models) for (const [code, n] of Object.entries(m.errors)) lines.push(`inpage_request_errors_total{${base(m)},code="${label(code)}"} ${n}`);
  lines.push('# HELP inpage_worker_restarts_total Replicas loaded again into a fresh worker after theirs died.', '# TYPE inpage_worker_restarts_total counter');
  for (const m of models) lines.push(`inpage_worker_restarts_total{${base(m)}} ${m.workerRestarts}`);
  lines.push('# HELP inpage_request_retries_total Requests sent again on a fresh worker after theirs died.', '# TYPE inpage_request_retries_total counter');
  for (const m of models) lines.push(`inpage_request_retries_total{${base(m)}} ${m.retries}`);
  lines.push(`# HELP inpage_stage_duration_ms Stage latency over the last ${snapshot.windowMs / 1000} s.`, '# TYPE inpage_stage_duration_ms summary');
  for (const m of models)
    for (const [stage, s] of Object.entries(m.stages)) lines.push(...summaryLines('inpage_stage_duration_ms', `${base(m)},stage="${stage}"`, s.window));
  lines.push('# HELP inpage_batch_units Units per engine call over the window.', '# TYPE inpage_batch_units summary');
  for (const m of models) lines.push(...summaryLines('inpage_batch_units', base(m), m.batchUnits.window));
  lines.push('# HELP inpage_queue_depth Requests waiting.', '# TYPE inpage_queue_depth gauge');
  for (const m of models) lines.push(`inpage_queue_depth{${base(m)}} ${m.queueDepth}`);
  lines.push('# HELP inpage_in_flight Requests accepted and not yet answered or failed.', '# TYPE inpage_in_flight gauge');
  for (const m of models) lines.push(`inpage_in_flight{${base(m)}} ${m.inFlight}`);
  lines.push('# HELP inpage_throughput_per_second Completed requests per second over the window.', '# TYPE inpage_throughput_per_second gauge');
  for (const m of models) lines.push(`inpage_throughput_per_second{${base(m)}} ${number(m.throughputPerSecond)}`);
  const generating = models.filter((m) => m.generation !== undefined);
  if (generating.length > 0) {
    lines.push('# HELP inpage_time_to_first_token_ms Time to first token over the window.', '# TYPE inpage_time_to_first_token_ms summary');
    for (const m of generating) if (m.generation) lines.push(...summaryLines('inpage_time_to_first_token_ms', base(m), m.generation.timeToFirstTokenMs.window));
    lines.push('# HELP inpage_inter_token_ms Inter-token latency over the window.', '# TYPE inpage_inter_token_ms summary');
    for (const m of generating) if (m.generation) lines.push(...summaryLines('inpage_inter_token_ms', base(m), m.generation.interTokenMs.window));
    const summary = (name: string, help: string, pick: (g: GenerationMetrics) => Summary): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} summary`);
      for (const m of generating) if (m.generation) lines.push(...summaryLines(name, base(m), pick(m.generation)));
    };
    summary('inpage_prefill_ms', 'Engine time of each prefill over the window.', (g) => g.prefillMs.window);
    summary('inpage_decode_step_ms', 'Engine time of the decode step behind each generated token over the window.', (g) => g.decodeStepMs.window);
    summary('inpage_decode_batch_size', 'Sequences decoded in one engine call, per generated token, over the window.', (g) => g.decodeBatchSize.window);
    const tokens = (name: string, help: string, pick: (t: TokenTotals) => number): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const m of generating) if (m.generation) lines.push(`${name}{${base(m)}} ${pick(m.generation.tokens)}`);
    };
    tokens('inpage_prompt_tokens_total', 'Prompt tokens of finished generations.', (t) => t.prompt);
    tokens('inpage_cached_prompt_tokens_total', 'Prompt tokens the KV prefix cache supplied.', (t) => t.cachedPrompt);
    tokens('inpage_generated_tokens_total', 'Tokens generated.', (t) => t.generated);
  }
  const caches = snapshot.caches;
  const counter = (name: string, help: string, value: (c: (typeof caches)[number]) => number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const c of caches) lines.push(`${name}{cache="${label(c.name)}"} ${number(value(c))}`);
  };
  counter('inpage_cache_hits_total', 'Cache lookups answered from the cache.', (c) => c.hits);
  counter('inpage_cache_misses_total', 'Cache lookups that missed.', (c) => c.misses);
  counter('inpage_cache_written_bytes_total', 'Bytes written into the cache.', (c) => c.bytesWritten);
  counter('inpage_cache_evictions_total', 'Entries evicted for room.', (c) => c.evictions);
  counter('inpage_cache_integrity_failures_total', 'Stored entries that failed their hash or size check.', (c) => c.integrityFailures);
  counter('inpage_cache_warnings_total', 'Degradations (no room, storage unavailable).', (c) => c.warnings);
  return `${lines.join('\n')}\n`;
}
