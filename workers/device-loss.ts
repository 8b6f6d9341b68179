/**
 * WebGPU device loss. A lost `GPUDevice` (a driver reset, the GPU process restarting, a
 * device destroyed under the engine) takes every WebGPU session built on it along, and
 * neither ONNX Runtime Web nor TF.js can build a new device inside the same WASM instance.
 *
 * So the worker ends itself, loudly: an error thrown outside any call reaches the page as
 * the worker's `error` event, which fails the calls in flight with `WORKER_CRASHED` and
 * makes the runtime heal every replica that lived here (`src/replica.ts`): a fresh worker,
 * the model loaded again on WebGPU if an adapter is still there, else on WASM with a
 * warning, and the calls sent once more. Nothing in flight is lost.
 */

import { messageOf, WorkerCrashedError } from '../src/errors';

const watched = new WeakSet<GPUDevice>();
const losses: Promise<string>[] = [];
let releasing = false;

/** Watch `device` (used by `engine`): once it is lost, end the worker so the page replaces it. */
export function watchDevice(device: GPUDevice, engine: string): void {
  if (watched.has(device)) return;
  watched.add(device);
  const lost = device.lost.then((info) => `WebGPU device lost under ${engine} (reason: ${info.reason || 'unknown'}${info.message ? `: ${info.message}` : ''})`);
  losses.push(lost);
  void lost.then((why) => {
    // Freeing everything (runtime disposal) may destroy devices on purpose.
    if (releasing) return;
    setTimeout(() => {
      throw new Error(`${why}; this worker cannot run its WebGPU sessions again`);
    });
  });
}

/**
 * Why a watched device was lost, waiting up to `withinMs` for a loss on its way: a call that
 * failed because its device went away usually fails before `lost` settles. Undefined when
 * no device was lost (or none is watched).
 */
export async function lostDevice(withinMs = 200): Promise<string | undefined> {
  if (losses.length === 0 || releasing) return undefined;
  return Promise.race([...losses, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), withinMs))]);
}

/**
 * `host` with every method guarded: a call that fails while a WebGPU device is lost fails
 * with `WORKER_CRASHED` (the page then replaces this worker and sends the call again)
 * instead of the engine's error about a dead device.
 */
export function guardDeviceLoss<T extends object>(host: T): T {
  return new Proxy(host, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = Reflect.apply(value, target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch(async (error: unknown) => {
          const why = await lostDevice();
          if (why === undefined) throw error;
          throw new WorkerCrashedError(`${why} during the call; the worker is replaced.`, { detail: messageOf(error) });
        });
      };
    },
  });
}

/** The worker is releasing every session: device losses from here on are expected. */
export function releasingAll(): void {
  releasing = true;
}
