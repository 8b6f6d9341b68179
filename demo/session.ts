/** What the demo page has loaded: the runtime and the task behind each panel. */
import type { EmbeddingTask, OcrTask, PoseTask, Runtime, TextGenerator, VadTask } from '../src/index';

/** The backend chosen in the page. */
export type DemoBackend = 'auto' | 'webgpu' | 'wasm';

/** The loaded tasks (a panel left out with `?panels=` has none). */
export interface DemoTasks {
  vad?: VadTask;
  pose?: PoseTask;
  ocr?: OcrTask;
  embed?: EmbeddingTask;
  gen?: TextGenerator;
}

/** One loaded page state; replaced as a whole when the models are reloaded. */
export interface DemoSession {
  readonly runtime: Runtime;
  readonly backend: DemoBackend;
  readonly tasks: DemoTasks;
}

/** The current session, and a way to wait for the next one while models (re)load. */
export class SessionHolder {
  private session: DemoSession | undefined;
  private waiters: ((session: DemoSession) => void)[] = [];

  /** The loaded session, if any. */
  get current(): DemoSession | undefined {
    return this.session;
  }

  /** The loaded session, or the next one once loaded. */
  ready(): Promise<DemoSession> {
    if (this.session !== undefined) return Promise.resolve(this.session);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Models are (re)loading: callers of `ready()` wait. */
  clear(): void {
    this.session = undefined;
  }

  /** A session finished loading. */
  set(session: DemoSession): void {
    this.session = session;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(session);
  }
}
