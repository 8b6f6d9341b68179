/** Small DOM helpers shared by the demo panels. */
import { InpageError } from '../src/index';

/** The element with `id`, checked to be of `type`. */
export function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`demo page is missing #${id}`);
  return found;
}

/** Set the text of `#id`. */
export function setText(id: string, text: string): void {
  element(id, HTMLElement).textContent = text;
}

/** Show the backend a panel's task runs on, with why (`backendReason`) on hover. */
export function showBackend(panel: string, task: { readonly backend: string; readonly backendReason: string }): void {
  const label = element(`${panel}-backend`, HTMLElement);
  label.textContent = task.backend;
  label.title = task.backendReason;
}

/** A readable message for any error; inpage errors show their code. */
export function describeError(error: unknown): string {
  if (error instanceof InpageError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Time an async call. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

/** Format milliseconds. */
export function ms(value: number): string {
  return `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;
}

/** Show an error in a panel's status line (role=alert), or clear it. */
export function showError(id: string, error: unknown): void {
  const target = element(id, HTMLElement);
  target.textContent = error === undefined ? '' : describeError(error);
  target.hidden = error === undefined;
}

/** The file chosen in an `<input type=file>`, if any. */
export function chosenFile(input: HTMLInputElement): File | undefined {
  return input.files?.[0] ?? undefined;
}
