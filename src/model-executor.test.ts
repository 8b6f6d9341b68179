import { describe, expect, it } from 'vitest';
import { resolveBatchPlan } from './batching/plan';
import { modelExecutor, type ModelRequest } from './model';
import type { StackedRunResult, Tensor, TensorMap, WorkerApi } from './protocol';
import { tensor } from './tensor';
import type { WorkerClient } from './worker-client';
import { WorkerCrashedError } from './errors';
import { Replica } from './replica';

/** A stand-in worker: `y = 2x` over whatever batch it gets; records what it was sent, and gives inputs back when asked. */
function fakeWorker() {
  const sent: { inputs: TensorMap; giveBack: boolean | undefined }[] = [];
  const api: Pick<WorkerApi, 'runStacked'> = {
    async runStacked(_modelId, inputs, _priority, giveBack): Promise<StackedRunResult> {
      sent.push({ inputs, giveBack });
      const x = inputs.x;
      if (x?.dtype !== 'float32') throw new Error('no x');
      const y = tensor(
        'float32',
        x.dims,
        x.data.map((v) => v * 2),
      );
      return { outputs: { y }, timings: { prepareMs: 0.1, inferenceMs: 1 }, ...(giveBack === true ? { inputs } : {}) };
    },
  };
  // Only `call` is used by the executor; the rest of the client (the real worker) is not needed here.
  const client = { closed: false, crashed: false, call: <T>(fn: (remote: typeof api) => Promise<T>) => fn(api) } as unknown as WorkerClient;
  return { client: replicaOn(client), sent, raw: client };
}

const noEvents = { restarted: () => undefined, retried: () => undefined };
function replicaOn(client: WorkerClient, revive: () => Promise<WorkerClient> = () => Promise.reject(new Error('no fresh worker here'))): Replica {
  return new Replica(client, revive, () => Promise.resolve(), noEvents);
}

const plan = resolveBatchPlan('m', [{ name: 'x', dtype: 'float32', shape: [null, 3] }], [{ name: 'y', dtype: 'float32', shape: [null, 3] }], {});
const request = (rows: number, first: number): ModelRequest => ({
  inputs: {
    x: tensor(
      'float32',
      [rows, 3],
      Float32Array.from({ length: rows * 3 }, (_, i) => first + i),
    ),
  },
});
const values = (t: Tensor | undefined): number[] => (t?.dtype === 'float32' ? Array.from(t.data) : []);

describe('modelExecutor', () => {
  it('stacks a batch on the main thread into one message, splits the outputs back, and reuses the stacked buffer next batch', async () => {
    const { client, sent } = fakeWorker();
    const execute = modelExecutor('m', plan, [client]);
    const first = await execute([request(1, 0), request(2, 10)], 0, { priority: 'interactive' });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.inputs.x?.dims).toEqual([3, 3]);
    expect(sent[0]?.giveBack).toBe(true);
    expect(first.map((r) => values(r.value.outputs.y))).toEqual([
      [0, 2, 4],
      [20, 22, 24, 26, 28, 30],
    ]);
    expect(first.map((r) => r.value.outputs.y?.dims)).toEqual([
      [1, 3],
      [2, 3],
    ]);
    // Both answers share one timings object: the batch's, with the main thread's stacking and splitting.
    expect(first[0]?.value.timings).toBe(first[1]?.value.timings);
    expect(first[0]?.value.timings).toMatchObject({ inferenceMs: 1, prepareMs: 0.1 });
    expect(first[0]?.timings.engineCalls).toBe(1);
    const second = await execute([request(2, 100), request(1, 200)], 0, { priority: 'interactive' });
    expect(sent[1]?.inputs.x?.data.buffer).toBe(sent[0]?.inputs.x?.data.buffer);
    expect(second.map((r) => values(r.value.outputs.y))).toEqual([
      [200, 202, 204, 206, 208, 210],
      [400, 402, 404],
    ]);
  });

  it('sends a lone request as a pooled copy (the caller buffers detached, kept for a retry) and takes the copy back', async () => {
    const { client, sent } = fakeWorker();
    const execute = modelExecutor('m', plan, [client]);
    const lone = request(2, 5);
    const callerData = lone.inputs.x?.data;
    const [answer] = await execute([lone], 0, { priority: 'background' });
    expect(sent[0]?.inputs.x?.data === callerData).toBe(false);
    expect(values(sent[0]?.inputs.x)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(sent[0]?.giveBack).toBe(true);
    expect(callerData?.buffer.byteLength).toBe(0); // detached, as a transfer would leave it
    expect(values(answer?.value.outputs.y)).toEqual([10, 12, 14, 16, 18, 20]);
  });

  it('when the worker dies mid-batch, heals the replica and sends the batch again, built anew from the requests', async () => {
    const { raw: fresh, sent } = fakeWorker();
    let attempts = 0;
    const dead = {
      closed: false,
      crashed: false,
      call: () => {
        attempts += 1;
        dead.closed = true;
        dead.crashed = true;
        return Promise.reject(new WorkerCrashedError('Worker "onnx" stopped without an error.'));
      },
    };
    let revived = 0;
    const events: string[] = [];
    const replica = new Replica(
      dead as unknown as WorkerClient,
      () => {
        revived += 1;
        return Promise.resolve(fresh);
      },
      () => Promise.resolve(),
      { restarted: () => events.push('restart'), retried: (n) => events.push(`retry ${n}`) },
    );
    const execute = modelExecutor('m', plan, [replica]);
    const [stackedA, stackedB] = await Promise.all([
      execute([request(1, 0), request(2, 10)], 0, { priority: 'interactive' }),
      execute([request(1, 50)], 0, { priority: 'interactive' }),
    ]);
    expect(attempts).toBe(2);
    expect(revived).toBe(1); // one heal for both batches in flight
    expect(events.sort()).toEqual(['restart', 'retry 1', 'retry 2']);
    expect(stackedA?.map((r) => values(r.value.outputs.y))).toEqual([
      [0, 2, 4],
      [20, 22, 24, 26, 28, 30],
    ]);
    expect(values(stackedB?.[0]?.value.outputs.y)).toEqual([100, 102, 104]);
    expect(sent).toHaveLength(2);
  });
});
