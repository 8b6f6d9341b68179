/**
 * One engine call at a time per session, most urgent first. An ONNX Runtime Web session
 * refuses a second concurrent `run()` ("Session already started", seen on WebGPU), and
 * the scheduler keeps up to two batches in flight per worker (plus an express slot for
 * more urgent work), so calls wait here. Waiting calls go in priority order (FIFO within
 * a priority), so an interactive frame that arrives behind a queued background batch
 * runs next, after only the call already running.
 */
import { priorityRank, type Priority } from '../src/scheduler/policy';

interface Waiter {
  readonly rank: number;
  readonly seq: number;
  readonly start: () => void;
}

/** A priority mutex for one session's runs. */
export class RunGate {
  private busy = false;
  private seq = 0;
  private readonly waiting: Waiter[] = [];

  /** Calls waiting for their turn (not counting the one running). */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Run `fn` when the session is free and no more urgent call is waiting. */
  async run<T>(fn: () => Promise<T>, priority: Priority = 'interactive'): Promise<T> {
    if (this.busy) {
      await new Promise<void>((start) => {
        const waiter = { rank: priorityRank[priority], seq: this.seq++, start };
        // Insert sorted by (rank, seq): queues are a handful long, so a scan is enough.
        const at = this.waiting.findIndex((w) => w.rank > waiter.rank);
        if (at < 0) this.waiting.push(waiter);
        else this.waiting.splice(at, 0, waiter);
      });
    }
    this.busy = true;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.busy = false;
      else next.start(); // stays busy: the baton passes straight to the next call
    }
  }
}
