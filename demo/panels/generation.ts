/** Generation panel: streaming tokens from the KV-cache decoder, with TTFT and tokens/s. */
import type { EmbeddingTask, Runtime, TextGenerator } from '../../src/index';
import { element, ms, setText, showError, showBackend } from '../ui';

let task: TextGenerator | undefined;
let controller: AbortController | undefined;

/**
 * Load the generation task on `backend`; with `semanticEmbedder`, its semantic result
 * cache is on (prompts close to a cached one, with the same settings, get its completion).
 */
export async function loadGenerationPanel(runtime: Runtime, backend: 'auto' | 'webgpu' | 'wasm', semanticEmbedder?: EmbeddingTask): Promise<TextGenerator> {
  const embedder = semanticEmbedder;
  const embed = async (text: string): Promise<Float32Array> => {
    const [vector] = (await embedder?.embed([text])) ?? [];
    if (vector === undefined) throw new Error('the embedding task returned no vector');
    return vector;
  };
  task = await runtime.textGeneration({ backend, ...(embedder === undefined ? {} : { semanticCache: { embed } }) });
  showBackend('gen', task);
  return task;
}

/** Generate from the prompt, streaming tokens into the page. */
export async function runGenerationPanel(): Promise<void> {
  if (task === undefined) return;
  showError('gen-error', undefined);
  controller?.abort();
  controller = new AbortController();
  const output = element('gen-output', HTMLElement);
  output.textContent = '';
  try {
    const prompt = element('gen-prompt', HTMLTextAreaElement).value;
    const run = task.generate(prompt, { maxNewTokens: 24, temperature: 0.8, topK: 40, seed: 7, signal: controller.signal });
    for await (const piece of run) output.textContent += piece;
    const stats = await run.stats;
    const hit = stats.semanticHit;
    setText(
      'gen-latency',
      hit === undefined
        ? `first token ${ms(stats.timeToFirstTokenMs)}, ${stats.tokensPerSecond.toFixed(1)} tokens/s, ${stats.promptTokens} prompt tokens (${stats.cachedPromptTokens} from the KV prefix cache)`
        : `answered from the semantic cache in ${ms(stats.timeToFirstTokenMs)}: similarity ${hit.similarity.toFixed(3)} to "${hit.prompt}"`,
    );
  } catch (error) {
    showError('gen-error', error);
  }
}

/** Stop the running generation. */
export function stopGeneration(): void {
  controller?.abort();
}
