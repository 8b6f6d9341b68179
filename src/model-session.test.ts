/**
 * Sessions and the model repository on a model whose engine is a plain function (no
 * worker): a recurrent toy model `hN = h + x`, `y = sum(hN)`. Checks that a session carries
 * its state, that calls of many sessions batch together, that a rejected call leaves the
 * state alone, and that a repository model loads on use, unloads when idle and reloads.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveBatchPlan } from './batching/plan';
import { InvalidOptionsError } from './errors';
import { MetricsRegistry } from './metrics/registry';
import { createModel, type ManagedModel, type ModelAnswer, type ModelRequest } from './model';
import { RepositoryEntry } from './model-repository';
import { checkSequenceConfig, resolveSequence, type SequenceConfig } from './model-session';
import type { ModelInfo, TaskResult, TensorMap } from './protocol';
import { TaskQueue } from './tasks/task-queue';
import { tensor } from './tensor';
import type { WorkerClient } from './worker-client';
import { Replica } from './replica';

const info: ModelInfo = {
  modelId: 'rnn',
  format: 'onnx',
  backend: 'wasm',
  backendReason: 'asked for "wasm"',
  inputs: [
    { name: 'x', dtype: 'float32', shape: ['batch', 2] },
    { name: 'h', dtype: 'float32', shape: ['batch', 2] },
  ],
  outputs: [
    { name: 'y', dtype: 'float32', shape: ['batch', 1] },
    { name: 'hN', dtype: 'float32', shape: ['batch', 2] },
  ],
  loadMs: 1,
  weightBytes: 1000,
};
const sequence: SequenceConfig = { state: [{ input: 'h', output: 'hN' }] };

function data(map: TensorMap, name: string): Float32Array {
  const t = map[name];
  if (t?.dtype !== 'float32') throw new Error(`no float32 ${name}`);
  return t.data;
}

/** The toy model on a main-thread "engine"; `batches` records how many requests each call got. */
function toyModel(id = 'rnn', onDispose: () => void = () => undefined): { model: ManagedModel; batches: number[] } {
  const batches: number[] = [];
  const execute = async (requests: readonly ModelRequest[]): Promise<TaskResult<ModelAnswer>[]> => {
    batches.push(requests.length);
    await Promise.resolve();
    return requests.map(({ inputs }) => {
      const x = data(inputs, 'x');
      const h = data(inputs, 'h');
      const next = Float32Array.from(h, (v, i) => v + (x[i] ?? 0));
      const outputs = { y: tensor('float32', [1, 1], Float32Array.of(next.reduce((a, b) => a + b, 0))), hN: tensor('float32', [1, 2], next) };
      const timings = { prepareMs: 0, stackMs: 0, inferenceMs: 1, splitMs: 0, batch: requests.length };
      return { value: { outputs, timings }, timings: { preprocessMs: 0, inferenceMs: 1, postprocessMs: 0, engineCalls: 1 } };
    });
  };
  const plan = resolveBatchPlan(id, info.inputs, info.outputs, {});
  const queue = new TaskQueue<ModelRequest, ModelAnswer>(
    id,
    'audio',
    'wasm',
    { maxQueueDelayMs: 5, maxInFlightPerReplica: 1 },
    {},
    1,
    execute,
    new MetricsRegistry(),
  );
  const states = resolveSequence(id, sequence, plan, info.inputs, info.outputs);
  // A closed stand-in client: dispose() then makes no worker call.
  const client = new Replica(
    { closed: true } as WorkerClient,
    () => Promise.reject(new Error('no worker')),
    () => Promise.resolve(),
    noEvents,
  );
  return { model: createModel({ ...info, modelId: id }, [client], queue, plan, onDispose, false, states), batches };
}

const noEvents = { restarted: () => undefined, retried: () => undefined };
const x = (a: number, b: number): TensorMap => ({ x: tensor('float32', [1, 2], Float32Array.of(a, b)) });

