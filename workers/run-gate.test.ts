import { describe, expect, it } from 'vitest';
import { RunGate } from './run-gate';

const deferred = () => {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('RunGate', () => {
  it('runs one call at a time, the most urgent waiting call next, FIFO within a priority', async () => {
    const gate = new RunGate();
    const order: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const first = deferred();
    const job = (name: string, wait?: Promise<void>) => async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      order.push(name);
      await wait;
      running -= 1;
      return name;
    };
    const all = [
      gate.run(job('bg-running', first.promise), 'background'),
      gate.run(job('bg-1'), 'background'),
      gate.run(job('bg-2'), 'background'),
      gate.run(job('interactive'), 'interactive'),
      gate.run(job('realtime'), 'realtime'),
      gate.run(job('interactive-2'), 'interactive'),
    ];
    expect(gate.waitingCount).toBe(5);
    first.resolve();
    await Promise.all(all);
    expect(order).toEqual(['bg-running', 'realtime', 'interactive', 'interactive-2', 'bg-1', 'bg-2']);
    expect(maxRunning).toBe(1);
    expect(gate.waitingCount).toBe(0);
  });

  it('a failing call passes the turn on', async () => {
    const gate = new RunGate();
    const failing = gate.run(() => Promise.reject(new Error('boom')));
    const next = gate.run(() => Promise.resolve(7));
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe(7);
  });
});
