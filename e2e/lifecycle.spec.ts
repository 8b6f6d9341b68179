/**
 * Worker lifecycle: `dispose()` really terminates the workers, later calls fail with
 * `DISPOSED`, a worker that dies fails its pending calls with `WORKER_CRASHED`, and the
 * runtime starts a fresh worker for the next load.
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

for (const how of ['terminate', 'close'] as const) {
  test(`a worker that stops silently (${how === 'close' ? 'self.close()' : 'terminate()'}) fails every call in flight with WORKER_CRASHED, none hangs; the next load gets a fresh worker`, async ({
    harness,
  }) => {
    const result = await harness.evaluate(async (how) => {
      const { createRuntime, tensor } = window.inpage;
      const { caught, sessionWorkerUrl } = window.harness;
      const workers: Worker[] = [];
      const runtime = createRuntime({
        // The real session worker, wrapped so that the spec can make it close itself.
        createWorker: (name) => {
          const source = `import ${JSON.stringify(sessionWorkerUrl)};
self.addEventListener('message', (event) => { if (event.data === 'inpage-test:close') self.close(); });`;
          const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module', name });
          workers.push(worker);
          return worker;
        },
      });
      const frame = (i: number) => ({
        input: tensor(
          'float32',
          [1, 576],
          new Float32Array(576).map((_, k) => Math.sin((k + i) / 5) * 0.3),
        ),
        state: tensor('float32', [2, 1, 128], new Float32Array(256)),
        sr: tensor('int64', [], BigInt64Array.of(16000n)),
      });
      const source = '/models/silero_vad_v5.onnx';
      const vad = await runtime.load({ format: 'onnx', source, backend: 'wasm', id: 'vad' });
      const expected = (await vad.run(frame(0))).output?.data[0];
      const calls = Array.from({ length: 64 }, (_, i) => caught(vad.run(frame(i))));
      await new Promise((resolve) => setTimeout(resolve, 5)); // let the first batches reach the worker
      if (how === 'terminate') workers[0]?.terminate();
      else workers[0]?.postMessage('inpage-test:close');
      // Nothing may hang: every call settles within a bound.
      const settled = await Promise.race([Promise.all(calls), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
      const after = await caught(vad.run(frame(0)));
      const fresh = await runtime.load({ format: 'onnx', source, backend: 'wasm', id: 'vad-again' });
      const answer = (await fresh.run(frame(0))).output?.data[0];
      const workersStarted = workers.length;
      await runtime.dispose();
      return {
        codes: settled === 'hung' ? 'hung' : settled.map((e) => (e === null ? 'ok' : (e.code ?? e.name))),
        firstError: settled === 'hung' ? null : (settled.find((e) => e !== null) ?? null),
        after,
        expected,
        answer,
        workersStarted,
      };
    }, how);
    expect(result.codes).not.toBe('hung');
    const codes = result.codes as string[];
    expect(codes).toHaveLength(64);
    expect(codes.every((c) => c === 'ok' || c === 'WORKER_CRASHED')).toBe(true);
    expect(codes.filter((c) => c === 'WORKER_CRASHED').length).toBeGreaterThan(0);
    expect(result.firstError?.message).toContain('stopped without an error');
    expect(result.after).toMatchObject({ code: 'WORKER_CRASHED' });
    // The model reloads on a fresh worker and answers as before.
    expect(result.workersStarted).toBe(2);
    expect(result.answer).toBeCloseTo(Number(result.expected), 6);
  });
}

test('a worker stuck in a busy loop is caught by the watchdog: every call in flight fails with WORKER_CRASHED, none hangs; a fresh worker answers', async ({
  harness,
}) => {
  const result = await harness.evaluate(async () => {
    const { createRuntime, tensor } = window.inpage;
    const { caught, sessionWorkerUrl } = window.harness;
    const workers: Worker[] = [];
    const runtime = createRuntime({
      workerWatchdogMs: 2000,
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
    const settled = await Promise.race([Promise.all(calls), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    const fresh = await runtime.load({ format: 'onnx', source, backend: 'wasm', id: 'vad-again' });
    const answer = (await fresh.run(frame())).output?.data[0];
    const badOption = await caught(Promise.resolve().then(() => createRuntime({ workerWatchdogMs: -1 })));
    await runtime.dispose();
    return {
      codes: settled === 'hung' ? 'hung' : settled.map((e) => (e === null ? 'ok' : (e.code ?? e.name))),
      message: settled === 'hung' ? '' : (settled.find((e) => e !== null)?.message ?? ''),
      expected,
      answer,
      workersStarted: workers.length,
      badOption,
    };
  });
  expect(result.codes).not.toBe('hung');
  expect(new Set(result.codes)).toEqual(new Set(['WORKER_CRASHED']));
  expect(result.message).toContain('answered nothing');
  expect(result.workersStarted).toBe(2);
  expect(result.answer).toBeCloseTo(Number(result.expected), 6);
  expect(result.badOption).toMatchObject({ code: 'INVALID_OPTIONS', input: 'workerWatchdogMs' });
});
