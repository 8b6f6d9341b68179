/**
 * transformers.js in a bench page, beside inpage: Playwright routes serve its bundle, its
 * ONNX Runtime build and the fixture decoder, and `loadTransformers` puts its causal LM
 * behind `window.tjsBench` (greedy `generate`, a batched `generateBatch`, a KV prefix cache
 * passed by hand, and the durations of its one-token engine calls).
 *
 * transformers.js is not a dependency of inpage. Its files come from
 * `bench/compare/node_modules` (`npm --prefix bench/compare ci --ignore-scripts`), or from
 * the folder `BENCH_TJS_DIR` names (holding `@huggingface/transformers/{package.json,dist/transformers.js}`
 * and `onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.{mjs,wasm}`: enough for the
 * device machine). The decoder's files come from the app's own `/models/decoder/` (or the
 * folder `routeTransformers` is given, such as `decoder-124m`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tjsDir = process.env.BENCH_TJS_DIR ?? join(root, 'bench/compare/node_modules');
const manifest = join(tjsDir, '@huggingface/transformers/package.json');

/** The transformers.js version found, or undefined when it is not installed (the benches skip). */
export const tjsVersion: string | undefined = existsSync(manifest)
  ? String((JSON.parse(readFileSync(manifest, 'utf8')) as { version: unknown }).version)
  : undefined;

export const tjsMissing = 'transformers.js is not installed: npm --prefix bench/compare ci --ignore-scripts (or set BENCH_TJS_DIR)';

/** What a bench page can ask transformers.js for. */
export interface TjsBench {
  /** Greedy generation from `ids`; `handPassed: 'fill'` prefills them into the hand-held cache, `'use'` starts from that cache. */
  generate(ids: readonly number[], options: { handPassed?: 'fill' | 'use'; maxNewTokens: number }): Promise<number[]>;
  /** One greedy `generate` over equal-length prompts as one batch: each row's new ids. */
  generateBatch(idLists: readonly (readonly number[])[], maxNewTokens: number): Promise<number[][]>;
  /** Durations of its session's runs since the last call: one-token runs (decode steps) and longer ones (prefills), in order. */
  takeRuns(): { steps: number[]; prefills: number[] };
}

declare global {
  interface Window {
    /** transformers.js's fixture model, loaded once into the page. */
    tjsBench?: TjsBench;
  }
}

/** Route transformers.js, its ONNX Runtime files and a decoder (a folder under the app's `/models/`: the fixture by default) into the page. */
export async function routeTransformers(page: Page, decoder = 'decoder'): Promise<void> {
  await page.route('**/tjs/transformers.js', (route) => route.fulfill({ path: join(tjsDir, '@huggingface/transformers/dist/transformers.js') }));
  await page.route('**/tjs/ort/*', (route) =>
    route.fulfill({ path: join(tjsDir, 'onnxruntime-web/dist', new URL(route.request().url()).pathname.split('/').pop() ?? '') }),
  );
  await page.route('**/tjs-models/fixture/**', (route) => {
    const url = new URL(route.request().url());
    const file = url.pathname.split('/tjs-models/fixture/')[1];
    const served = file === 'config.json' ? 'config.json' : file === 'onnx/model.onnx' ? 'decoder.onnx' : undefined;
    if (served === undefined) return route.fulfill({ status: 404, body: 'not here' });
    // Rewritten, not fetched here: a body through Playwright is a string, too short for a model-scale decoder.
    return route.continue({ url: new URL(`/models/${decoder}/${served}`, url).toString() });
  });
}

/**
 * Load transformers.js's causal LM on `device` (WASM with one thread, or WebGPU) into
 * `window.tjsBench`, and warm it up on `warmUp`.
 */
