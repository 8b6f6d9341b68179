/**
 * The e2e harness page: exposes the library and a few test-only helpers on `window`
 * so Playwright specs can drive them with `page.evaluate`.
 */
import * as inpage from '../src/index';
import { decodeWav16 } from '../demo/wav';
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

const helpers: HarnessHelpers = {
  sessionWorkerUrl: new URL(sessionWorkerUrl, location.href).href,
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

declare global {
  interface Window {
    inpage: typeof inpage;
    harness: HarnessHelpers;
  }
}

window.inpage = inpage;
window.harness = helpers;
const status = document.getElementById('status');
if (status !== null) status.textContent = 'ready';
