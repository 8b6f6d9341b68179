/**
 * inpage against transformers.js on a shared-prefix workload (issue 14, item 3): the same
 * decoder (the GPT-2 fixture), the same Chromium page, WASM with one thread each, greedy,
 * modes interleaved round by round.
 *
 * Workload: 10 prompts that share a 400-token prefix (each with its own 16-token
 * question), 16 new tokens each, one after another; the wall time of all 10. Each round
 * has a prefix of its own (it opens with the round's number), so no round reuses another's:
 * - inpage: its automatic KV prefix cache (the first prompt prefills the prefix, the
 *   other nine reuse it);
 * - transformers.js, plain: `model.generate` on each prompt;
 * - transformers.js with the prefix's KV cache passed by hand: the prefix prefilled once
 *   (timed, as inpage's first prompt is), then each prompt generates from a shallow copy of
 *   that cache (a new `DynamicCache` over the same tensors: no float is copied).
 * transformers.js is handed token ids (its tokeniser is not timed); inpage tokenises text.
 * Both are loaded once and warmed up on a prompt as long as the workload's before the
 * first round: the first long prefill in a fresh WASM heap costs about 2× (the heap grows),
 * which is start-up, not prefix reuse.
 * Round 0 is run but not counted: meanwhile V8 recompiles each ONNX Runtime build's hot WASM
 * functions with its optimising tier in the background, on the same cores.
 * Floors, on the paired ratios (round by round): inpage ≥ 0.9× the hand-passed cache and ≥ 2× the plain pipeline (the goals are
 * 1.0× and 2.5×; the margins absorb a busy 2-core machine). The report also gives each
 * library's engine time (decode step, the prefix's prefill): where transformers.js's newer
 * ONNX Runtime build is faster on the same graph (the device machine's CPU: 10–25%), the
 * hand-passed floor can fail for that reason alone.
 *
 * transformers.js is not a dependency of inpage; install it beside the bench first:
 *
 *   npm --prefix bench/compare ci --ignore-scripts
 *   npx playwright test -c bench/playwright.config.ts transformers-js   (writes bench/results/transformers-js.{json,md})
 *
 * The test is skipped without it. `transformers-js-page.ts` routes its files into the page.
 * `transformers-js-decode.bench.ts` compares decode speed and concurrent generations.
 */
import { expect, test, type Page } from '@playwright/test';
import { decode, encode } from 'gpt-3-encoder';
import type { Runtime, TextGenerator } from '../src/index';
import { machineFacts, median, writeReport, type Row } from './support';
import { loadTransformers, routeTransformers, tjsMissing, tjsVersion } from './transformers-js-page';
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const prompts = 10;
const prefixTokens = 400;
const maxNewTokens = 16;

/** Exactly `count` tokens of varied English text, opening with `opening`, that re-encode to themselves. */
function textOfTokens(count: number, opening: string): string {
  let text = `${opening} You are a helpful assistant for the inpage runtime.`;
  for (let i = 1; encode(text).length < count + 8; i++)
    text += ` Section ${i} of the manual explains how the runtime schedules requests, caches model weights, and streams tokens back to the page.`;
  const exact = decode(encode(text).slice(0, count));
  if (encode(exact).length !== count) throw new Error('the prefix does not re-encode to its own length');
  return exact;
}

/** Round `round`'s shared prefix (-1: the warm-up's). */
function prefixOf(round: number): { text: string; ids: number[] } {
  const text = textOfTokens(prefixTokens, round < 0 ? 'Warm-up.' : `Round ${round + 1}.`);
  return { text, ids: encode(text) };
}

/** Prompt `i` of round `round`: the round's prefix and a 16-token question of its own. */
function prompt(round: number, i: number): { text: string; ids: number[] } {
  const prefix = prefixOf(round);
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
  let question = ` Question ${round * 100 + i}: what does ${words[i % words.length]} mean for ${words[(i * 5 + round) % words.length]} here`;
  while (encode(prefix.text + question).length < prefixTokens + 16) question += '?';
  const text = prefix.text + question;
  const ids = encode(text);
  if (ids.length !== prefixTokens + 16 || ids.slice(0, prefixTokens).some((id, n) => id !== prefix.ids[n]))
    throw new Error(`prompt ${i} does not start with the prefix's ${prefixTokens} tokens`);
  return { text, ids };
}

interface Outcome {
  readonly ms: number;
  /** Each prompt's wall time (the hand-passed mode's first includes filling the cache). */
  readonly each: number[];
  /** Generated ids per prompt. */
  readonly tokens: number[][];
  /** Prompt tokens inpage took from its prefix cache, per prompt. */
  readonly cached?: number[];
  /** Engine time of each one-token decode step, ms (inpage: its step's inference stage; transformers.js: its session's `run`). */
  readonly steps?: number[];
  /** Engine time of the round's first full prefill (the prefix's), ms. */
  readonly prefill?: number;
}

