/**
 * The `ragged: { mode: 'concat' }` config, checked against the model's signature: the
 * inputs whose rows are joined end to end across requests, and the item column that
 * keeps each row pointing at its own item. Every bad field fails with
 * `InvalidOptionsError` naming its path (`ragged.inputs.indices.itemColumn`).
 */
import type { TensorSpec } from '../protocol';
import { configError, describeConfigValue, describeTensor, isRecord } from './config-checks';

/** A joined input: the column holding each row's item number, if any. */
export interface ConcatAxis {
  readonly itemColumn: number | null;
}

/** What the concat checks need to know of the model. */
export interface ConcatContext {
  readonly inputs: readonly TensorSpec[];
  /** What `batchAxes` declared. */
  readonly declared: ReadonlyMap<string, number | null>;
  /** True when some input outside the joined ones has a batch axis (it gives the units). */
  readonly otherBatched: boolean;
}

const concatKeys = new Set(['mode', 'inputs']);

/** The names a concat config joins (unchecked: to leave them out of batch-axis inference). */
export function concatNamesOf(ragged: unknown): string[] {
  if (!isRecord(ragged) || ragged.mode !== 'concat' || !isRecord(ragged.inputs)) return [];
  return Object.keys(ragged.inputs);
}

/** Check a concat config; returns the joined inputs by name. */
export function resolveConcat(model: string, ragged: Readonly<Record<string, unknown>>, context: ConcatContext): Map<string, ConcatAxis> {
  const extra = Object.keys(ragged).find((key) => !concatKeys.has(key));
  if (extra !== undefined) {
    throw configError(model, `ragged.${extra}`, `is not an option of mode 'concat'; its options are mode and inputs.`, [...concatKeys].join(', '), extra);
  }
  const entries = ragged.inputs;
  if (!isRecord(entries) || Object.keys(entries).length === 0) {
    throw configError(
      model,
      'ragged.inputs',
      `must name at least one input whose rows are joined, e.g. \`{ indices: { itemColumn: 0 }, values: {} }\`; got ${describeConfigValue(entries)}.`,
      '{ [input]: { itemColumn? } }',
      describeConfigValue(entries),
    );
  }
  const joined = new Map<string, ConcatAxis>();
  for (const [name, entry] of Object.entries(entries)) joined.set(name, resolveConcatInput(model, name, entry, context));
  if (!context.otherBatched && ![...joined.values()].some((input) => input.itemColumn !== null)) {
    throw configError(
      model,
      'ragged.inputs',
      `joins ${[...joined.keys()].map((n) => `"${n}"`).join(', ')}, but nothing says how many items a request holds: no other input has a batch axis and no joined input names an \`itemColumn\`. Name the column that holds each row's item number.`,
      'an itemColumn, or another input with a batch axis',
      'neither',
    );
  }
  return joined;
}

function resolveConcatInput(model: string, name: string, entry: unknown, context: ConcatContext): ConcatAxis {
  const path = `ragged.inputs.${name}`;
  const spec = context.inputs.find((s) => s.name === name);
  if (spec === undefined) {
    const names = context.inputs.map((s) => s.name);
    throw configError(model, path, `names no input of the model; its inputs are ${names.map((n) => `"${n}"`).join(', ')}.`, names.join(', '), name);
  }
  if (!isRecord(entry))
    throw configError(model, path, `must be { itemColumn? }; got ${describeConfigValue(entry)}.`, '{ itemColumn? }', describeConfigValue(entry));
  const extra = Object.keys(entry).find((key) => key !== 'itemColumn');
  if (extra !== undefined)
    throw configError(model, `${path}.${extra}`, 'is not an option of a joined input; the only option is itemColumn.', 'itemColumn', extra);
  const declared = context.declared.get(name);
  if (declared !== undefined) {
    throw configError(
      model,
      `batchAxes.${name}`,
      `is ${String(declared)}, but "${name}" is joined (\`ragged.inputs.${name}\`): its axis 0 holds rows, whose number varies per request, not a batch. Remove it from \`batchAxes\`.`,
      'nothing',
      String(declared),
    );
  }
  const shape = spec.shape;
  const rows = shape?.[0];
  if (shape !== null && (shape.length === 0 || typeof rows === 'number')) {
    throw configError(
      model,
      path,
      `joins ${describeTensor(spec)}, but ${shape.length === 0 ? 'a scalar has no rows' : `the graph fixes its axis 0 to ${String(rows)}`}: a joined input's axis 0 must be free, since requests give different numbers of rows.`,
      'an input with a free axis 0',
      describeTensor(spec),
    );
  }
  const column = entry.itemColumn;
  if (column === undefined) return { itemColumn: null };
  const width = shape?.[1];
  if (spec.dtype !== 'int32' && spec.dtype !== 'int64') {
    throw configError(
      model,
      `${path}.itemColumn`,
      `needs an int32 or int64 input to hold item numbers; ${describeTensor(spec)} is ${spec.dtype}.`,
      'an int32 or int64 input',
      spec.dtype,
    );
  }
  if (shape !== null && shape.length !== 2) {
    throw configError(
      model,
      `${path}.itemColumn`,
      `needs a rank-2 input [rows, columns]; ${describeTensor(spec)} has rank ${shape.length}.`,
      'a rank-2 input',
      describeTensor(spec),
    );
  }
  const columns = typeof width === 'number' ? width : undefined;
  if (typeof column !== 'number' || !Number.isInteger(column) || column < 0 || (columns !== undefined && column >= columns)) {
    const range = columns === undefined ? 'an integer ≥ 0' : `an integer from 0 to ${columns - 1}`;
    throw configError(
      model,
      `${path}.itemColumn`,
      `must be a column of ${describeTensor(spec)} (${range}); got ${describeConfigValue(column)}.`,
      range,
      describeConfigValue(column),
    );
  }
  return { itemColumn: column };
}
