/**
 * Whether WebGPU works in this worker. Asked once and remembered: requesting an
 * adapter is slow on SwiftShader and the answer does not change for the worker's life.
 */
import { messageOf } from '../src/errors';

/** The outcome of asking for a WebGPU adapter. */
export interface WebGpuProbe {
  readonly available: boolean;
  readonly vendor?: string;
  readonly architecture?: string;
  /** Why WebGPU is unavailable, when it is. */
  readonly reason?: string;
}

let probe: Promise<WebGpuProbe> | undefined;

async function ask(): Promise<WebGpuProbe> {
  // `navigator.gpu` exists only in secure contexts (https, localhost, 127.0.0.1).
  const gpu: GPU | undefined = 'gpu' in navigator ? navigator.gpu : undefined;
  if (gpu === undefined) return { available: false, reason: 'navigator.gpu is missing (WebGPU disabled, or not a secure context)' };
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter === null) return { available: false, reason: 'requestAdapter() returned no adapter' };
    return { available: true, vendor: adapter.info.vendor, architecture: adapter.info.architecture };
  } catch (error) {
    return { available: false, reason: `requestAdapter() threw: ${messageOf(error)}` };
  }
}

/** Probe WebGPU once per worker. */
export function probeWebGpu(): Promise<WebGpuProbe> {
  probe ??= ask();
  return probe;
}