export async function loadTransformers(page: Page, device: 'wasm' | 'webgpu', warmUp: readonly number[]): Promise<void> {
  await page.evaluate(
    async ({ device, warmUp }) => {
      interface TjsTensor {
        readonly dims: readonly number[];
        tolist(): bigint[][];
      }
      interface TjsModule {
        env: {
          allowRemoteModels: boolean;
          allowLocalModels: boolean;
          localModelPath: string;
          backends: { onnx: { wasm: { wasmPaths: unknown; numThreads: number } } };
        };
        AutoModelForCausalLM: {
          from_pretrained(id: string, options: Record<string, unknown>): Promise<{ generate(options: Record<string, unknown>): Promise<unknown> }>;
        };
        DynamicCache: new (entries: Record<string, unknown>) => object;
        Tensor: new (type: string, data: BigInt64Array, dims: number[]) => TjsTensor;
      }
      const url = '/tjs/transformers.js';
      const tjs = (await import(/* @vite-ignore */ url)) as TjsModule; // the module's shape as used here
      tjs.env.allowRemoteModels = false;
      tjs.env.allowLocalModels = true;
      tjs.env.localModelPath = '/tjs-models/';
      tjs.env.backends.onnx.wasm.wasmPaths = { mjs: '/tjs/ort/ort-wasm-simd-threaded.asyncify.mjs', wasm: '/tjs/ort/ort-wasm-simd-threaded.asyncify.wasm' };
      tjs.env.backends.onnx.wasm.numThreads = 1;
      const model = await tjs.AutoModelForCausalLM.from_pretrained('fixture', { device, dtype: 'fp32' });
      // Time its ONNX Runtime session's runs (decode steps and prefills), as inpage's step timings do.
      let steps: number[] = [];
      let prefills: number[] = [];
      const sessions = (model as unknown as { sessions: Record<string, { run: (feeds: Record<string, { dims: readonly number[] }>) => Promise<unknown> }> })
        .sessions; // transformers.js internals, read only here
      for (const session of Object.values(sessions)) {
        const run = session.run.bind(session);
        session.run = async (feeds) => {
          const start = performance.now();
          const out = await run(feeds);
          (feeds.input_ids?.dims[1] === 1 ? steps : prefills).push(performance.now() - start);
          return out;
        };
      }
      const ids = (lists: readonly (readonly number[])[]) =>
        new tjs.Tensor('int64', BigInt64Array.from(lists.flat(), BigInt), [lists.length, lists[0]?.length ?? 0]);
      const ones = (lists: readonly (readonly number[])[]) => ids(lists.map((list) => list.map(() => 1)));
      let prefixCache: Record<string, unknown> | undefined;
      window.tjsBench = {
        takeRuns: () => {
          const taken = { steps, prefills };
          steps = [];
          prefills = [];
          return taken;
        },
        generate: async (list, { handPassed, maxNewTokens }) => {
          const inputs = { input_ids: ids([list]), attention_mask: ones([list]), do_sample: false };
          if (handPassed === 'fill') {
            const out = (await model.generate({ ...inputs, max_new_tokens: 1, return_dict_in_generate: true })) as { past_key_values: Record<string, unknown> };
            prefixCache = { ...out.past_key_values };
            return [];
          }
          const past = handPassed === 'use' && prefixCache !== undefined ? { past_key_values: new tjs.DynamicCache({ ...prefixCache }) } : {};
          const sequences = (await model.generate({ ...inputs, ...past, max_new_tokens: maxNewTokens })) as TjsTensor;
          return (sequences.tolist()[0] ?? []).slice(list.length).map(Number);
        },
        generateBatch: async (lists, maxNewTokens) => {
          const sequences = (await model.generate({
            input_ids: ids(lists),
            attention_mask: ones(lists),
            do_sample: false,
            max_new_tokens: maxNewTokens,
          })) as TjsTensor;
          return sequences.tolist().map((row, r) => row.slice(lists[r]?.length ?? 0).map(Number));
        },
      };
      await window.tjsBench.generate(warmUp, { maxNewTokens: 2 });
    },
    { device, warmUp },
  );
}
