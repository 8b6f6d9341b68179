/**
 * Worker lifecycle: `dispose()` really terminates the workers, later calls fail with
 * `DISPOSED`, a worker that dies while loading fails the load with `WORKER_CRASHED`, the
 * runtime starts a fresh worker for the next load, and a stuck worker is caught by the
 * watchdog (deaths under load and self-healing: `worker-healing.spec.ts`).
 */
import type { Model, Runtime } from '../src/index';
import { expect, test } from './fixtures/page';

declare global {
  interface Window {
    /** Handles kept between two `evaluate` calls of the dispose test. */
    lifecycle?: { runtime: Runtime; vad: Model; pose: Model };
  }
}

test('runtime.dispose() terminates every worker and later calls fail with DISPOSED', async ({ harness }) => {
  const closed: string[] = [];
  harness.on('worker', (worker) => worker.on('close', () => closed.push(worker.url())));
  await harness.evaluate(async () => {
    const runtime = window.inpage.createRuntime();
    const vad = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm' });
    const pose = await runtime.load({ format: 'tfjs-graph', source: '/models/movenet-lightning/movenet-lightning.json', backend: 'wasm' });
    window.lifecycle = { runtime, vad, pose };
  });
  const sessionWorkers = () => harness.workers().filter((w) => w.url().includes('session-worker'));
  expect(sessionWorkers()).toHaveLength(2);

  const result = await harness.evaluate(async () => {
    const held = window.lifecycle;
    if (held === undefined) throw new Error('first evaluate did not run');
    const { runtime, vad, pose } = held;
    const { caught } = window.harness;
    const { tensor } = window.inpage;
    await runtime.dispose();
    return {
      disposed: runtime.disposed && vad.disposed && pose.disposed,
      models: runtime.models.length,
      run: await caught(
        vad.run({
          input: tensor('float32', [1, 576], new Float32Array(576)),
          state: tensor('float32', [2, 1, 128], new Float32Array(256)),
          sr: tensor('int64', [], BigInt64Array.of(16000n)),
        }),
      ),
      load: await caught(runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx' })),
    };
  });
  expect(result.disposed).toBe(true);
  expect(result.models).toBe(0);
  expect(result.run).toMatchObject({ code: 'DISPOSED', name: 'DisposedError', isOwnClass: true });
  expect(result.load).toMatchObject({ code: 'DISPOSED' });
  await expect.poll(() => closed.filter((url) => url.includes('session-worker')).length).toBe(2);
  expect(sessionWorkers()).toHaveLength(0);
});

test('model.dispose() frees one model; its worker keeps serving the others', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime, tensor } = window.inpage;
    const { caught } = window.harness;
    const runtime = createRuntime();
    const a = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm', id: 'vad-a' });
    const b = await runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm', id: 'vad-b' });
    const inputs = () => ({
      input: tensor('float32', [1, 576], new Float32Array(576)),
      state: tensor('float32', [2, 1, 128], new Float32Array(256)),
      sr: tensor('int64', [], BigInt64Array.of(16000n)),
    });
    await a.dispose();
    const afterDispose = await caught(a.run(inputs()));
    const other = await b.run(inputs());
    const ids = runtime.models.map((m) => m.id);
    await runtime.dispose();
    return { afterDispose, otherDims: other.output?.dims, ids };
  });
  expect(result.afterDispose).toMatchObject({ code: 'DISPOSED', model: 'vad-a' });
  expect(result.otherDims).toEqual([1, 1]);
  expect(result.ids).toEqual(['vad-b']);
});

test('a worker that dies fails pending calls with WORKER_CRASHED; the next load gets a fresh worker', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime } = window.inpage;
    const { caught } = window.harness;
    let created = 0;
    const runtime = createRuntime({
      createWorker: (name) => {
        created += 1;
        if (created === 1) {
          // Dies as soon as the first message (configure) arrives, with that call pending.
          const source = 'self.onmessage = () => { setTimeout(() => { throw new Error("engine exploded"); }); };';
          return new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { name });
        }
        // Fails to start: the script is not there.
        return new Worker('/no-such-worker.js', { type: 'module', name });
      },
    });
    const crashedMidCall = await caught(runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm' }));
    const failedToStart = await caught(runtime.load({ format: 'onnx', source: '/models/silero_vad_v5.onnx', backend: 'wasm' }));
    await runtime.dispose();
    return { crashedMidCall, failedToStart, created };
  });
  expect(result.crashedMidCall).toMatchObject({ code: 'WORKER_CRASHED', name: 'WorkerCrashedError', isOwnClass: true });
  expect(result.crashedMidCall?.message).toContain('engine exploded');
  expect(result.failedToStart).toMatchObject({ code: 'WORKER_CRASHED' });
  // The second load did not reuse the dead worker.
  expect(result.created).toBe(2);
});

test('a worker stuck in a busy loop is caught by the watchdog: every call in flight is answered by a fresh worker, none hangs', async ({ harness }) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime, tensor } = window.inpage;
    const { caught, sessionWorkerUrl } = window.harness;
    const workers: Worker[] = [];
    const runtime = createRuntime({
      // Short, to keep the test quick; long enough for a fresh worker's first calls on a busy machine.
      workerWatchdogMs: 5000,
      createWorker: (name) => {
        const source = `import ${JSON.stringify(sessionWorkerUrl)};
self.addEventListener('message', (event) => { if (event.data === 'inpage-test:hang') for (;;) {} });`;
        const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module', name });
        workers.push(worker);
        return worker;
      },
    });
    const frame = () => ({
      input: tensor(
        'float32',
        [1, 576],
        new Float32Array(576).map((_, k) => Math.sin(k / 5) * 0.3),
      ),
      state: tensor('float32', [2, 1, 128], new Float32Array(256)),
      sr: tensor('int64', [], BigInt64Array.of(16000n)),
    });
    const source = '/models/silero_vad_v5.onnx';
    const vad = await runtime.load({ format: 'onnx', source, backend: 'wasm', id: 'vad' });
    const expected = (await vad.run(frame())).output?.data[0];
    workers[0]?.postMessage('inpage-test:hang'); // alive, but never answers again
    const calls = Array.from({ length: 16 }, () => caught(vad.run(frame())));
    const settled = await Promise.race([Promise.all(calls), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 60_000))]);
    const answer = (await vad.run(frame())).output?.data[0];
    const restarts = runtime.metrics.snapshot().models.find((m) => m.name === 'vad')?.workerRestarts;
    const badOption = await caught(Promise.resolve().then(() => createRuntime({ workerWatchdogMs: -1 })));
    await runtime.dispose();
    return {
      codes: settled === 'hung' ? 'hung' : settled.map((e) => (e === null ? 'ok' : (e.code ?? e.name))),
      expected,
      answer,
      restarts,
      workersStarted: workers.length,
      badOption,
    };
  });
  expect(result.codes).not.toBe('hung');
  // Retried once on the fresh worker, where they are answered.
  expect(new Set(result.codes)).toEqual(new Set(['ok']));
  expect(result.restarts).toBe(1);
  expect(result.workersStarted).toBe(2);
  expect(result.answer).toBeCloseTo(Number(result.expected), 6);
  expect(result.badOption).toMatchObject({ code: 'INVALID_OPTIONS', input: 'workerWatchdogMs' });
});