describe('model sessions', () => {
  it('carry the state from call to call, per session, and batch calls of many sessions', async () => {
    const { model, batches } = toyModel();
    const [a, b] = [model.session(), model.session({ initial: { h: tensor('float32', [1, 2], Float32Array.of(10, 10)) } })];
    const steps = await Promise.all([a.run(x(1, 2)), b.run(x(1, 1))]);
    expect(steps.map((out) => data(out, 'y')[0])).toEqual([3, 22]);
    await Promise.all([a.run(x(1, 1)), b.run(x(0, 0))]);
    expect(Array.from(data(a.state(), 'h'))).toEqual([2, 3]);
    expect(Array.from(data(b.state(), 'h'))).toEqual([11, 11]);
    expect(a.calls).toBe(2);
    // With one batch in flight at a time, calls that wait meanwhile share an engine call.
    const more = [model.session(), model.session(), model.session(), model.session()];
    const ys = await Promise.all(more.map((s, i) => s.run(x(i, 0))));
    expect(ys.map((out) => data(out, 'y')[0])).toEqual([0, 1, 2, 3]);
    expect(Math.max(...batches)).toBeGreaterThan(1);
  });

  it('runs one session’s calls in order, each on the state the previous one left', async () => {
    const { model } = toyModel();
    const s = model.session();
    const outs = await Promise.all([s.run(x(1, 0)), s.run(x(1, 0)), s.run(x(1, 0))]);
    expect(outs.map((out) => data(out, 'y')[0])).toEqual([1, 2, 3]);
  });

  it('refuses a state input from the caller, and a rejected call leaves the state as it was', async () => {
    const { model } = toyModel();
    const s = model.session();
    await s.run(x(1, 1));
    await expect(s.run({ ...x(1, 1), h: tensor('float32', [1, 2], new Float32Array(2)) })).rejects.toMatchObject({ code: 'INVALID_INPUT', input: 'h' });
    await expect(s.run({ x: tensor('float32', [1, 3], new Float32Array(3)) })).rejects.toMatchObject({ code: 'INVALID_INPUT', input: 'x' });
    const controller = new AbortController();
    controller.abort();
    await expect(s.run(x(5, 5), { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Array.from(data(s.state(), 'h'))).toEqual([1, 1]);
    expect(s.calls).toBe(1);
  });

  it('resets, ends, and checks initial values', async () => {
    const { model } = toyModel();
    const s = model.session();
    await s.run(x(4, 4));
    await s.reset();
    expect(Array.from(data(s.state(), 'h'))).toEqual([0, 0]);
    s.end();
    await expect(s.run(x(1, 1))).rejects.toMatchObject({ code: 'INVALID_INPUT', input: 'session' });
    expect(() => model.session({ initial: { h: tensor('int32', [1, 2], new Int32Array(2)) } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', input: 'h' }),
    );
    expect(() => model.session({ initial: { x: tensor('float32', [1, 2], new Float32Array(2)) } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', input: 'initial.x' }),
    );
  });

  it('are refused on a model without a sequence config', () => {
    const plan = resolveBatchPlan('plain', info.inputs, info.outputs, {});
    const queue = new TaskQueue<ModelRequest, ModelAnswer>('plain', 'image', 'wasm', {}, {}, 1, () => Promise.resolve([]), new MetricsRegistry());
    const plain = createModel(
      info,
      [
        new Replica(
          { closed: true } as WorkerClient,
          () => Promise.reject(new Error('no worker')),
          () => Promise.resolve(),
          noEvents,
        ),
      ],
      queue,
      plan,
      () => undefined,
      false,
    );
    expect(() => plain.session()).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', input: 'sequence' }));
  });
});

describe('sequence configs', () => {
  const plan = resolveBatchPlan('rnn', info.inputs, info.outputs, {});
  const fails = (config: unknown, field: string): void => {
    const run = (): unknown => {
      checkSequenceConfig(config as SequenceConfig);
      return resolveSequence('rnn', config as SequenceConfig, plan, info.inputs, info.outputs);
    };
    expect(run).toThrow(InvalidOptionsError);
    expect(run).toThrow(expect.objectContaining({ input: field }));
  };
  it('name the field that is wrong', () => {
    fails({ state: [] }, 'sequence.state');
    fails({ state: [{ input: 'h' }] }, 'sequence.state[0]');
    fails({ state: [{ input: 'nope', output: 'hN' }] }, 'sequence.state[0].input');
    fails({ state: [{ input: 'h', output: 'nope' }] }, 'sequence.state[0].output');
    fails(
      {
        state: [
          { input: 'h', output: 'hN' },
          { input: 'h', output: 'y' },
        ],
      },
      'sequence.state[1].input',
    );
  });
  it('refuse state pairs batched on different axes', () => {
    const outputs = [{ name: 'hN', dtype: 'float32' as const, shape: [2, 'batch'] }];
    const skewed = resolveBatchPlan('rnn', info.inputs, outputs, { batchAxes: { hN: 1 } });
    expect(() => resolveSequence('rnn', sequence, skewed, info.inputs, outputs)).toThrow(expect.objectContaining({ input: 'sequence.state[0]' }));
  });
});

describe('repository models', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('load on first use, unload after idleUnloadMs, and load again on the next call; sessions survive', async () => {
    const loaded: string[] = [];
    const disposed: string[] = [];
    const entry = new RepositoryEntry('rnn', { format: 'onnx', source: '/rnn.onnx', idleUnloadMs: 1000, sequence }, (descriptor) => {
      loaded.push(descriptor.id ?? '?');
      return Promise.resolve(toyModel('rnn', () => disposed.push('rnn')).model);
    });
    expect(entry.status).toMatchObject({ id: 'rnn', state: 'unloaded', registered: true, backend: null, memoryBytes: 0, loads: 0 });
    const session = entry.session();
    expect(data(await session.run(x(1, 1)), 'y')[0]).toBe(2);
    expect(entry.status).toMatchObject({ state: 'loaded', backend: 'wasm', memoryBytes: 1000, loads: 1, idleUnloadMs: 1000 });
    await vi.advanceTimersByTimeAsync(999);
    expect(entry.status.state).toBe('loaded');
    await vi.advanceTimersByTimeAsync(2);
    expect(entry.status).toMatchObject({ state: 'unloaded', memoryBytes: 0, loads: 1 });
    expect(disposed).toEqual(['rnn']);
    // Transparent reload; the session's state lived on the main thread.
    expect(data(await session.run(x(1, 1)), 'y')[0]).toBe(4);
    expect(entry.status).toMatchObject({ state: 'loaded', loads: 2 });
    expect(loaded).toEqual(['rnn', 'rnn']);
  });

  it('never unloads under a call, and reports a failed load (the next call tries again)', async () => {
    let attempt = 0;
    const entry = new RepositoryEntry('rnn', { format: 'onnx', source: '/rnn.onnx', idleUnloadMs: 10, sequence }, () => {
      attempt += 1;
      return attempt === 1 ? Promise.reject(new InvalidOptionsError('bad graph', { input: 'x' })) : Promise.resolve(toyModel().model);
    });
    await expect(entry.run({ ...x(1, 1), h: tensor('float32', [1, 2], new Float32Array(2)) })).rejects.toThrow('bad graph');
    expect(entry.status).toMatchObject({ state: 'failed', error: { code: 'INVALID_OPTIONS', message: 'bad graph' } });
    const concurrent = await Promise.all([1, 2, 3].map((v) => entry.run({ ...x(v, v), h: tensor('float32', [1, 2], new Float32Array(2)) })));
    expect(concurrent.map((out) => data(out, 'y')[0])).toEqual([2, 4, 6]);
    expect(entry.status).toMatchObject({ state: 'loaded', loads: 1 });
    await entry.unload();
    expect(entry.status.state).toBe('unloaded');
    entry.dispose();
    await expect(entry.run(x(1, 1))).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(entry.status.state).toBe('disposed');
  });
});
