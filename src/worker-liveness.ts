/**
 * Noticing a worker that stops without a word: `self.close()` in the worker, a
 * `terminate()` the runtime did not make, a context torn down. None of these fires an
 * `error` event, so calls in flight would wait forever.
 *
 * The worker holds a Web Lock (`navigator.locks`) named for it from `configure` on and
 * never lets go; the main thread asks for the same lock. The browser grants it the moment
 * the worker's context ends, however it ended: that grant is the death notice. No polling,
 * and a worker busy in a long engine call is not mistaken for a dead one.
 */

/** The slice of `navigator.locks` used here. */
interface LockManagerLike {
  request(name: string, callback: () => unknown): Promise<unknown>;
}

function lockManager(): LockManagerLike | undefined {
  if (typeof navigator === 'undefined') return undefined;
  const locks: LockManagerLike | undefined = navigator.locks;
  return typeof locks?.request === 'function' ? locks : undefined;
}

/** A lock name unique to one worker. */
export function lifeLockName(): string {
  const random =
    typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  return `inpage-worker-life:${random}`;
}

/**
 * Worker side: take the lock `name` and hold it for the worker's whole life. Resolves
 * `true` once it is held, `false` where Web Locks do not exist (the main thread then
 * cannot watch this worker this way).
 */
export async function holdForLife(name: string): Promise<boolean> {
  const locks = lockManager();
  if (locks === undefined) return false;
  return await new Promise<boolean>((held) => {
    void locks.request(name, () => {
      held(true);
      return new Promise<never>(() => undefined); // never released: only the worker's end lets go
    });
  });
}

/**
 * Main thread side: call `died` once the worker holding `name` is gone. Only call it after
 * the worker said it holds the lock ({@link holdForLife} resolved `true`), or the lock is
 * granted at once.
 */
export function whenGone(name: string, died: () => void): void {
  const locks = lockManager();
  if (locks === undefined) return;
  void locks.request(name, () => {
    died();
  });
}
