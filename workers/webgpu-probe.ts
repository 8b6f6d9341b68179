/**
 * Whether WebGPU works in this worker. Asked once and remembered: requesting an
 * adapter is slow on SwiftShader and the answer does not change for the worker's life.
 */
import { messageOf } from '../src/errors';
import type { WebGpuFacts } from '../src/protocol';

/** The outcome of asking for a WebGPU adapter (the protocol's {@link WebGpuFacts}). */
export type WebGpuProbe = WebGpuFacts;

/** The adapter's name for reasons: vendor and description (or architecture). */
export function adapterName(gpu: WebGpuProbe): string {
  return [gpu.vendor, gpu.description || gpu.architecture].filter((part) => part !== undefined && part !== '').join(' ') || 'an unnamed adapter';
}

/** Why `'auto'` passes over a software adapter: the same words for both engines. */
export function softwareAdapterReason(gpu: WebGpuProbe): string {
  return `WebGPU here is a software adapter (${adapterName(gpu)}) that runs on the CPU, slower than WASM; ask for "webgpu" to use it anyway, or create the runtime with allowSoftwareWebGpu`;
}

let probe: Promise<WebGpuProbe> | undefined;

/**
 * Whether `adapter` runs WebGPU on the CPU. Chromium reports `isFallbackAdapter` on the
 * adapter's info (older builds on the adapter itself), but its SwiftShader adapter does
 * not always set it, so the name counts too.
 */
export function isSoftware(adapter: { readonly info: GPUAdapterInfo; readonly isFallbackAdapter?: boolean }): boolean {
  const info: Partial<GPUAdapterInfo> = adapter.info;
  if (info.isFallbackAdapter === true || adapter.isFallbackAdapter === true) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/.test(text);
}

async function ask(): Promise<WebGpuProbe> {
  // `navigator.gpu` exists only in secure contexts (https, localhost, 127.0.0.1).
  const gpu: GPU | undefined = 'gpu' in navigator ? navigator.gpu : undefined;
  if (gpu === undefined) return { available: false, reason: 'navigator.gpu is missing (WebGPU disabled, or not a secure context)' };
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter === null) return { available: false, reason: 'requestAdapter() returned no adapter' };
    const { vendor, architecture, description } = adapter.info;
    return { available: true, vendor, architecture, description, software: isSoftware(adapter) };
  } catch (error) {
    return { available: false, reason: `requestAdapter() threw: ${messageOf(error)}` };
  }
}

/** Probe WebGPU once per worker. */
export function probeWebGpu(): Promise<WebGpuProbe> {
  probe ??= ask();
  return probe;
}
