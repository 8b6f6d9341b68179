/**
 * Errors across the worker boundary.
 *
 * comlink's built-in `throw` handler keeps only `name`, `message` and `stack`, so an
 * `InvalidInputError` thrown in the worker would arrive as a plain `Error`. We replace
 * that handler (on both sides) with one that carries our `code` and structured fields
 * and rebuilds an instance of the same class on the receiving side.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { errorForCode, InpageError, isInpageErrorCode, type InpageErrorFields } from './errors';

/** An error as plain, structured-clonable data. */
export type SerializedError =
  | { readonly kind: 'inpage'; readonly code: string; readonly message: string; readonly stack?: string; readonly fields: InpageErrorFields }
  | { readonly kind: 'error'; readonly name: string; readonly message: string; readonly stack?: string }
  | { readonly kind: 'value'; readonly value: unknown };

/** Turn any thrown value into plain data. */
export function serializeError(value: unknown): SerializedError {
  if (value instanceof InpageError) {
    return { kind: 'inpage', code: value.code, message: value.message, stack: value.stack, fields: value.fields() };
  }
  if (value instanceof Error) {
    return { kind: 'error', name: value.name, message: value.message, stack: value.stack };
  }
  return { kind: 'value', value };
}

/** Rebuild what {@link serializeError} produced, as an instance of the original class. */
export function deserializeError(data: SerializedError): unknown {
  switch (data.kind) {
    case 'inpage': {
      if (!isInpageErrorCode(data.code)) {
        return Object.assign(new Error(data.message), { name: 'InpageError', stack: data.stack });
      }
      const error = errorForCode(data.code, data.message, stripUndefined(data.fields));
      if (data.stack !== undefined) error.stack = data.stack;
      return error;
    }
    case 'error': {
      const error = new Error(data.message);
      error.name = data.name;
      if (data.stack !== undefined) error.stack = data.stack;
      return error;
    }
    case 'value':
      return data.value;
  }
}

function stripUndefined(fields: InpageErrorFields): InpageErrorFields {
  const out: InpageErrorFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string') out[key as keyof InpageErrorFields] = value; // keys come from InpageErrorFields itself
  }
  return out;
}

/** comlink hands the throw handler `{ value, [throwMarker]: 0 }`; we only read `value`. */
interface ThrownValue {
  readonly value: unknown;
}

let installed = false;

/**
 * Replace comlink's `throw` transfer handler with one that preserves inpage errors.
 * Call once on each side of the boundary (idempotent).
 */
export function installErrorTransfer(): void {
  if (installed) return;
  const builtin = transferHandlers.get('throw');
  if (builtin === undefined) throw new Error('comlink has no built-in throw handler to replace');
  const handler: TransferHandler<ThrownValue, SerializedError> = {
    canHandle: (value: unknown): value is ThrownValue => builtin.canHandle(value),
    serialize: (thrown) => [serializeError(thrown.value), []],
    deserialize: (data) => {
      throw deserializeError(data);
    },
  };
  transferHandlers.set('throw', handler);
  installed = true;
}
