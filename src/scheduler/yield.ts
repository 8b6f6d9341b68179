/**
 * Letting urgent work on the main thread go first. A background batch's answer wakes its
 * callers, and what they do next (a VAD stream's segmenter, its next frame, stacking the
 * next batch) can fill the main thread for a while; an interactive answer arriving then
 * waits behind it. Handing the callers' wake-up to a `background`-priority task
 * (`scheduler.postTask`, Chromium 94+) lets any pending task of normal priority, such as
 * a worker's message with an interactive answer, run first. Where `postTask` is missing
 * (Node, older browsers) it resolves at once.
 */

interface PostTaskScheduler {
  postTask(callback: () => void, options: { readonly priority: 'background' }): Promise<void>;
}

function taskScheduler(): PostTaskScheduler | undefined {
  const candidate: unknown = (globalThis as { scheduler?: unknown }).scheduler;
  return typeof candidate === 'object' && candidate !== null && typeof (candidate as { postTask?: unknown }).postTask === 'function'
    ? (candidate as PostTaskScheduler) // checked just above: an object with a postTask function
    : undefined;
}

/** Resolve in a background-priority task, after pending tasks of normal priority (at once without `scheduler.postTask`). */
export function yieldToUrgentWork(): Promise<void> {
  const scheduler = taskScheduler();
  return scheduler === undefined ? Promise.resolve() : scheduler.postTask(() => undefined, { priority: 'background' });
}
