import { describe, expect, it } from 'vitest';
import { InferenceError, WorkerCrashedError } from './errors';
import { Replica } from './replica';
import type { WorkerClient } from './worker-client';

/** A stand-in worker client: answers with `answer(n)` for the n-th call, or dies when `die()` was called. */
function client(name: string) {
  const state = { closed: false, crashed: false, calls: 0, released: 0 };
  const pending: ((error: Error) => void)[] = [];
  const stub = {
    name,
    get closed() {
      return state.closed;
    },
    get crashed() {
      return state.crashed;
    },
    call<T>(fn: (api: unknown) => Promise<T>): Promise<T> {
      if (state.closed) return Promise.reject(new WorkerCrashedError(`Worker "${name}" is dead.`));
      state.calls += 1;
      return new Promise<T>((resolve, reject) => {
        pending.push(reject);
        // Answers on the next tick unless the worker dies first.
        setTimeout(() => {
          if (!state.closed) fn(name).then(resolve, reject);
        }, 1);
      });
    },
  };
  const die = (): void => {
    state.closed = true;
    state.crashed = true;
    for (const reject of pending.splice(0)) reject(new WorkerCrashedError(`Worker "${name}" stopped without an error.`));
  };
  return { client: stub as unknown as WorkerClient, state, die };
}

function replicaOver(first: WorkerClient, fresh: () => Promise<WorkerClient>) {
  const events: string[] = [];
  const released: string[] = [];
  const replica = new Replica(
    first,
    fresh,
    async (live) => {
      released.push(live.name);
    },
    { restarted: () => events.push('restart'), retried: (n) => events.push(`retry ${n}`) },
  );
  return { replica, events, released };
}

const answerWithWorkerName = (api: unknown): Promise<string> => Promise.resolve(String(api));

describe('Replica', () => {
  it('retries every call in flight once on one fresh worker when its worker dies', async () => {
    const a = client('a');
    const b = client('b');
    let revived = 0;
    const { replica, events } = replicaOver(a.client, async () => {
      revived += 1;
      return b.client;
    });
    const calls = Array.from({ length: 8 }, () => replica.call(answerWithWorkerName, { requests: 2 }));
    a.die();
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 8 }, () => 'b'));
    expect(revived).toBe(1);
    expect(events.filter((e) => e === 'restart')).toHaveLength(1);
    expect(events.filter((e) => e === 'retry 2')).toHaveLength(8);
    expect(replica.client).toBe(b.client);
  });

  it('fails with WORKER_CRASHED when the fresh worker dies too: one retry, not more', async () => {
    const a = client('a');
    const b = client('b');
    const { replica } = replicaOver(a.client, async () => b.client);
    const call = replica.call(answerWithWorkerName);
    a.die();
    await new Promise((resolve) => setTimeout(resolve, 0));
    b.die();
    await expect(call).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
  });

  it('does not retry with retry: false, nor errors other than a dead worker', async () => {
    const a = client('a');
    const { replica, events } = replicaOver(a.client, async () => client('b').client);
    const noRetry = replica.call(answerWithWorkerName, { retry: false });
    a.die();
    await expect(noRetry).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    const c = client('c');
    const other = replicaOver(c.client, async () => client('d').client);
    await expect(other.replica.call(() => Promise.reject(new InferenceError('bad op')))).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    expect(other.events).toEqual([]);
    expect(events).toEqual([]);
  });

  it('heals before the next call when the worker died with nothing in flight', async () => {
    const a = client('a');
    const b = client('b');
    const { replica, events } = replicaOver(a.client, async () => b.client);
    a.die();
    expect(await replica.call(answerWithWorkerName)).toBe('b');
    expect(events).toEqual(['restart']);
  });

  it('says why when the model cannot be loaded again, and tries again on the next call', async () => {
    const a = client('a');
    const b = client('b');
    let attempts = 0;
    const { replica } = replicaOver(a.client, async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('weights gone');
      return b.client;
    });
    const call = replica.call(answerWithWorkerName);
    a.die();
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as WorkerCrashedError).message).toContain('weights gone');
    expect(await replica.call(answerWithWorkerName)).toBe('b');
  });

  it('frees what a heal loaded when the model was disposed meanwhile, and heals no more', async () => {
    const a = client('a');
    const b = client('b');
    let finishRevive: (c: WorkerClient) => void = () => undefined;
    const { replica, released } = replicaOver(
      a.client,
      () =>
        new Promise<WorkerClient>((resolve) => {
          finishRevive = resolve;
        }),
    );
    const call = replica.call(answerWithWorkerName);
    a.die();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const disposed = replica.dispose();
    finishRevive(b.client);
    await expect(call).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    await disposed;
    expect(released).toEqual(['b']);
  });
});
