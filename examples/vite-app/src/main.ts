/**
 * Every built-in inpage task, and one model of your own through `runtime.load`, in a plain
 * Vite + TypeScript app. `createRuntime()` takes no options: the `inpage/vite` plugin
 * serves the engines and the models and tells the runtime where they are.
 *
 * URL parameters: `?backend=wasm|webgpu|auto` (default auto), `?tasks=vad,pose,…` (default all).
 */
import { cosineSimilarity, createRuntime, InpageError, tensor, type BackendPreference, type Runtime } from 'inpage';

type TaskName = 'vad' | 'pose' | 'ocr' | 'embeddings' | 'generation' | 'custom';
const allTasks: readonly TaskName[] = ['vad', 'pose', 'ocr', 'embeddings', 'generation', 'custom'];

const params = new URL(location.href).searchParams;
const backend: BackendPreference = ((): BackendPreference => {
  const value = params.get('backend');
  return value === 'wasm' || value === 'webgpu' ? value : 'auto';
})();
const wanted = new Set(params.get('tasks')?.split(',') ?? allTasks);
const tasks = allTasks.filter((task) => wanted.has(task));

/** Samples sit in public/samples; `import.meta.env.BASE_URL` keeps them working under any `base`. */
const sample = (name: string): string => `${import.meta.env.BASE_URL}samples/${name}`;

/** The text the OCR section draws and reads back. */
export const ocrLines = ['The quick brown fox', 'jumps over the lazy dog'];

async function runVad(runtime: Runtime): Promise<unknown> {
  const vad = await runtime.vad({ backend });
  const clip = await (await fetch(sample('speech-16k.wav'))).blob();
  const { segments, durationMs } = await vad.detect(clip);
  return { backend: vad.backend, durationMs: Math.round(durationMs), segments: segments.map((s) => [Math.round(s.startMs), Math.round(s.endMs)]) };
}

async function runPose(runtime: Runtime): Promise<unknown> {
  const pose = await runtime.pose({ backend });
  const image = await (await fetch(sample('astronaut.jpg'))).blob();
  const { keypoints } = await pose.detect(image);
  const nose = keypoints.find((k) => k.name === 'nose');
  return {
    backend: pose.backend,
    keypoints: keypoints.length,
    nose: nose && { x: Math.round(nose.x), y: Math.round(nose.y), score: Number(nose.score.toFixed(2)) },
  };
}

async function runOcr(runtime: Runtime): Promise<unknown> {
  const canvas = new OffscreenCanvas(420, 110);
  const context = canvas.getContext('2d');
  if (context === null) throw new Error('no 2D canvas');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#000';
  context.font = '32px Arial, "Liberation Sans", sans-serif';
  ocrLines.forEach((line, i) => context.fillText(line, 16, 42 + i * 46));
  const ocr = await runtime.ocr({ backend });
  const { lines } = await ocr.read(await canvas.convertToBlob());
  return { backend: ocr.backend, lines: lines.map((line) => line.text) };
}

async function runEmbeddings(runtime: Runtime): Promise<unknown> {
  const encoder = await runtime.embeddings({ backend });
  const [age, age2, weather] = await encoder.embed(['How old are you?', 'What is your age?', 'The weather is lovely today.']);
  if (age === undefined || age2 === undefined || weather === undefined) throw new Error('three texts, fewer vectors');
  // The 4× smaller uint8 copy (re-packed by the plugin from the fp32 weights): nearly the same vectors.
  const small = await runtime.embeddings({ backend, variant: 'uint8' });
  const [ageSmall] = await small.embed(['How old are you?']);
  if (ageSmall === undefined) throw new Error('no vector');
  return {
    backend: encoder.backend,
    dimensions: age.length,
    paraphrase: Number(cosineSimilarity(age, age2).toFixed(3)),
    unrelated: Number(cosineSimilarity(age, weather).toFixed(3)),
    uint8VsFp32: Number(cosineSimilarity(age, ageSmall).toFixed(4)),
  };
}

async function runGeneration(runtime: Runtime): Promise<unknown> {
  // The default decoder is inpage's latency fixture (random weights: fluent nonsense). Point
  // `modelUrl` (and `vocabUrl`/`mergesUrl`) at a GPT-2-family Optimum export for real text.
  const generator = await runtime.textGeneration({ backend });
  const run = generator.generate('The page runs models in', { maxNewTokens: 6 });
  let streamed = '';
  for await (const piece of run) streamed += piece;
  const stats = await run.stats;
  return { backend: generator.backend, text: streamed, tokenIds: stats.tokenIds, promptTokens: stats.promptTokens, finishReason: stats.finishReason };
}

/** Your own model: any ONNX or TF.js graph by URL. Here, the Silero VAD file the plugin serves, run by hand. */
async function runCustom(runtime: Runtime): Promise<unknown> {
  const model = await runtime.load({ format: 'onnx', source: `${import.meta.env.BASE_URL}inpage/models/silero_vad_v5.onnx`, backend });
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

const runners: Record<TaskName, (runtime: Runtime) => Promise<unknown>> = {
  vad: runVad,
  pose: runPose,
  ocr: runOcr,
  embeddings: runEmbeddings,
  generation: runGeneration,
  custom: runCustom,
};

/** What the page found, for people (the DOM) and for the example's Playwright tests. */
interface ExampleReport {
  done: boolean;
  results: Partial<Record<TaskName, unknown>>;
  errors: Partial<Record<TaskName, { name: string; code?: string; message: string }>>;
  environment?: unknown;
}
declare global {
  interface Window {
    inpageExample: ExampleReport;
  }
}
const report: ExampleReport = { done: false, results: {}, errors: {} };
window.inpageExample = report;

function section(task: TaskName): { set(state: string, text: string): void } {
  const element = document.createElement('section');
  element.id = task;
  element.innerHTML = `<h2>${task}</h2><pre>running…</pre>`;
  document.getElementById('tasks')?.append(element);
  const pre = element.querySelector('pre');
  return {
    set(state, text) {
      element.dataset.state = state;
      if (pre !== null) pre.textContent = text;
    },
  };
}

async function main(): Promise<void> {
  const status = document.getElementById('status');
  const runtime = createRuntime();
  // One task after another: on a small machine that is also the fastest way through.
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
  if (status !== null) status.textContent = `done on ${backend}: ${metrics.models.length} scheduled models, ${Object.keys(report.errors).length} failures`;
}

void main().finally(() => {
  report.done = true;
});
