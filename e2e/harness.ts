/**
 * The e2e harness page: exposes the library and a few test-only helpers on `window`
 * so Playwright specs can drive them with `page.evaluate`.
 */
import { wrap, type Remote } from 'comlink';
import * as inpage from '../src/index';
import type { WorkerApi, WorkerResources } from '../src/protocol';
import { decodeWav16 } from '../demo/wav';
// inpage/testing's in-page load driver and statistics: the benches measure with the same code the kit sends to apps' pages.
import { closedPlan } from '../node/testing/load';
import { runLoad } from '../node/testing/page-driver';
import { quantile } from '../node/testing/stats';
// The session worker's built script, for specs that start (and then kill) workers themselves.
import sessionWorkerUrl from '../workers/session-worker.ts?worker&url';

/** A caught error, as plain data a spec can assert on. */
export interface CaughtError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  /** `instanceof InpageError` held in the page. */
  readonly isInpageError: boolean;
  /** `instanceof` the class its name says, e.g. `InvalidInputError`. */
  readonly isOwnClass: boolean;
  readonly model?: string;
  readonly input?: string;
  readonly expected?: string;
  readonly got?: string;
  readonly backend?: string;
}

/** Live GPU buffers in one worker, counted at the device (every engine's buffers, pooled ones included). */
export interface GpuBufferCount {
  /** Created and neither destroyed nor garbage-collected. */
  readonly live: number;
  /** Their bytes. */
  readonly bytes: number;
  /** Created since the worker started. */
  readonly created: number;
}

/** What an inspectable worker holds: its own `resources()` and, where WebGPU exists, its live GPU buffers. */
export interface InspectedWorker extends WorkerResources {
  /** `null` where the worker has no WebGPU (`GPUDevice` undefined). */
  readonly gpuBuffers: GpuBufferCount | null;
}

/** Helpers the specs use inside the page. */
export interface HarnessHelpers {
  /** Await `promise`; return how it failed, or `null` when it resolved. */
  caught: (promise: Promise<unknown>) => Promise<CaughtError | null>;
  /** Fetch a 16-bit PCM WAV and return its samples as floats in [-1, 1]. */
  loadWav: (url: string) => Promise<{ sampleRate: number; samples: Float32Array<ArrayBuffer> }>;
  /** Fetch an image and return it resized to `size`×`size` as int32 RGB, NHWC. */
  imageToInt32Rgb: (url: string, size: number) => Promise<{ width: number; height: number; pixels: Int32Array }>;
  /** Absolute URL of the session worker's script (what `createRuntime()` starts). */
  sessionWorkerUrl: string;
  /**
   * Start the session worker for `createRuntime({ createWorker })`, with a counter of live GPU
   * buffers installed before the worker's code runs (`GPUDevice.prototype.createBuffer` and
   * `GPUBuffer.prototype.destroy` wrapped; a buffer collected without `destroy()` counts as
   * freed). For benches that watch what workers hold over time (`workerResources`).
   */
  inspectableWorker: (name: string) => Worker;
  /** What a worker from `inspectableWorker` holds now (its `resources()` over comlink, and the GPU buffer counter). */
  workerResources: (worker: Worker) => Promise<InspectedWorker>;
}

/**
 * Runs first in an inspectable worker (a module of its own, imported before the session
 * worker's): counts GPU buffers at the device and answers `{ 'inpage-bench': 'gpu-buffers', nonce }`.
 */
const gpuBufferCounterSource = `
const counter = { live: 0, bytes: 0, created: 0 };
const hasGpu = typeof GPUDevice !== 'undefined' && typeof GPUBuffer !== 'undefined';
if (hasGpu) {
  const collected = new FinalizationRegistry((size) => { counter.live -= 1; counter.bytes -= size; });
  const create = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (descriptor) {
    const buffer = create.call(this, descriptor);
    counter.live += 1;
    counter.bytes += buffer.size;
    counter.created += 1;
    collected.register(buffer, buffer.size, buffer);
    return buffer;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function () {
    if (collected.unregister(this)) { counter.live -= 1; counter.bytes -= this.size; }
    return destroy.call(this);
  };
}
self.addEventListener('message', (event) => {
  const data = event.data;
  if (data !== null && typeof data === 'object' && data['inpage-bench'] === 'gpu-buffers')
    self.postMessage({ 'inpage-bench-gpu': hasGpu ? { ...counter } : null, nonce: data.nonce });
});
`;

/** One comlink proxy per inspected worker (each `wrap` adds a message listener). */
const remotes = new WeakMap<Worker, Remote<WorkerApi>>();
let nonces = 0;

