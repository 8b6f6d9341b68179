/**
 * Workers that die are replaced: a worker killed with requests in flight (a crash, a
 * silent `self.close()`, a `terminate()` from outside) is noticed, a fresh worker starts
 * under the same key, the model loads there again (weights from the IndexedDB cache), and
 * every request in flight or queued is sent once more. The handle heals itself: the app
 * reloads nothing. Restarts and retries show in the metrics.
 */
import { expect, test } from './fixtures/page';

type Way = 'crash' | 'close' | 'terminate';
const wayName: Record<Way, string> = { crash: 'a crash', close: 'self.close()', terminate: 'terminate()' };

// Each kill costs a fresh worker and a model load (ORT's WASM compiled again: 3–15 s here).
// CI runs the bounded form: 5 kills that take turns between the three ways. The full form
// (`INPAGE_FAULTS=full`) kills 5 times each way.
const plans: Way[][] =
  process.env.INPAGE_FAULTS === 'full'
    ? [Array<Way>(5).fill('crash'), Array<Way>(5).fill('close'), Array<Way>(5).fill('terminate')]
    : [['crash', 'close', 'terminate', 'crash', 'close']];
test.describe.configure({ timeout: 600_000 });

for (const plan of plans) {
  const ways = [...new Set(plan)].map((way) => wayName[way]).join(', ');
  test(`a model killed 5 times (${ways}) under 64 requests in flight: none hangs, ≥ 99% answered correctly, restarts and retries counted`, async ({
    harness,
  }) => {
    const result = await harness.evaluate(async (plan) => {
      const { createRuntime, tensor } = window.inpage;
      const { sessionWorkerUrl } = window.harness;
      const workers: Worker[] = [];
      const runtime = createRuntime({
        // The real session worker, wrapped so that the spec can make it crash or close itself.
        createWorker: (name) => {
          const source = `import ${JSON.stringify(sessionWorkerUrl)};
self.addEventListener('message', (event) => {
  if (event.data === 'inpage-test:close') self.close();
  if (event.data === 'inpage-test:crash') setTimeout(() => { throw new Error('engine exploded'); });
});`;
          const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module', name });
          workers.push(worker);
          return worker;
        },
      });
      const frame = (i: number) => ({
        input: tensor(
          'float32',
          [1, 576],
          new Float32Array(576).map((_, k) => Math.sin((k + 7 * i) / 5) * 0.3 * ((i % 4) + 1)),
        ),
        state: tensor('float32', [2, 1, 128], new Float32Array(256)),
        sr: tensor('int64', [], BigInt64Array.of(16000n)),
      });
      const vad = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm', id: 'vad' });
      const expected: number[] = [];
      for (let i = 0; i < 64; i += 1) expected.push(Number((await vad.run(frame(i))).output?.data[0]));
      const rounds: (string[] | 'hung')[] = [];
      for (const how of plan) {
        const calls = Array.from({ length: 64 }, (_, i) =>
          vad.run(frame(i)).then(
            (r) => (Math.abs(Number(r.output?.data[0]) - (expected[i] ?? Number.NaN)) < 1e-5 ? 'ok' : 'wrong'),
            (e: unknown) => (e instanceof window.inpage.InpageError ? e.code : String(e)),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 2)); // the first batches are in the worker
        const live = workers[workers.length - 1];
        if (how === 'terminate') live?.terminate();
        else live?.postMessage(`inpage-test:${how}`);
        rounds.push(await Promise.race([Promise.all(calls), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 120_000))]));
      }
      // The handle works without a reload, whether or not the last kill caught calls in flight.
      const after = Number((await vad.run(frame(3))).output?.data[0]);
      const metrics = runtime.metrics.snapshot().models.find((m) => m.name === 'vad');
      const text = runtime.metrics.prometheus();
      const workersStarted = workers.length;
      await runtime.dispose();
      return {
        rounds,
        after,
        expected3: expected[3],
        workersStarted,
        restarts: metrics?.workerRestarts,
        retries: metrics?.retries,
        errors: metrics?.errors,
        restartLine: text.split('\n').find((line) => line.startsWith('inpage_worker_restarts_total{model="vad"')),
      };
    }, plan);
    expect(result.rounds).not.toContain('hung');
    const outcomes = result.rounds.flatMap((round) => (round === 'hung' ? [] : round));
    expect(outcomes).toHaveLength(320);
    const ok = outcomes.filter((o) => o === 'ok').length;
    expect(ok / outcomes.length, `outcomes: ${JSON.stringify(outcomes.filter((o) => o !== 'ok'))}`).toBeGreaterThanOrEqual(0.99);
    expect(outcomes.filter((o) => o === 'wrong')).toEqual([]);
    expect(result.after).toBeCloseTo(Number(result.expected3), 5);
    // One fresh worker per kill, each loaded once; retries counted.
    expect(result.workersStarted).toBe(6);
    expect(result.restarts).toBe(5);
    expect(result.retries).toBeGreaterThan(0);
    expect(result.restartLine).toMatch(/ 5$/);
  });
}

test('a task (pose) heals too: calls in flight when its worker dies are answered by a fresh worker, an ImageBitmap input included', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime } = window.inpage;
    const { sessionWorkerUrl } = window.harness;
    const workers: Worker[] = [];
    const runtime = createRuntime({
      createWorker: (name) => {
        const worker = new Worker(new URL(sessionWorkerUrl), { type: 'module', name });
        workers.push(worker);
        return worker;
      },
    });
    const pose = await runtime.pose({ backend: 'wasm', name: 'pose' });
    const blob = await (await fetch('/samples/astronaut.jpg')).blob();
    const reference = (await pose.detect(blob)).keypoints.map((k) => [k.x, k.y]);
    const bitmap = await createImageBitmap(blob);
    const calls = [pose.detect(bitmap), ...Array.from({ length: 5 }, () => pose.detect(blob)), pose.detect('/samples/astronaut.jpg')];
    await new Promise((resolve) => setTimeout(resolve, 20));
    workers[0]?.terminate();
    const answers = await Promise.race([Promise.allSettled(calls), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 90_000))]);
    const metrics = runtime.metrics.snapshot().models.find((m) => m.name === 'pose');
    const workersStarted = workers.length;
    await runtime.dispose();
    return {
      answers:
        answers === 'hung'
          ? 'hung'
          : answers.map((a) =>
              a.status === 'fulfilled'
                ? a.value.keypoints.map((k) => [k.x, k.y])
                : a.reason instanceof window.inpage.InpageError
                  ? a.reason.code
                  : String(a.reason),
            ),
      reference,
      bitmapClosed: bitmap.width === 0,
      workersStarted,
      restarts: metrics?.workerRestarts,
      retries: metrics?.retries,
    };
  });
  expect(result.answers).not.toBe('hung');
  const answers = result.answers as (number[][] | string)[];
  expect(answers).toHaveLength(7);
  for (const answer of answers) {
    expect(Array.isArray(answer), String(answer)).toBe(true);
    const points = answer as number[][];
    points.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(result.reference[i]?.[0] ?? Number.NaN, 4);
      expect(y).toBeCloseTo(result.reference[i]?.[1] ?? Number.NaN, 4);
    });
  }
  // The caller's bitmap is closed once its call settled, as a transfer would leave it.
  expect(result.bitmapClosed).toBe(true);
  expect(result.workersStarted).toBe(2);
  expect(result.restarts).toBe(1);
  expect(result.retries).toBeGreaterThanOrEqual(1);
});
