/**
 * Aggregates per-file download progress into {@link LoadProgress} updates across all the
 * files of one load (an ONNX file; a TF.js `model.json` and its shards; a task's models),
 * throttled so a comlink callback is not called for every network chunk.
 */
import type { LoadProgress, LoadProgressSink } from '../protocol';

interface FileState {
  loaded: number;
  total: number | undefined;
  done: boolean;
}

/** Reports progress of one file. */
export type FileProgress = (loaded: number, total: number | undefined, from: 'network' | 'cache', done: boolean) => void;

/** Tracks every file of one load and reports to a sink. */
export class ProgressTracker {
  private readonly files = new Map<string, FileState>();
  private lastSent = Number.NEGATIVE_INFINITY;
  private overallSent = 0;

  /**
   * @param sink where updates go (nothing is tracked when undefined)
   * @param intervalMs at most one in-between update per file per this many ms (first and last always go)
   */
  constructor(
    private readonly sink: LoadProgressSink | undefined,
    private readonly intervalMs = 50,
  ) {}

  /** A reporter for `url`. */
  file(url: string): FileProgress {
    return (loaded, total, from, done) => {
      if (this.sink === undefined) return;
      let state = this.files.get(url);
      const first = state === undefined;
      if (state === undefined) {
        state = { loaded: 0, total, done: false };
        this.files.set(url, state);
      }
      state.loaded = Math.max(state.loaded, loaded);
      state.total = done ? state.loaded : total;
      state.done = state.done || done;
      const now = Date.now();
      if (!first && !done && now - this.lastSent < this.intervalMs) return;
      this.lastSent = now;
      this.send(url, state, from);
    };
  }

  private send(url: string, state: FileState, from: 'network' | 'cache'): void {
    let overallLoaded = 0;
    let overallTotal: number | undefined = 0;
    let filesDone = 0;
    for (const file of this.files.values()) {
      overallLoaded += file.loaded;
      overallTotal = overallTotal === undefined || file.total === undefined ? undefined : overallTotal + file.total;
      if (file.done) filesDone += 1;
    }
    // A file that re-downloads after a bad cache read never makes the sum go back.
    this.overallSent = Math.max(this.overallSent, overallLoaded);
    const progress: LoadProgress = {
      url,
      loaded: state.loaded,
      total: state.total,
      from,
      done: state.done,
      overallLoaded: this.overallSent,
      overallTotal: overallTotal === undefined ? undefined : Math.max(overallTotal, this.overallSent),
      files: this.files.size,
      filesDone,
    };
    try {
      this.sink?.(progress);
    } catch {
      // A throwing callback must not fail the load.
    }
  }
}
