/**
 * One decode step in each build of ONNX Runtime Web, side by side in one run: greedy
 * decoding of one sequence with ORT driven directly on a page (`bench/pages/ort-decode.ts`,
 * no inpage worker, queue or batcher), the KV cache kept in GPU buffers on WebGPU. Which
 * engine a WebGPU decoder should run on, measured rather than assumed:
 *   - `jsep`: `onnxruntime-web`, WebGPU kernels written in TypeScript (what inpage ships);
 *   - `webgpu-ep`: `onnxruntime-web/webgpu`, the native C++ WebGPU execution provider
 *     (Asyncify; the build transformers.js 4 runs on);
 *   - `jspi`: the same EP with JavaScript Promise Integration;
 *   - `jsep-cpu`: JSEP's build on its WASM provider, what inpage's WASM workers run;
 *   - `wasm`: `onnxruntime-web/wasm`, the CPU-only build, the bar each GPU build must clear.
 * Each build gets a fresh page, and runs on the page's main thread and in a dedicated worker
 * (where inpage hosts its sessions; BENCH_ORT_WHERE=page,worker picks). Every run's greedy
 * tokens are compared with WASM's on the page.
 * `BENCH_ORT_PROFILE=1` adds JSEP's GPU kernels per step and their GPU time.
 *
 * The decoders: BENCH_DECODER names folders under /models/ holding a GPT-2-layout
 * `decoder.onnx` (default `decoder`, the shipped fixture; `node scripts/decoder-124m.mjs
 * [--fused | --q4]` makes GPT-2 small's shape). Needs a hardware adapter to mean
 * anything (`npm run bench:gpu -- decode-ort-builds`); on SwiftShader it runs, slowly.
 *
 *   BENCH_DECODER=decoder npx playwright test -c bench/playwright.config.ts decode-ort-builds
 *   (writes bench/results/decode-ort-builds-<decoders joined by +>.{json,md}; BENCH_ORT_FLAVORS, BENCH_ROUNDS, BENCH_QUICK)
 */
import { expect, test } from '@playwright/test';
import type { DecodeResult } from './pages/ort-decode-run';
import type { Flavor } from './pages/ort-flavors';
import { machineFacts, writeReport, type Row } from './support';

/** A build and the execution provider it runs: `jsep-cpu` is JSEP's build on its WASM provider, what inpage's WASM workers run. */
const variantsOf: Readonly<Record<string, { readonly flavor: Flavor; readonly ep: 'webgpu' | 'wasm' }>> = {
  jsep: { flavor: 'jsep', ep: 'webgpu' },
  'webgpu-ep': { flavor: 'webgpu-ep', ep: 'webgpu' },
  jspi: { flavor: 'jspi', ep: 'webgpu' },
  'jsep-cpu': { flavor: 'jsep', ep: 'wasm' },
  wasm: { flavor: 'wasm', ep: 'wasm' },
};
const builds = (process.env.BENCH_ORT_FLAVORS?.split(',') ?? Object.keys(variantsOf)).flatMap((name) => {
  const variant = variantsOf[name];
  return variant === undefined ? [] : [{ name, ...variant }];
});
type Where = 'page' | 'worker';
const places = (process.env.BENCH_ORT_WHERE ?? 'page,worker').split(',').filter((w): w is Where => w === 'page' || w === 'worker');
const decoders = (process.env.BENCH_DECODER ?? 'decoder').split(',');
for (const dir of decoders) if (!/^[A-Za-z0-9_.-]+$/.test(dir)) throw new Error(`BENCH_DECODER: folder names under /models/, got "${dir}"`);
const quick = (process.env.BENCH_QUICK ?? '') !== '' && process.env.BENCH_QUICK !== '0';
const rounds = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3));
const tokens = quick ? 8 : 32;
const profile = (process.env.BENCH_ORT_PROFILE ?? '') !== '' && process.env.BENCH_ORT_PROFILE !== '0';
// GPT-2 token ids of "The page runs models in a worker and batches".
const prompt = [464, 2443, 4539, 4981, 287, 257, 8383, 290, 37830];

const fixed = (value: number | undefined, digits: number): string | number =>
  value === undefined || !Number.isFinite(value) ? '' : Number(value.toFixed(digits));

