/**
 * Soak (issue 15, items 6 and 8): a long mixed load on one runtime, to show that nothing
 * grows with time. On the e2e harness page, per backend in BENCH_BACKENDS (default wasm):
 * - SOAK_VAD_STREAMS (16) live VAD streams, each pushing 512-sample chunks of
 *   /samples/speech-16k.wav at most in real time (one every 32 ms; as fast as answered
 *   when slower);
 * - SOAK_EMBED_CLIENTS (4) closed-loop embedding clients: new, never-seen texts (so the
 *   IndexedDB embedding store grows the whole time, and evicts once over its budget), and a
 *   SOAK_REPEAT_SHARE (0.25) of repeated texts (cache hits, checked against their first
 *   vectors);
 * - SOAK_POSE_CLIENTS (2) closed-loop pose clients on /samples/astronaut.jpg.
 * The load runs SOAK_SECONDS (600) after a warm-up that fills the embedding cache's memory
 * tier (SOAK_MEMORY_ENTRIES, the library's 10,000 by default) and runs the mix for
 * SOAK_WARMUP_SECONDS (65: the metrics' one-minute window full). Each request type gets count,
 * p50/p95/p99 and errors per window (SOAK_WINDOWS, 5, equal time slices, by request start)
 * and its p99 last ÷ first.
 *
 * Before and after the load (the load stopped, the embedding writes settled): the used JS
 * heap after a forced GC of the page and of every session worker (CDP, bench/cdp-heap.ts),
 * and what each worker holds, from its own bookkeeping (`resources()`: ONNX Runtime
 * sessions in the engine's map, TF.js `tf.memory()`) and a device-level count of live GPU
 * buffers (`window.harness.inspectableWorker`).
 *
 * The bars (≥ 50,000 requests, ≥ 10 minutes, p99 last ÷ first ≤ 1.3, heap within 5%, no
 * growth in sessions, tensors, GPU buffers) are PASS/FAIL lines in the report, not test
 * failures; the bench fails on request errors and on requests lost or hung (unanswered
 * SOAK_HANG_SECONDS, 60, after the load stops).
 *
 *   SOAK_SECONDS=60 npm run bench -- soak     (writes bench/results/soak.{json,md}; soak-<backend> with several backends)
 *
 * Every SOAK_* knob is also read as BENCH_SOAK_* (what reaches the GPU machine: `npm run bench:gpu` passes them on).
 */
import { expect, test, type Page } from '@playwright/test';
import type { InspectedWorker } from '../e2e/harness';
import { HeapReader, type HeapUsage } from './cdp-heap';
import { soakChecks, p99Ratio, windowStats, type Failure, type Sample, type WindowStats } from './soak-stats';
import { machineFacts, writeReport, type Row } from './support';

