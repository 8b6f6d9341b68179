/** Semantic search panel: USE-lite embeddings over a small built-in corpus. */
import { cosineSimilarity, type EmbeddingTask, type Runtime } from '../../src/index';
import { element, ms, setText, showError, timed, showBackend } from '../ui';

/** The built-in corpus. */
export const corpus = [
  'The cat sleeps on the warm windowsill.',
  'Our flight to Paris leaves at seven in the morning.',
  'Preheat the oven to 200 degrees before baking the bread.',
  'The stock market fell sharply after the announcement.',
  'She practises the violin every evening.',
  'Heavy rain is expected across the region tomorrow.',
  'The new phone has a longer battery life.',
  'He scored the winning goal in the final minute.',
  'Remember to water the tomato plants twice a week.',
  'The museum opens a new exhibition on ancient Egypt.',
];

let task: EmbeddingTask | undefined;
let corpusVectors: Float32Array[] = [];

/** Load the embedding task on `backend` and embed the corpus (one batched call). */
export async function loadEmbeddingsPanel(runtime: Runtime, backend: 'auto' | 'webgpu' | 'wasm'): Promise<EmbeddingTask> {
  task = await runtime.embeddings({ backend });
  showBackend('embed', task);
  corpusVectors = await task.embed(corpus);
  return task;
}

/** Rank the corpus by similarity to the query. */
export async function runEmbeddingsPanel(): Promise<void> {
  if (task === undefined) return;
  showError('embed-error', undefined);
  try {
    const query = element('embed-query', HTMLInputElement).value;
    const current = task;
    const [[vector], latency] = await timed(() => current.embed([query]));
    if (vector === undefined) return;
    setText('embed-latency', ms(latency));
    const ranked = corpus.map((text, i) => ({ text, score: cosineSimilarity(vector, corpusVectors[i] ?? vector) })).sort((a, b) => b.score - a.score);
    element('embed-results', HTMLElement).replaceChildren(
      ...ranked.slice(0, 5).map(({ text, score }) => {
        const item = document.createElement('li');
        item.textContent = `${score.toFixed(3)}  ${text}`;
        return item;
      }),
    );
  } catch (error) {
    showError('embed-error', error);
  }
}