function gpuBuffersOf(worker: Worker): Promise<GpuBufferCount | null> {
  const nonce = `gpu-${(nonces += 1)}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.removeEventListener('message', onMessage);
      reject(new Error('the worker did not answer the GPU buffer count in 10 s'));
    }, 10_000);
    const onMessage = (event: MessageEvent) => {
      const data = event.data as { 'inpage-bench-gpu'?: GpuBufferCount | null; nonce?: string } | null;
      if (data === null || typeof data !== 'object' || data.nonce !== nonce || !('inpage-bench-gpu' in data)) return;
      clearTimeout(timer);
      worker.removeEventListener('message', onMessage);
      resolve(data['inpage-bench-gpu'] ?? null);
    };
    worker.addEventListener('message', onMessage);
    worker.postMessage({ 'inpage-bench': 'gpu-buffers', nonce });
  });
}

const errorClasses: Record<string, unknown> = {
  AbortedError: inpage.AbortedError,
  AssetError: inpage.AssetError,
  DeadlineExceededError: inpage.DeadlineExceededError,
  QueueFullError: inpage.QueueFullError,
  SupersededError: inpage.SupersededError,
  BackendUnavailableError: inpage.BackendUnavailableError,
  DisposedError: inpage.DisposedError,
  InferenceError: inpage.InferenceError,
  IntegrityError: inpage.IntegrityError,
  InvalidInputError: inpage.InvalidInputError,
  InvalidOptionsError: inpage.InvalidOptionsError,
  ModelLoadError: inpage.ModelLoadError,
  ModelNotFoundError: inpage.ModelNotFoundError,
  WorkerCrashedError: inpage.WorkerCrashedError,
};

const absoluteWorkerUrl = new URL(sessionWorkerUrl, location.href).href;

const helpers: HarnessHelpers = {
  sessionWorkerUrl: absoluteWorkerUrl,
  inspectableWorker(name) {
    const counter = URL.createObjectURL(new Blob([gpuBufferCounterSource], { type: 'text/javascript' }));
    const entry = `import ${JSON.stringify(counter)};\nimport ${JSON.stringify(absoluteWorkerUrl)};\n`;
    return new Worker(URL.createObjectURL(new Blob([entry], { type: 'text/javascript' })), { type: 'module', name });
  },
  async workerResources(worker) {
    let remote = remotes.get(worker);
    if (remote === undefined) {
      remote = wrap<WorkerApi>(worker);
      remotes.set(worker, remote);
    }
    const [held, gpuBuffers] = await Promise.all([remote.resources(), gpuBuffersOf(worker)]);
    return { ...held, gpuBuffers };
  },
  async caught(promise) {
    try {
      await promise;
      return null;
    } catch (error) {
      if (!(error instanceof Error)) return { name: typeof error, message: String(error), isInpageError: false, isOwnClass: false };
      const own = errorClasses[error.name];
      const base = { name: error.name, message: error.message, isOwnClass: typeof own === 'function' && error instanceof own };
      if (!(error instanceof inpage.InpageError)) return { ...base, isInpageError: false };
      return { ...base, isInpageError: true, code: error.code, ...error.fields() };
    }
  },
  async loadWav(url) {
    const response = await fetch(url);
    return decodeWav16(await response.arrayBuffer());
  },
  async imageToInt32Rgb(url, size) {
    const blob = await (await fetch(url)).blob();
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(size, size);
    const context = canvas.getContext('2d');
    if (context === null) throw new Error('no 2d context');
    context.drawImage(bitmap, 0, 0, size, size);
    const rgba = context.getImageData(0, 0, size, size).data;
    const pixels = new Int32Array(size * size * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      pixels[j] = rgba[i] ?? 0;
      pixels[j + 1] = rgba[i + 1] ?? 0;
      pixels[j + 2] = rgba[i + 2] ?? 0;
    }
    return { width: bitmap.width, height: bitmap.height, pixels };
  },
};

/** The kit's load driver for in-page benches: `runLoad(call, closedPlan(call, { clients, durationMs }))`, and nearest-rank `quantile`. */
const inpageLoad = { runLoad, closedPlan, quantile };

declare global {
  interface Window {
    inpage: typeof inpage;
    harness: HarnessHelpers;
    inpageLoad: typeof inpageLoad;
  }
}

window.inpage = inpage;
window.harness = helpers;
window.inpageLoad = inpageLoad;
const status = document.getElementById('status');
if (status !== null) status.textContent = 'ready';