/** A SOAK_* knob, or its BENCH_SOAK_* spelling. */
function knob(name: string, fallback: number): number {
  const raw = process.env[name] ?? process.env[`BENCH_${name}`];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, got ${String(raw)}`);
  return value;
}

const backends = (process.env.BENCH_BACKENDS ?? 'wasm').split(',').filter((b): b is 'wasm' | 'webgpu' => b === 'wasm' || b === 'webgpu');
const config = {
  seconds: knob('SOAK_SECONDS', 600),
  windows: Math.max(1, Math.round(knob('SOAK_WINDOWS', 5))),
  // The runtime's metrics keep a one-minute sliding window (12 sketches of 5 s): a warm-up
  // shorter than that leaves the window filling up during the load, which reads as page heap growth.
  warmupSeconds: knob('SOAK_WARMUP_SECONDS', 65),
  vadStreams: Math.round(knob('SOAK_VAD_STREAMS', 16)),
  embedClients: Math.round(knob('SOAK_EMBED_CLIENTS', 4)),
  poseClients: Math.round(knob('SOAK_POSE_CLIENTS', 2)),
  repeatShare: knob('SOAK_REPEAT_SHARE', 0.25),
  memoryEntries: Math.round(knob('SOAK_MEMORY_ENTRIES', 10_000)),
  // The embedding cache's IndexedDB tier: on (1, the default) or off (0), and its budget in MiB (the library's 64 by default).
  embedPersist: knob('SOAK_EMBED_PERSIST', 1) !== 0,
  embedBudgetMiB: knob('SOAK_EMBED_BUDGET_MIB', 64),
  hangSeconds: knob('SOAK_HANG_SECONDS', 60),
};
/** How often the page's samples are drained to Node (so the page holds none for long). */
const drainEveryMs = 2000;

/** Request types, in report order. */
const types = ['vad', 'embed (new text)', 'embed (repeat)', 'pose'] as const;

/** What the page hands over on each drain. */
interface Drained {
  /** Per type: start (ms since the load began) and latency, flattened pairs. */
  readonly samples: Record<string, number[]>;
  readonly failures: { type: string; startMs: number; code: string }[];
  /** Every client has stopped. */
  readonly done: boolean;
  readonly inFlight: number;
  /** Age of the oldest request in flight, ms (0 when none). */
  readonly oldestMs: number;
  /** The load's start and (once done) end, `performance.now()` in the page. */
  readonly startedAt: number;
  readonly endedAt: number | undefined;
}

/** The in-page side, kept on `window.soakDriver` between `page.evaluate` calls. */
interface SoakDriver {
  /** Fill the embedding memory tier, then run the mix for `seconds` (nothing recorded). */
  warm(seconds: number): Promise<{ filled: number; fillSeconds: number; backends: Record<string, string> }>;
  /** Start the load for `seconds`; returns at once. */
  start(seconds: number): void;
  drain(): Drained;
  /** Wait until every embedding computed so far is in IndexedDB. */
  settle(): Promise<void>;
  /** Each session worker the runtime started, by name, and what it holds (null when it did not answer in 10 s). */
  resources(): Promise<{ name: string; held: InspectedWorker | null }[]>;
  /** The embedding cache's counters (hits by tier, misses, evictions …) from the runtime's metrics. */
  cacheStats(): unknown;
  dispose(): Promise<void>;
}

declare global {
  interface Window {
    soakDriver?: SoakDriver;
  }
}

/** Build the runtime, its three tasks and the load on the page. */
async function setUp(page: Page, backend: 'wasm' | 'webgpu'): Promise<void> {
  await page.evaluate(
    async ({ backend, config }) => {
      const { createRuntime, InpageError } = window.inpage;
      const { inspectableWorker, workerResources, loadWav } = window.harness;
      const workers: { name: string; worker: Worker }[] = [];
      const runtime = createRuntime({
        createWorker: (name) => {
          const worker = inspectableWorker(name);
          workers.push({ name, worker });
          return worker;
        },
        cache: { embeddings: { memoryEntries: config.memoryEntries, persist: config.embedPersist, budgetBytes: config.embedBudgetMiB * 2 ** 20 } },
      });
      const [vad, encoder, pose] = await Promise.all([runtime.vad({ backend }), runtime.embeddings({ backend }), runtime.pose({ backend })]);
      const { samples } = await loadWav('/samples/speech-16k.wav');
      const frameAt = (i: number) => {
        const at = (i * 512) % (samples.length - 512);
        return samples.slice(at, at + 512);
      };
      const photo = await (await fetch('/samples/astronaut.jpg')).blob();

      // Texts: the same few words in many orders and lengths (6–24 words, so token counts
      // vary like real sentences), each made unique by its number.
      const words = (
        'the a weather travel cooking music page model cache store window worker stream frame voice image text search ' +
        'quick slow bright quiet river mountain city garden morning evening train letter market song recipe camera'
      ).split(' ');
      let seed = 0x2545f491;
      const random = () => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) / 4294967296;
      };
      const run = Math.floor(Math.random() * 1e9).toString(36);
      let textCount = 0;
      const newText = (kind: string) => {
        textCount += 1;
        const length = 6 + Math.floor(random() * 19);
        const body = Array.from({ length }, () => words[Math.floor(random() * words.length)] ?? 'word').join(' ');
        return `${kind} ${run}-${textCount}: ${body}.`;
      };
      const repeated = Array.from(
        { length: 32 },
        (_, i) => `Repeated sentence ${i} about the ${words[(i * 7) % words.length] ?? ''} and the ${words[(i * 11) % words.length] ?? ''}.`,
      );
      const expected = await encoder.embed(repeated);

      // ── Recording: bounded buffers, drained by Node every few seconds ──
      type Sink = { samples: Record<string, number[]>; failures: { type: string; startMs: number; code: string }[] };
      const freshSink = (): Sink => ({ samples: {}, failures: [] });
      let sink = freshSink();
      let origin = 0;
      let recording = false;
      const inFlight = new Map<number, number>();
      let requestId = 0;
      const codeOf = (error: unknown) =>
        error instanceof InpageError ? error.code : error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : String(error);
      const record = async (type: string, call: () => Promise<void>) => {
        requestId += 1;
        const id = requestId;
        const start = performance.now();
        inFlight.set(id, start);
        try {
          await call();
          if (recording) (sink.samples[type] ??= []).push(start - origin, performance.now() - start);
        } catch (error) {
          if (recording) sink.failures.push({ type, startMs: start - origin, code: codeOf(error) });
        } finally {
          inFlight.delete(id);
        }
      };
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

      // ── The clients: each loops until `until` (performance.now()) ──
      const streams = Array.from({ length: config.vadStreams }, () => vad.stream({ call: { timeoutMs: 0 } }));
      const frameMs = 32;
      const framesPerStream = Math.floor(samples.length / 512);
      const cursors = streams.map((_, k) => Math.floor((k * framesPerStream) / Math.max(1, streams.length)));
      const vadClient = async (k: number, until: number) => {
        const stream = streams[k];
        if (stream === undefined) return;
        let due = performance.now();
        while (performance.now() < until) {
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
          if (performance.now() >= until) break;
          const frame = frameAt(cursors[k] ?? 0);
          cursors[k] = (cursors[k] ?? 0) + 1;
          await record('vad', async () => {
            await stream.push(frame);
          });
          due = Math.max(due + frameMs, performance.now());
        }
      };
      const embedClient = async (until: number) => {
        while (performance.now() < until) {
          if (random() < config.repeatShare) {
            const j = Math.floor(random() * repeated.length);
            await record('embed (repeat)', async () => {
              const [vector] = await encoder.embed(repeated[j] ?? '');
              const want = expected[j];
              if (vector === undefined || want === undefined || vector.length !== want.length || vector.some((v, d) => v !== want[d]))
                throw new Error('WRONG_RESULT: a repeated text came back with another vector');
            });
          } else
            await record('embed (new text)', async () => {
              const [vector] = await encoder.embed(newText('Soak'));
              if (vector?.length !== 512) throw new Error(`WRONG_RESULT: an embedding of length ${vector?.length ?? 0}`);
            });
        }
      };
      const poseClient = async (until: number) => {
        while (performance.now() < until)
          await record('pose', async () => {
            const result = await pose.detect(photo);
            if (result.keypoints.length !== 17) throw new Error(`WRONG_RESULT: ${result.keypoints.length} keypoints`);
          });
      };
      const mix = (until: number) =>
        Promise.all([
          ...streams.map((_, k) => vadClient(k, until)),
          ...Array.from({ length: config.embedClients }, () => embedClient(until)),
          ...Array.from({ length: config.poseClients }, () => poseClient(until)),
        ]);

      let load: { startedAt: number; endedAt: number | undefined } | undefined;
      const driver: SoakDriver = {
        async warm(seconds) {
          // The memory tier full before the start, so that its (bounded) growth is not read as a leak.
          const fillStart = performance.now();
          for (let filled = 0; filled < config.memoryEntries; filled += 64)
            await encoder.embed(Array.from({ length: Math.min(64, config.memoryEntries - filled) }, () => newText('Fill')));
          const fillSeconds = (performance.now() - fillStart) / 1000;
          await encoder.embed(repeated); // back to the fresh end of the memory tier, which the fill went past
          await mix(performance.now() + seconds * 1000);
          await encoder.cache?.settled();
          return {
            filled: config.memoryEntries,
            fillSeconds,
            backends: { vad: vad.backend, embeddings: encoder.backend, pose: pose.backend },
          };
        },
        start(seconds) {
          sink = freshSink();
          origin = performance.now();
          recording = true;
          const started = { startedAt: origin, endedAt: undefined as number | undefined };
          load = started;
          void mix(origin + seconds * 1000).then(() => {
            started.endedAt = performance.now();
          });
        },
        drain() {
          const out = sink;
          sink = freshSink();
          const now = performance.now();
          let oldest = now;
          for (const start of inFlight.values()) oldest = Math.min(oldest, start);
          return {
            ...out,
            done: load?.endedAt !== undefined,
            inFlight: inFlight.size,
            oldestMs: now - oldest,
            startedAt: load?.startedAt ?? Number.NaN,
            endedAt: load?.endedAt,
          };
        },
        async settle() {
          await encoder.cache?.settled();
        },
        async resources() {
          return Promise.all(
            workers.map(async ({ name, worker }) => ({
              name,
              held: await Promise.race([workerResources(worker), sleep(10_000).then(() => null)]),
            })),
          );
        },
        cacheStats() {
          return runtime.metrics.snapshot().caches.find((c) => c.name === 'embeddings') ?? null;
        },
        async dispose() {
          await runtime.dispose();
        },
      };
      window.soakDriver = driver;
    },
    { backend, config },
  );
}

/** A resource count per worker for the start/end comparison: what, value, and the bound of a bounded cache. */
type Count = readonly [what: string, value: number, limit?: number];

function countsOf(held: InspectedWorker): Count[] {
  const counts: Count[] = [
    ['models', held.models],
    ['tasks', held.tasks],
  ];
  const ort = held.engines.onnx;
  if (ort !== undefined) counts.push(['ORT sessions', ort.sessions]);
  const tfjs = held.engines['tfjs-graph'];
  // TF.js on WebGPU keeps free buffers for reuse, trimmed to a byte budget after each run.
  const poolBudget = tfjs?.gpuPoolBudgetBytes ?? undefined;
  if (tfjs !== undefined) {
    counts.push(['TF.js models', tfjs.sessions]);
    if (tfjs.tensors !== undefined) counts.push(['TF.js tensors', tfjs.tensors]);
    if (tfjs.tensorBytes !== undefined) counts.push(['TF.js tensor bytes', tfjs.tensorBytes]);
    if (tfjs.gpuBuffersInUse !== undefined) counts.push(['TF.js GPU buffers in use', tfjs.gpuBuffersInUse]);
    if (tfjs.gpuBuffers !== undefined) counts.push(['TF.js GPU buffers (in use + pool)', tfjs.gpuBuffers]);
    if (tfjs.gpuPoolFreeBytes !== undefined) counts.push(['TF.js GPU pool free bytes', tfjs.gpuPoolFreeBytes, poolBudget]);
    if (tfjs.gpuPoolTrimmed !== undefined) counts.push(['TF.js GPU pool buffers trimmed', tfjs.gpuPoolTrimmed]);
    if (tfjs.gpuBytesAllocated !== undefined) counts.push(['TF.js GPU bytes allocated', tfjs.gpuBytesAllocated]);
  }
  if (held.gpuBuffers !== null) {
    counts.push(['live GPU buffers (device)', held.gpuBuffers.live]);
    // Where TF.js pools: what is in use plus at most the pool's budget.
    const inUse = tfjs?.gpuBytes;
    const limit = poolBudget === undefined || inUse === undefined ? undefined : inUse + poolBudget;
    counts.push(['live GPU buffer bytes (device)', held.gpuBuffers.bytes, limit]);
  }
  return counts;
}

const mb = (bytes: number | undefined) => (bytes === undefined ? '' : bytes / 2 ** 20);

for (const backend of backends) {
  test(`soak: ${config.seconds} s of mixed load (${backend})`, async ({ page }) => {
    // Warm-up (the cache fill takes a minute or so on 2 cores), the load, the drain, two heap reads.
    test.setTimeout((config.seconds + config.warmupSeconds + config.hangSeconds + 900) * 1000);
    await page.goto('/e2e/harness.html');
    await page.locator('#status', { hasText: 'ready' }).waitFor();
    const heaps = await HeapReader.attach(page);
    await setUp(page, backend);
    const warm = await page.evaluate((seconds) => window.soakDriver?.warm(seconds), config.warmupSeconds);
    if (warm === undefined) throw new Error('the soak driver is missing');
    const heapStart = await heaps.read({ snapshot: true });
    const resourcesStart = await page.evaluate(() => window.soakDriver?.resources() ?? []);

    // ── The load: Node drains the page's samples every few seconds ──
    const samples = new Map<string, Sample[]>(types.map((t) => [t, []]));
    const failures = new Map<string, Failure[]>(types.map((t) => [t, []]));
    const take = (drained: Drained) => {
      for (const [type, pairs] of Object.entries(drained.samples)) {
        const into = samples.get(type) ?? [];
        for (let i = 0; i + 1 < pairs.length; i += 2) into.push({ startMs: pairs[i] ?? 0, ms: pairs[i + 1] ?? 0 });
        samples.set(type, into);
      }
      for (const f of drained.failures) {
        const into = failures.get(f.type) ?? [];
        into.push({ startMs: f.startMs, code: f.code });
        failures.set(f.type, into);
      }
    };
    await page.evaluate((seconds) => window.soakDriver?.start(seconds), config.seconds);
    const startedAt = Date.now();
    const stopBy = startedAt + (config.seconds + config.hangSeconds) * 1000;
    // The heap's course under load: after GC at each inner window boundary (a few ms of pause per target).
    const boundaries = Array.from({ length: config.windows - 1 }, (_, k) => ((k + 1) * config.seconds) / config.windows);
    const heapTrend: { atS: number; heaps: HeapUsage[] }[] = [];
    let last: Drained | undefined;
    let maxInFlightAgeMs = 0;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, drainEveryMs));
      last = await page.evaluate(() => window.soakDriver?.drain());
      if (last === undefined) throw new Error('the soak driver is missing');
      take(last);
      maxInFlightAgeMs = Math.max(maxInFlightAgeMs, last.oldestMs);
      const elapsedS = (Date.now() - startedAt) / 1000;
      const due = boundaries[heapTrend.length];
      if (!last.done && due !== undefined && elapsedS >= due) heapTrend.push({ atS: elapsedS, heaps: await heaps.read() });
      if (last.done || Date.now() > stopBy) break;
    }
    const hung = last.done ? 0 : last.inFlight;
    // A load that never ended (hung clients) ran at least its planned length.
    const loadSeconds = last.endedAt === undefined ? config.seconds : (last.endedAt - last.startedAt) / 1000;
    await page.evaluate(() => window.soakDriver?.settle());
    const heapEnd = await heaps.read({ snapshot: true });
    const resourcesEnd = await page.evaluate(() => window.soakDriver?.resources() ?? []);
    const cacheStats = await page.evaluate(() => window.soakDriver?.cacheStats());
    const browser = page.context().browser()?.version() ?? 'unknown';
    const machine = await machineFacts(page);

    // ── Numbers ──
    const durationMs = config.seconds * 1000;
    const perType = types.map((type) => {
      const windows = windowStats(samples.get(type) ?? [], failures.get(type) ?? [], durationMs, config.windows);
      return { type, windows, ratio: p99Ratio(windows), answered: samples.get(type)?.length ?? 0, errors: failures.get(type)?.length ?? 0 };
    });
    const answered = perType.reduce((sum, t) => sum + t.answered, 0);
    const errors = perType.reduce((sum, t) => sum + t.errors, 0);
    const requests = answered + errors;
    const errorCodes = new Map<string, number>();
    for (const list of failures.values()) for (const f of list) errorCodes.set(f.code, (errorCodes.get(f.code) ?? 0) + 1);

    const byTarget = (list: HeapUsage[]) => new Map(list.map((h) => [h.target, h]));
    const heapStartBy = byTarget(heapStart);
    const heapEndBy = byTarget(heapEnd);
    const heapRows = [...heapStartBy.values()].map((start) => ({ start, end: heapEndBy.get(start.target) }));
    const newTargets = heapEnd.filter((h) => !heapStartBy.has(h.target)).map((h) => h.target);

    const resourceEndBy = new Map(resourcesEnd.map((r) => [r.name, r.held]));
    const resourceRows: { target: string; what: string; start: number; end: number | undefined; limit?: number }[] = [];
    const unanswered = [...resourcesStart, ...resourcesEnd].filter((r) => r.held === null).map((r) => r.name);
    for (const { name, held } of resourcesStart) {
      if (held === null) continue;
      const endHeld = resourceEndBy.get(name) ?? null;
      const endCounts = new Map((endHeld === null ? [] : countsOf(endHeld)).map(([what, value, limit]) => [what, { value, limit }]));
      for (const [what, start] of countsOf(held)) {
        const end = endCounts.get(what);
        resourceRows.push({ target: name, what, start, end: end?.value, ...(end?.limit === undefined ? {} : { limit: end.limit }) });
      }
    }
    // No growth, or within its bound for a bounded cache. A pooling worker's device-level buffer
    // count is not judged (how many free buffers fit its byte budget depends on their sizes); its bytes are.
    const pooling = new Set(resourceRows.filter((r) => r.what === 'TF.js GPU pool free bytes' && r.limit !== undefined).map((r) => r.target));
    const judged = (r: { target: string; what: string }) =>
      [
        'models',
        'tasks',
        'ORT sessions',
        'TF.js models',
        'TF.js tensors',
        'TF.js GPU buffers in use',
        'TF.js GPU pool free bytes',
        'live GPU buffer bytes (device)',
      ].includes(r.what) ||
      (r.what === 'live GPU buffers (device)' && !pooling.has(r.target));

    const checks = soakChecks({
      requests,
      seconds: loadSeconds,
      p99Ratios: perType.filter((t) => t.answered + t.errors > 0).map((t) => ({ type: t.type, ratio: t.ratio })),
      heaps: heapRows.map(({ start, end }) => ({ target: start.target, start: start.usedSize, end: end?.usedSize })),
      resources: resourceRows.filter(judged),
      errors,
      hung,
    });

    // ── Report ──
    const rows: Row[] = [];
    for (const t of perType)
      for (const w of t.windows)
        rows.push({
          type: t.type,
          window: w.window,
          'from s': w.fromS,
          'to s': w.toS,
          requests: w.count,
          'req/s': w.perSecond,
          'p50 ms': w.p50,
          'p95 ms': w.p95,
          'p99 ms': w.p99,
          errors: w.errors,
        });
    const first = (w: readonly WindowStats[]) => w[0]?.p99 ?? Number.NaN;
    const lastOf = (w: readonly WindowStats[]) => w.at(-1)?.p99 ?? Number.NaN;
    for (const t of perType)
      rows.push({
        'request type': t.type,
        requests: t.answered + t.errors,
        'req/s': (t.answered + t.errors) / loadSeconds,
        errors: t.errors,
        'p99 first window ms': first(t.windows),
        'p99 last window ms': lastOf(t.windows),
        'p99 last ÷ first': t.ratio,
      });
    for (const { start, end } of heapRows)
      rows.push({
        'heap (used, after GC)': start.target,
        'start MB': mb(start.usedSize),
        'end MB': mb(end?.usedSize),
        'end ÷ start': end === undefined ? 'gone' : end.usedSize / start.usedSize,
        'JS objects start MB': mb(start.objectBytes),
        'JS objects end MB': mb(end?.objectBytes),
        'objects end ÷ start': end?.objectBytes === undefined || start.objectBytes === undefined ? '' : end.objectBytes / start.objectBytes,
        'code start MB': mb(start.codeBytes),
        'code end MB': mb(end?.codeBytes),
        'backing stores start MB': mb(start.backingStorageSize),
        'backing stores end MB': mb(end?.backingStorageSize),
      });
    for (const { start, end } of heapRows) {
      const trend: Row = { 'heap trend (used MB after GC)': start.target, 'before the load': mb(start.usedSize) };
      for (const point of heapTrend) trend[`at ${point.atS.toFixed(0)} s (under load)`] = mb(point.heaps.find((h) => h.target === start.target)?.usedSize);
      trend['after the load'] = mb(end?.usedSize);
      rows.push(trend);
    }
    for (const r of resourceRows)
      rows.push({ worker: r.target, resource: r.what, start: r.start, end: r.end ?? 'gone', 'end − start': r.end === undefined ? '' : r.end - r.start });
    for (const c of checks) rows.push({ check: c.check, bar: c.bar, measured: c.measured, result: c.pass ? 'PASS' : 'FAIL' });

    const failed = checks.filter((c) => !c.pass);
    writeReport({
      name: backends.length === 1 ? 'soak' : `soak-${backend}`,
      title: `Soak: ${config.seconds} s of mixed load (VAD streams, embeddings of new and repeated texts, pose), ${backend}`,
      environment: {
        browser: `Chromium ${browser}`,
        backend,
        webgpu: machine.webgpu,
        cores: machine.cores,
        seconds: config.seconds,
        windows: config.windows,
        clients: `${config.vadStreams} VAD streams (≤ real time), ${config.embedClients} embedding clients (${Math.round(config.repeatShare * 100)}% repeated texts), ${config.poseClients} pose clients`,
        embeddingStore: config.embedPersist ? `IndexedDB tier on, budget ${config.embedBudgetMiB} MiB` : 'IndexedDB tier off (memory only)',
        warmUp: `embedding memory tier filled with ${warm.filled} texts in ${warm.fillSeconds.toFixed(1)} s, then ${config.warmupSeconds} s of the mix`,
        taskBackends: JSON.stringify(warm.backends),
        command: [
          ...Object.entries(process.env)
            .filter(([key]) => /^(BENCH_)?SOAK_/.test(key) && key !== 'SOAK_SECONDS' && key !== 'BENCH_SOAK_SECONDS')
            .map(([key, value]) => `${key.replace(/^BENCH_/, '')}=${value ?? ''}`),
          `SOAK_SECONDS=${config.seconds} BENCH_BACKENDS=${backend} npm run bench -- soak`,
        ].join(' '),
      },
      rows,
      notes: [
        `**${requests.toLocaleString('en-US')} requests in ${loadSeconds.toFixed(1)} s (${(requests / loadSeconds).toFixed(0)} req/s)**, ${errors} errors` +
          `${errorCodes.size > 0 ? ` (${[...errorCodes].map(([c, n]) => `${c} × ${n}`).join(', ')})` : ''}, ${hung} lost or hung` +
          ` (oldest request in flight at any drain: ${maxInFlightAgeMs.toFixed(0)} ms).`,
        `**Bars: ${checks.length - failed.length} of ${checks.length} held**${failed.length > 0 ? `; FAIL: ${failed.map((c) => `${c.check} (${c.measured}, bar ${c.bar})`).join('; ')}` : ''}.`,
        ...(newTargets.length > 0 ? [`Workers started during the load (restarts?): ${newTargets.join(', ')}.`] : []),
        ...(heaps.failures.length > 0 ? [`Heap reads a worker did not answer: ${heaps.failures.join('; ')}.`] : []),
        ...(unanswered.length > 0 ? [`Workers that did not answer \`resources()\` in 10 s: ${unanswered.join(', ')}.`] : []),
        `Embedding cache at the end: ${JSON.stringify(cacheStats)}.`,
        'Windows: equal slices of the load by request start; a request started in the last moments counts in the last window even when it ends after the load. ' +
          'Heap: `HeapProfiler.collectGarbage` (twice) then `Runtime.getHeapUsage` over CDP in the page and in each session worker, with the load stopped ' +
          'and the embedding writes settled, after the warm-up and again after the load (the bar is on this used heap). A heap snapshot of each then splits it: ' +
          '`JS objects` (objects, arrays, strings, closures, numbers, shapes: where a leak of data shows) and `code` (bytecode, optimised code, feedback: grows ' +
          'while the JIT still optimises, then levels off). The trend rows are the same GC and read at each inner window boundary, under load. ' +
          'The page\u2019s objects include the runtime\u2019s metrics: a one-minute sliding window of latency sketches per model and stage (full after the ' +
          'warm-up) and since-start sketches, whose buckets still grow slowly (logarithmically) as the latency tails widen. ' +
          'WASM memories (ONNX Runtime, TF.js on wasm) are not in the JS heap; ' +
          'TF.js tensors and ORT sessions stand for them. Resources: each worker\u2019s `resources()` (the ORT engine\u2019s session map, TF.js `tf.memory()`) and ' +
          'GPU buffers counted at the device in the worker (created minus destroyed or collected). Counts are judged by no growth, except where TF.js ' +
          'pools free buffers on WebGPU: there the buffers in use must not grow, the pool\u2019s free bytes must stay within its budget, and the ' +
          'device\u2019s bytes within what is in use plus that budget (how many free buffers the budget holds depends on their sizes).',
        'Performance bars are reported here, not asserted (timings on a shared machine are too noisy to fail a run on); the bench fails on request errors and lost or hung requests.',
      ],
    });

    await page.evaluate(() => window.soakDriver?.dispose());
    await heaps.detach();
    expect(errorCodes.size === 0 ? [] : [...errorCodes], 'request errors during the soak').toEqual([]);
    expect(hung, 'requests lost or hung after the load stopped').toBe(0);
  });
}
