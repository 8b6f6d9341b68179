/**
 * The per-call scheduling options every queued call takes (`priority`, `timeoutMs`,
 * `signal`, `supersedeKey`), checked before the request is queued: a typo such as
 * `priority: 'urgent'`, `timeoutMs: -1` or `signal: {}` is an `INVALID_OPTIONS` naming the
 * field, never a silent default.
 */
import { InvalidOptionsError } from '../errors';
import type { Priority } from '../protocol';
import { shownValue as shown } from '../tensor';

const priorities: readonly Priority[] = ['realtime', 'interactive', 'background'];

/** A value as an error message shows it: numbers and strings as themselves, others by type. */
/** Throw `INVALID_OPTIONS` unless `options` (a call's options, for `model`) is well formed. */
export function checkCallOptions(model: string, options: unknown): void {
  if (options === undefined) return;
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new InvalidOptionsError(`Call option \`${field}\` for "${model}" must be ${expected}; got ${shown(got)}.`, {
      model,
      input: field,
      expected,
      got: shown(got),
    });
  };
  if (typeof options !== 'object' || options === null) bad('options', 'an object', options);
  const get = (key: string): unknown => Reflect.get(options as object, key);
  const priority = get('priority');
  if (priority !== undefined && !priorities.some((p) => p === priority)) bad('priority', `one of ${priorities.map((p) => `"${p}"`).join(', ')}`, priority);
  const timeoutMs = get('timeoutMs');
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0))
    bad('timeoutMs', 'a finite number of milliseconds ≥ 0 (0: no deadline)', timeoutMs);
  const signal = get('signal');
  if (signal !== undefined && !(signal instanceof AbortSignal)) bad('signal', 'an AbortSignal (from an AbortController)', signal);
  const supersedeKey = get('supersedeKey');
  if (supersedeKey !== undefined && typeof supersedeKey !== 'string') bad('supersedeKey', 'a string', supersedeKey);
}
