/**
 * Heap after GC of a page and of each of its dedicated workers, read over one CDP session
 * (`HeapProfiler.collectGarbage`, then `Runtime.getHeapUsage`).
 *
 * With `snapshot`, each target's heap is also taken apart by a heap snapshot: the bytes of
 * JS objects (objects, arrays, strings, closures, numbers, shapes) apart from V8's compiled
 * code and its metadata (bytecode, optimised code, feedback), which grows for a while as
 * functions get optimised and so tells a warming JIT from a leak.
 *
 * Playwright's CDP sessions cannot address a flattened child session, so the page's session
 * auto-attaches to its workers in the older, non-flattened mode: a worker's commands travel
 * as `Target.sendMessageToTarget` and its answers come back as
 * `Target.receivedMessageFromTarget` events. This is a session of its own, beside
 * Playwright's, so it changes nothing about how Playwright sees the page. Attach before the
 * workers start (it also attaches to those already running).
 */
import type { CDPSession, Page } from '@playwright/test';

/** One target's V8 heap, bytes. */
export interface HeapUsage {
  /** `page`, or the worker's name (`self.name`: the runtime's worker key, e.g. `audio-onnx`). */
  readonly target: string;
  readonly kind: 'page' | 'worker';
  /** Used JS heap after a full GC. */
  readonly usedSize: number;
  /** Heap reserved by V8. */
  readonly totalSize: number;
  /** Blink/embedder objects on the heap (when the browser reports it). */
  readonly embedderHeapUsedSize?: number;
  /** ArrayBuffer and external string backing stores (WASM memories are not in it). */
  readonly backingStorageSize?: number;
  /** From a heap snapshot (when asked): JS objects' own bytes, compiled code and V8 internals left out. */
  readonly objectBytes?: number;
  /** From a heap snapshot (when asked): V8's code objects (bytecode, optimised code, feedback). */
  readonly codeBytes?: number;
}

/** The parts of a heap snapshot that {@link snapshotSplit} reads. */
export interface HeapSnapshotJson {
  readonly snapshot: { readonly meta: { readonly node_fields: readonly string[]; readonly node_types: readonly unknown[] } };
  readonly nodes: readonly number[];
}

/** Node types of a V8 heap snapshot that are JS objects (what a leak of the page's own data grows). */
const objectTypes = new Set([
  'object',
  'closure',
  'array',
  'string',
  'concatenated string',
  'sliced string',
  'regexp',
  'number',
  'bigint',
  'symbol',
  'object shape',
]);

/** A heap snapshot's self sizes summed into JS objects and V8 code (`code` nodes); the rest (native, hidden, synthetic) is left out. */
export function snapshotSplit(json: HeapSnapshotJson): { objectBytes: number; codeBytes: number } {
  const fields = json.snapshot.meta.node_fields;
  const typeNames = json.snapshot.meta.node_types[0];
  if (!Array.isArray(typeNames)) throw new Error('a heap snapshot without node type names');
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const sizeAt = fields.indexOf('self_size');
  let objectBytes = 0;
  let codeBytes = 0;
  for (let i = 0; i + stride <= json.nodes.length; i += stride) {
    const type: unknown = typeNames[json.nodes[i + typeAt] ?? -1];
    const size = json.nodes[i + sizeAt] ?? 0;
    if (type === 'code') codeBytes += size;
    else if (typeof type === 'string' && objectTypes.has(type)) objectBytes += size;
  }
  return { objectBytes, codeBytes };
}

interface RawHeapUsage {
  readonly usedSize: number;
  readonly totalSize: number;
  readonly embedderHeapUsedSize?: number;
  readonly backingStorageSize?: number;
}

interface ChildMessage {
  readonly id?: number;
  readonly result?: unknown;
  readonly error?: { readonly message: string };
  readonly method?: string;
  readonly params?: { readonly chunk?: string };
}

/** Reads the heap of a page and its workers. */
export class HeapReader {
  private readonly workers = new Map<string, { readonly url: string }>();
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  /** Workers that did not answer a read, with why (`read` leaves them out of its answer). */
  readonly failures: string[] = [];
  /** Heap snapshot chunks arriving, by session (the page's under ''). */
  private readonly chunks = new Map<string, string[]>();
  private nextId = 0;