test(`greedy decoding in each ONNX Runtime Web build (${decoders.join('+')})`, async ({ page }) => {
  test.setTimeout(30 * 60_000);
  const rows: Row[] = [];
  const adapters = new Set<string>();
  let machine: Awaited<ReturnType<typeof machineFacts>> | undefined;
  let threads = 1;
  for (const dir of decoders) {
    const results = new Map<string, DecodeResult>();
    for (const { name: build, flavor, ep } of builds)
      for (const where of places) {
        await page.goto('/bench/pages/ort-decode.html');
        await page.locator('#status', { hasText: 'ready' }).waitFor();
        if (machine === undefined) {
          machine = await machineFacts(page);
          threads = machine.cores <= 2 ? 1 : Math.min(8, Math.floor(machine.cores / 2));
        }
        const result = await page.evaluate(
          ({ url, flavor, where, options }) => (where === 'worker' ? window.ortDecode.decodeInWorker : window.ortDecode.decode)(url, flavor, options),
          { url: `/models/${dir}/decoder.onnx`, flavor, where, options: { tokens, rounds, threads, prompt, profile, ep } },
        );
        console.log(`${dir} ${build} (${where}): ${result.error ?? `${fixed(result.stepMs, 2)} ms/step`}`);
        if (result.kv === 'gpu-buffer') adapters.add(`${build}: ${result.adapter}`);
        results.set(where === 'page' ? build : `${build}, worker`, result);
      }
    const reference = results.get('wasm') ?? results.get('wasm, worker');
    const jsep = results.get('jsep') ?? results.get('jsep, worker');
    const rate = (r: DecodeResult | undefined): number => (r?.stepMs === undefined ? Number.NaN : 1000 / r.stepMs);
    for (const [name, r] of results)
      rows.push({
        decoder: dir,
        build: name,
        KV: r.kv,
        'session ms': fixed(r.sessionMs, 0),
        'TTFT ms': fixed(r.prefillMs, 1),
        'ms/step': fixed(r.stepMs, 2),
        'p90 ms/step': fixed(r.stepP90Ms, 2),
        'tokens/s': fixed(rate(r), 1),
        'vs jsep': r === jsep ? '' : fixed(rate(r) / rate(jsep), 2),
        'vs wasm': r === reference ? '' : fixed(rate(r) / rate(reference), 2),
        'tokens = wasm':
          r === reference || r.tokenIds === undefined || reference?.tokenIds === undefined
            ? ''
            : r.tokenIds.join() === reference.tokenIds.join()
              ? 'yes'
              : 'no',
        'kernels/step': fixed(r.kernelsPerStep, 0),
        'GPU ms/step': fixed(r.gpuMsPerStep, 2),
        error: r.error ?? '',
      });
    // The CPU build is the reference every GPU build is checked against: it must decode.
    if (reference !== undefined) expect(reference.error, `${dir} on wasm`).toBeUndefined();
  }
  writeReport({
    name: `decode-ort-builds-${decoders.join('+')}`,
    title: `Greedy decoding in each ONNX Runtime Web build, ORT driven directly (${decoders.join(', ')})`,
    environment: {
      browser: `Chromium ${page.context().browser()?.version() ?? 'unknown'}`,
      webgpu: machine?.webgpu ?? 'unknown',
      cores: machine?.cores ?? 'unknown',
      ortWasmThreads: threads,
      ortAdapter: [...adapters].join('; '),
      rounds,
      newTokens: tokens,
      command: `BENCH_DECODER=${decoders.join(',')} npx playwright test -c bench/playwright.config.ts decode-ort-builds`,
    },
    rows,
    notes: [
      `One sequence, prompt of ${prompt.length} token ids, ${tokens} new tokens per round; one untimed warm-up round, then ${rounds} timed. ms/step: median over every timed decode step (the cache growing); TTFT: the prefill call and its argmax; tokens/s = 1000 / ms/step.`,
      '`X, worker`: the same decode in a dedicated worker of the page (where inpage hosts its sessions); `vs jsep` and `vs wasm` compare with the runs on the page.',
      'On WebGPU the present.* outputs stay in GPU buffers and go back in as the next past; only the logits are read back (the argmax runs in JS). WASM runs with the threads above.',
      "Builds: jsep = `onnxruntime-web` (what inpage ships); webgpu-ep = `onnxruntime-web/webgpu` (native WebGPU EP, Asyncify); jspi = `onnxruntime-web/jspi`; jsep-cpu = the `onnxruntime-web` build on its WASM provider (what inpage's WASM workers run); wasm = `onnxruntime-web/wasm` (CPU only, no JSEP).",
    ],
  });
});
