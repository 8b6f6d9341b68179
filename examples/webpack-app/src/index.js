/**
 * inpage in a webpack 5 app: the VAD task, and one model of your own through `runtime.load`.
 * `createRuntime()` takes no options: webpack emits inpage's worker (an asset module), and
 * `npm run assets` put the engines' WASM and the VAD model in public/inpage/, which is
 * where the runtime looks by default (`<page base>/inpage/`).
 *
 * URL parameters: `?backend=wasm|webgpu|auto` (default auto), `?tasks=vad,custom` (default both).
 */
import { createRuntime, InpageError, tensor } from 'inpage';

const allTasks = ['vad', 'custom'];

const params = new URL(location.href).searchParams;
const backend = ['wasm', 'webgpu'].includes(params.get('backend')) ? params.get('backend') : 'auto';
const wanted = new Set(params.get('tasks')?.split(',') ?? allTasks);
const tasks = allTasks.filter((task) => wanted.has(task));

/** Samples sit in public/samples, served next to the page: relative URLs keep working under any path. */
const sample = (name) => new URL(`samples/${name}`, document.baseURI).href;

async function runVad(runtime) {
  const vad = await runtime.vad({ backend });
  const clip = await (await fetch(sample('speech-16k.wav'))).blob();
  const { segments, durationMs } = await vad.detect(clip);
  return { backend: vad.backend, durationMs: Math.round(durationMs), segments: segments.map((s) => [Math.round(s.startMs), Math.round(s.endMs)]) };
}

/**
 * Your own model: any ONNX or TF.js graph by URL (relative URLs resolve against the page).
 * Here, the Silero VAD file `npm run assets` copied, run by hand.
 */
async function runCustom(runtime) {
  const model = await runtime.load({ format: 'onnx', source: 'inpage/models/silero_vad_v5.onnx', backend });
  const samples = new Float32Array(576); // 64 samples of context + one 512-sample frame of silence
  const state = new Float32Array(2 * 128);
  const out = await model.run({
    input: tensor('float32', [1, 576], samples),
    state: tensor('float32', [2, 1, 128], state),
    sr: tensor('int64', [], BigInt64Array.of(16000n)),
  });
  const probability = out.output?.data[0];
  return {
    backend: model.backend,
    inputs: model.inputs.map((i) => i.name),
    outputs: Object.keys(out).sort(),
    usesLstm: model.operators?.includes('LSTM') ?? false,
    silenceProbability: typeof probability === 'number' ? Number(probability.toFixed(4)) : null,
  };
}

const runners = { vad: runVad, custom: runCustom };

/**
 * What the page found, for people (the DOM) and for the example's Playwright test.
 * @type {{ done: boolean, results: Record<string, unknown>, errors: Record<string, { name: string, code?: string, message: string }>, environment?: unknown }}
 */
const report = { done: false, results: {}, errors: {} };
window.inpageExample = report;

function section(task) {
  const element = document.createElement('section');
  element.id = task;
  element.innerHTML = `<h2>${task}</h2><pre>running…</pre>`;
  document.getElementById('tasks')?.append(element);
  const pre = element.querySelector('pre');
  return {
    set(state, text) {
      element.dataset.state = state;
      pre.textContent = text;
    },
  };
}

async function main() {
  const status = document.getElementById('status');
  const runtime = createRuntime();
  for (const task of tasks) {
    const view = section(task);
    try {
      const result = await runners[task](runtime);
      report.results[task] = result;
      view.set('done', JSON.stringify(result, null, 1));
    } catch (error) {
      const failure =
        error instanceof InpageError
          ? { name: error.name, code: error.code, message: error.message }
          : { name: error instanceof Error ? error.name : typeof error, message: String(error) };
      report.errors[task] = failure;
      view.set('failed', `${failure.code ?? failure.name}: ${failure.message}`);
    }
  }
  try {
    report.environment = await runtime.environment();
  } catch (error) {
    report.environment = { error: String(error) };
  }
  const metrics = runtime.metrics.snapshot();
  status.textContent = `done on ${backend}: ${metrics.models.length} scheduled models, ${Object.keys(report.errors).length} failures`;
}

void main().finally(() => {
  report.done = true;
});