declare global {
  interface Window {
    inpageBench?: { runtime: Runtime; generator: TextGenerator };
  }
}

/** inpage's runtime (WASM, one thread, prefix cache in memory only), warmed up on `warmUp`. */
async function loadInpage(page: Page, warmUp: string): Promise<void> {
  await page.evaluate(async (warmUp) => {
    const runtime = window.inpage.createRuntime({ ortNumThreads: 1, cache: { kvPrefix: { persist: false } } });
    const generator = await runtime.textGeneration({ backend: 'wasm' });
    await generator.generate(warmUp, { maxNewTokens: 2 }).stats;
    window.inpageBench = { runtime, generator };
  }, warmUp);
}

async function runInpage(page: Page, texts: readonly string[]): Promise<Outcome> {
  return page.evaluate(
    async ({ texts, maxNewTokens }) => {
      const generator = window.inpageBench?.generator;
      if (generator === undefined) throw new Error('no inpage generator');
      const tokens: number[][] = [];
      const cached: number[] = [];
      const steps: number[] = [];
      const each: number[] = [];
      let prefill: number | undefined;
      const started = performance.now();
      for (const text of texts) {
        const start = performance.now();
        const stats = await generator.generate(text, { maxNewTokens }).stats;
        prefill ??= stats.steps[0]?.timings.inferenceMs;
        each.push(performance.now() - start);
        tokens.push([...stats.tokenIds]);
        cached.push(stats.cachedPromptTokens);
        steps.push(...stats.steps.slice(1).map((step) => step.timings.inferenceMs));
      }
      return { ms: performance.now() - started, each, tokens, cached, steps, ...(prefill === undefined ? {} : { prefill }) };
    },
    { texts, maxNewTokens },
  );
}

async function runTransformers(page: Page, idLists: readonly number[][], handPassed: boolean, prefix: readonly number[]): Promise<Outcome> {
  return page.evaluate(
    async ({ idLists, handPassed, prefix, maxNewTokens }) => {
      const bench = window.tjsBench;
      if (bench === undefined) throw new Error('transformers.js is not loaded');
      const tokens: number[][] = [];
      const each: number[] = [];
      bench.takeRuns();
      const started = performance.now();
      if (handPassed) await bench.generate(prefix, { handPassed: 'fill', maxNewTokens });
      for (const ids of idLists) {
        const start = each.length === 0 ? started : performance.now();
        tokens.push(await bench.generate(ids, { ...(handPassed ? { handPassed: 'use' as const } : {}), maxNewTokens }));
        each.push(performance.now() - start);
      }
      const { steps, prefills } = bench.takeRuns();
      const prefill = prefills[0];
      return { ms: performance.now() - started, each, tokens, steps, ...(prefill === undefined ? {} : { prefill }) };
    },
    { idLists, handPassed, prefix, maxNewTokens },
  );
}