  private constructor(private readonly session: CDPSession) {
    session.on('Target.attachedToTarget', (event) => {
      if (event.targetInfo.type === 'worker') this.workers.set(event.sessionId, { url: event.targetInfo.url });
    });
    session.on('Target.detachedFromTarget', (event) => {
      if (event.sessionId !== undefined) this.workers.delete(event.sessionId);
    });
    session.on('HeapProfiler.addHeapSnapshotChunk', (event) => this.chunks.get('')?.push(event.chunk));
    session.on('Target.receivedMessageFromTarget', (event) => {
      const message = JSON.parse(event.message) as ChildMessage;
      if (message.method === 'HeapProfiler.addHeapSnapshotChunk' && event.sessionId !== undefined)
        this.chunks.get(event.sessionId)?.push(message.params?.chunk ?? '');
      if (message.id === undefined) return; // an event of the child's
      const waiting = this.pending.get(message.id);
      if (waiting === undefined) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiting.reject(new Error(message.error.message));
      else waiting.resolve(message.result);
    });
  }

  /** A reader for `page`, attached to its current and future workers. */
  static async attach(page: Page): Promise<HeapReader> {
    const session = await page.context().newCDPSession(page);
    const reader = new HeapReader(session);
    await session.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    return reader;
  }

  /** Send `method` to a worker's session and wait for its answer (at most `timeoutMs`). */
  private call<T>(sessionId: string, method: string, params: object = {}, timeoutMs = 60_000): Promise<T> {
    this.nextId += 1;
    const id = this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${sessionId} did not answer ${method} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch((error: unknown) => {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  /** A worker's name (`self.name`; its URL when it has none). */
  private async workerName(sessionId: string, url: string): Promise<string> {
    const answer = await this.call<{ result: { value?: unknown } }>(sessionId, 'Runtime.evaluate', { expression: 'self.name', returnByValue: true });
    const name = answer.result.value;
    return typeof name === 'string' && name !== '' ? name : url;
  }

  /**
   * Collect garbage (twice: finalizers of the first pass free more) in the page and every
   * worker, then read each heap; with `snapshot`, also split it by a heap snapshot (a second
   * or two per target). Workers are read one at a time.
   */
  async read(options: { readonly snapshot?: boolean } = {}): Promise<HeapUsage[]> {
    const usages: HeapUsage[] = [];
    // Playwright types `send` per method name; these names are passed through as data.
    const page = async <T>(method: string, params: object = {}) => (await this.session.send(method as 'Runtime.getHeapUsage', params)) as T;
    usages.push({ target: 'page', kind: 'page', ...(await this.measure('', page, options.snapshot === true)) });
    for (const [sessionId, { url }] of [...this.workers]) {
      const worker = <T>(method: string, params: object = {}) => this.call<T>(sessionId, method, params);
      try {
        const name = await this.workerName(sessionId, url);
        usages.push({ target: name, kind: 'worker', ...(await this.measure(sessionId, worker, options.snapshot === true)) });
      } catch (error) {
        // A worker that cannot answer (stuck, or gone meanwhile) is left out and said so.
        this.failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return usages;
  }

  private async measure(
    chunkKey: string,
    send: <T>(method: string, params?: object) => Promise<T>,
    snapshot: boolean,
  ): Promise<Omit<HeapUsage, 'target' | 'kind'>> {
    for (let pass = 0; pass < 2; pass += 1) await send('HeapProfiler.collectGarbage');
    const usage = pick(await send<RawHeapUsage>('Runtime.getHeapUsage'));
    if (!snapshot) return usage;
    this.chunks.set(chunkKey, []);
    await send('HeapProfiler.enable');
    await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    await send('HeapProfiler.disable');
    const json = (this.chunks.get(chunkKey) ?? []).join('');
    this.chunks.delete(chunkKey);
    return { ...usage, ...snapshotSplit(JSON.parse(json) as HeapSnapshotJson) };
  }

  async detach(): Promise<void> {
    await this.session.detach();
  }
}

function pick(usage: RawHeapUsage): RawHeapUsage {
  return {
    usedSize: usage.usedSize,
    totalSize: usage.totalSize,
    ...(usage.embedderHeapUsedSize === undefined ? {} : { embedderHeapUsedSize: usage.embedderHeapUsedSize }),
    ...(usage.backingStorageSize === undefined ? {} : { backingStorageSize: usage.backingStorageSize }),
  };
}
