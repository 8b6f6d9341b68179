import { afterEach, describe, expect, it, vi } from 'vitest';
import { holdForLife, lifeLockName, whenGone } from './worker-liveness';

/** A lock manager with Web Locks' exclusive-mode queueing; `end(holder)` plays a context ending. */
function fakeLocks() {
  const held = new Map<string, { release: () => void; waiting: (() => void)[] }>();
  return {
    request(name: string, callback: () => unknown): Promise<unknown> {
      return new Promise((resolve) => {
        const grant = (): void => {
          let release!: () => void;
          const done = new Promise<void>((r) => (release = r));
          held.set(name, { release, waiting: held.get(name)?.waiting ?? [] });
          void Promise.race([Promise.resolve(callback()), done]).then((value) => {
            const entry = held.get(name);
            held.delete(name);
            entry?.waiting.shift()?.();
            resolve(value);
          });
        };
        const entry = held.get(name);
        if (entry === undefined) grant();
        else entry.waiting.push(grant);
      });
    },
    end(name: string): void {
      held.get(name)?.release();
    },
  };
}

describe('worker liveness', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('names each worker uniquely', () => {
    expect(lifeLockName()).not.toBe(lifeLockName());
    expect(lifeLockName()).toMatch(/^inpage-worker-life:/);
  });

  it('reports death only once the holder is gone', async () => {
    const locks = fakeLocks();
    vi.stubGlobal('navigator', { locks });
    const name = lifeLockName();
    await expect(holdForLife(name)).resolves.toBe(true);
    const died = vi.fn();
    whenGone(name, died);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(died).not.toHaveBeenCalled();
    locks.end(name);
    await vi.waitFor(() => expect(died).toHaveBeenCalledTimes(1));
  });

  it('without Web Locks the worker says it is not watched and nothing fires', async () => {
    vi.stubGlobal('navigator', {});
    await expect(holdForLife('x')).resolves.toBe(false);
    const died = vi.fn();
    whenGone('x', died);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(died).not.toHaveBeenCalled();
  });
});
