/**
 * What WebGPU really is in a page: the adapter's vendor, architecture and description, and
 * whether it is a software one (SwiftShader and friends: WebGPU emulated on the CPU, which
 * makes GPU timings meaningless). Read in the page at run time, never assumed.
 */
import type { Page } from '@playwright/test';

/** The WebGPU adapter a page gets. */
export interface AdapterInfo {
  /** Whether `navigator.gpu.requestAdapter()` gave an adapter. */
  readonly available: boolean;
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** The adapter's own `isFallbackAdapter` (or `info.isFallbackAdapter`). */
  readonly isFallbackAdapter: boolean;
  /** A CPU implementation (fallback adapter, SwiftShader, llvmpipe/lavapipe, WARP): GPU speed numbers from it mean nothing. */
  readonly software: boolean;
  /** One line for people, e.g. `nvidia / hopper / NVIDIA H200` or `google / swiftshader (software: WebGPU on the CPU)`. */
  readonly summary: string;
}

/** Read the page's WebGPU adapter. A first request can answer null while the GPU process starts: it asks up to three times. */
export async function readAdapter(page: Page): Promise<AdapterInfo> {
  const raw = await page.evaluate(async () => {
    interface AdapterLike {
      readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string; readonly isFallbackAdapter?: boolean };
      readonly isFallbackAdapter?: boolean;
    }
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<AdapterLike | null> } } }).navigator?.gpu;
    if (gpu === undefined) return { ok: false as const, reason: 'no navigator.gpu (WebGPU disabled, or not a secure context)' };
    let adapter: AdapterLike | null = null;
    for (let attempt = 0; attempt < 3 && adapter === null; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500));
      adapter = await gpu.requestAdapter();
    }
    if (adapter === null) return { ok: false as const, reason: 'no adapter (WebGPU disabled or blocked, e.g. --disable-webgpu)' };
    return {
      ok: true as const,
      vendor: adapter.info?.vendor ?? '',
      architecture: adapter.info?.architecture ?? '',
      description: adapter.info?.description ?? '',
      fallback: adapter.isFallbackAdapter === true || adapter.info?.isFallbackAdapter === true,
    };
  });
  if (!raw.ok) return { available: false, vendor: '', architecture: '', description: '', isFallbackAdapter: false, software: false, summary: raw.reason };
  return adapterInfo(raw.vendor, raw.architecture, raw.description, raw.fallback);
}

const softwareNames = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|warp/i;

/** Name an adapter from its info, and tell a software one. */
export function adapterInfo(vendor: string, architecture: string, description: string, isFallbackAdapter: boolean): AdapterInfo {
  const software = isFallbackAdapter || softwareNames.test(`${vendor} ${architecture} ${description}`);
  const name = [vendor, architecture, description].filter((part) => part !== '').join(' / ') || 'unnamed adapter';
  const kind = /swiftshader/i.test(`${vendor} ${architecture} ${description}`) ? 'SwiftShader, WebGPU on the CPU' : 'WebGPU on the CPU';
  return { available: true, vendor, architecture, description, isFallbackAdapter, software, summary: software ? `${name} (software: ${kind})` : name };
}