test('shared prefix: inpage against transformers.js, plain and with a hand-passed KV cache (wasm, 1 thread)', async ({ page, browser }) => {
  test.skip(tjsVersion === undefined, tjsMissing);
  await routeTransformers(page);
  await page.goto('/e2e/harness.html');
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  const warmUp = prompt(-1, 0);
  await loadTransformers(page, 'wasm', warmUp.ids);
  await loadInpage(page, warmUp.text);
  const samples: Record<'inpage' | 'plain' | 'hand', Outcome[]> = { inpage: [], plain: [], hand: [] };
  // Round 0 is not counted: during the first rounds V8 recompiles each ONNX Runtime build's hot
  // WASM functions with its optimising tier, in the background, on the same cores.
  for (let round = 0; round <= rounds; round++) {
    const set = Array.from({ length: prompts }, (_, i) => prompt(round, i));
    const ids = set.map((p) => p.ids);
    const run: Record<keyof typeof samples, () => Promise<Outcome>> = {
      inpage: () =>
        runInpage(
          page,
          set.map((p) => p.text),
        ),
      plain: () => runTransformers(page, ids, false, prefixOf(round).ids),
      hand: () => runTransformers(page, ids, true, prefixOf(round).ids),
    };
    // The order rotates round by round, so no mode always runs first (or right after another).
    const order = (['inpage', 'plain', 'hand'] as const).map((_, i, all) => all[(i + round) % all.length] ?? 'inpage');
    for (const mode of order) samples[mode].push(await run[mode]());
  }
  await page.evaluate(() => window.inpageBench?.runtime.dispose());
  for (const mode of ['inpage', 'plain', 'hand'] as const) samples[mode].shift(); // round 0

  const generated = (o: Outcome) => o.tokens.reduce((sum, t) => sum + t.length, 0);
  const total = (mode: keyof typeof samples) => median(samples[mode].map((o) => o.ms));
  const inpageMs = total('inpage');
  const row = (mode: string, key: keyof typeof samples): Row => ({
    mode,
    'total p50 ms': total(key),
    'total min ms': Math.min(...samples[key].map((o) => o.ms)),
    'first prompt p50 ms': median(samples[key].map((o) => o.each[0] ?? 0)),
    'later prompt p50 ms': median(samples[key].flatMap((o) => o.each.slice(1))),
    'decode step engine p50 ms': median(samples[key].flatMap((o) => o.steps ?? [])),
    'prefix prefill engine p50 ms': median(samples[key].flatMap((o) => (o.prefill === undefined ? [] : [o.prefill]))),
    'tokens generated': generated(samples[key][0] ?? { ms: 0, each: [], tokens: [] }),
    'inpage speed-up': total(key) / inpageMs,
    // Round by round (the modes of a round run back to back), so a slow stretch of the machine cancels out.
    'inpage speed-up, paired p50': median(samples[key].map((o, r) => o.ms / (samples.inpage[r]?.ms ?? Number.NaN))),
    rounds: samples[key].length,
  });
  const rows = [
    row('inpage (automatic KV prefix cache)', 'inpage'),
    row('transformers.js, plain', 'plain'),
    row('transformers.js, prefix KV cache passed by hand', 'hand'),
  ];
  // Greedy ids: inpage against transformers.js, prompt by prompt (other ONNX Runtime builds, so a near-tie may flip).
  const agreeing = (mode: 'inpage' | 'plain') =>
    samples[mode].flatMap((o, r) => o.tokens.map((ids, i) => ids.join() === samples.hand[r]?.tokens[i]?.join())).filter(Boolean).length;
  const same = agreeing('inpage');
  const plainSame = agreeing('plain');
  const machine = await machineFacts(page);
  writeReport({
    name: 'transformers-js',
    title: `Shared prefix: ${prompts} prompts sharing a ${prefixTokens}-token prefix, ${maxNewTokens} new tokens each, inpage vs transformers.js (wasm, 1 thread)`,
    environment: {
      browser: `Chromium ${browser.version()}`,
      backend: 'wasm, 1 thread each',
      webgpu: machine.webgpu,
      cores: machine.cores,
      model: 'fixture decoder: 4 layers, hidden 256, vocab 50257',
      'transformers.js': tjsVersion ?? 'none',
      'greedy ids, inpage = transformers.js (hand-passed)': `${same} of ${rounds * prompts} prompts`,
      'greedy ids, transformers.js plain = hand-passed': `${plainSame} of ${rounds * prompts} prompts`,
      command: 'npm --prefix bench/compare ci --ignore-scripts && npx playwright test -c bench/playwright.config.ts transformers-js',
    },
    rows,
    notes: [
      'inpage speed-up = the mode’s total p50 / inpage’s total p50 (> 1: inpage is faster); paired p50 = the median over rounds of the mode’s total / inpage’s total in the same round (the modes run back to back, in an order that rotates by round). Goals (issue 14): ≥ 1.0× the hand-passed cache, ≥ 2.5× the plain pipeline. Floors: 0.9× and 2×.',
      'Both pay one full prefill of the prefix per round: inpage in its first prompt, transformers.js before its first prompt (counted in its first prompt’s time). Each round has its own prefix. transformers.js gets token ids; inpage tokenises its text.',
      'decode step engine = one one-token engine call: inpage’s step inference stage (validation, the run gate and ONNX Runtime’s run), transformers.js’s session.run (ONNX Runtime 1.30’s CPU-only build, which inpage’s WASM sessions run on, vs transformers.js’s 1.31-dev asyncify build). Equal engine time means the totals differ only in what each library does around its engine.',
      'Both are loaded once and warmed up on a prompt as long as the workload’s: a fresh WASM heap’s first long prefill costs about 2× (heap growth), which is start-up, not prefix reuse.',
    ],
  });
  expect(samples.inpage.every((o) => o.cached?.slice(1).every((c) => c === prefixTokens) === true && o.cached[0] === 0)).toBe(true);
  expect(Number(rows[2]?.['inpage speed-up, paired p50']), 'inpage vs a hand-passed cache').toBeGreaterThanOrEqual(0.9);
  expect(Number(rows[1]?.['inpage speed-up, paired p50']), 'inpage vs the plain pipeline').toBeGreaterThanOrEqual(2);
});
