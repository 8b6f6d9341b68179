/**
 * Concat mode's half of stacking (`ragged: { mode: 'concat' }`): a request's units read
 * from its item column, and the rows of several requests joined end to end with their
 * item numbers offset, so row `r` of request `i` names item `units_0 + … + units_{i-1} + k`.
 */
import { InvalidInputError } from '../errors';
import type { Tensor } from '../protocol';
import { formatShape } from '../tensor';
import { copyBox } from './box-copy';
import type { BatchPlan, PlannedInput } from './plan';
import type { Allocate } from './stack';

/**
 * A request's units by the item column of its joined inputs: 1 + the largest item number
 * (`undefined` when no joined input has an item column). Throws `InvalidInputError` for a
 * joined input with no rows, of the wrong rank, or with a negative or non-integer item.
 *
 * @example
 * // USE-lite: indices [[0, 0], [0, 1], [1, 0]] → two texts
 * itemUnits('use', { indices, values }, plan); // 2
 */
export function itemUnits(model: string, inputs: Readonly<Record<string, Tensor>>, plan: BatchPlan): number | undefined {
  let units: { readonly name: string; readonly count: number } | undefined;
  for (const input of plan.inputs) {
    if (input.concat === null) continue;
    const t = inputs[input.name];
    if (t === undefined) continue; // reported as missing by validation
    const rows = t.dims[0];
    if (rows === undefined || rows < 1) {
      throw new InvalidInputError(
        `Input "${input.name}" of model "${model}" holds no rows: its rows are joined with other requests', so it needs at least one.`,
        {
          model,
          input: input.name,
          expected: 'at least 1 row on axis 0',
          got: formatShape(t.dims),
        },
      );
    }
    const column = input.concat.itemColumn;
    if (column === null) continue;
    const width = t.dims[1];
    if (t.dims.length !== 2 || width === undefined || column >= width) {
      throw new InvalidInputError(`Input "${input.name}" of model "${model}" must be [rows, columns] with item numbers in column ${column}.`, {
        model,
        input: input.name,
        expected: `[rows, > ${column}]`,
        got: formatShape(t.dims),
      });
    }
    let largest = -1;
    for (let row = 0; row < rows; row += 1) {
      const item = Number(t.data[row * width + column] ?? 0);
      if (!Number.isInteger(item) || item < 0) {
        throw new InvalidInputError(
          `Input "${input.name}" of model "${model}" names item ${item} in row ${row}: item numbers (column ${column}) count from 0.`,
          {
            model,
            input: input.name,
            expected: 'item numbers ≥ 0',
            got: String(item),
          },
        );
      }
      if (item > largest) largest = item;
    }
    const count = largest + 1;
    if (units !== undefined && units.count !== count) {
      throw new InvalidInputError(
        `Inputs "${units.name}" and "${input.name}" of model "${model}" disagree on the number of items: ${units.count} and ${count}.`,
        { model, input: input.name, expected: `${units.count} items`, got: `${count} items` },
      );
    }
    units = { name: input.name, count };
  }
  return units?.count;
}

/** Join one input's rows across requests (axis 0), offsetting its item column by the units before. */
export function joinRows(model: string, input: PlannedInput, tensors: readonly Tensor[], units: readonly number[], allocate: Allocate): Tensor {
  const [first] = tensors;
  if (first === undefined) throw new InvalidInputError(`No requests to stack for model "${model}".`, { model });
  tensors.forEach((t, i) => {
    if (t.dtype !== first.dtype || t.dims.length !== first.dims.length || t.dims.some((d, a) => a !== 0 && d !== first.dims[a])) {
      throw new InvalidInputError(
        `Requests to model "${model}" cannot share a batch: input "${input.name}" is ${first.dtype} ${formatShape(first.dims)} in the first request, ${t.dtype} ${formatShape(t.dims)} in request ${i}; joined inputs may differ on axis 0 only.`,
        {
          model,
          input: input.name,
          expected: `${first.dtype} [rows${first.dims
            .slice(1)
            .map((d) => `, ${d}`)
            .join('')}]`,
          got: `${t.dtype} ${formatShape(t.dims)}`,
        },
      );
    }
  });
  const dims = [...first.dims];
  dims[0] = tensors.reduce((sum, t) => sum + (t.dims[0] ?? 0), 0);
  const joined = allocate(first.dtype, dims);
  const column = input.concat?.itemColumn ?? null;
  const width = dims[1] ?? 1;
  let row = 0;
  let itemOffset = 0;
  tensors.forEach((t, i) => {
    const rows = t.dims[0] ?? 0;
    const start = dims.map((_, a) => (a === 0 ? row : 0));
    copyBox({ tensor: t, start: t.dims.map(() => 0) }, { tensor: joined, start }, t.dims);
    if (column !== null && itemOffset > 0) offsetColumn(joined, row, rows, width, column, itemOffset);
    row += rows;
    itemOffset += units[i] ?? 0;
  });
  return joined;
}

/** Add `offset` to column `column` of rows `[from, from + rows)` of a [rows, width] integer tensor. */
function offsetColumn(t: Tensor, from: number, rows: number, width: number, column: number, offset: number): void {
  if (t.dtype === 'int64') {
    const big = BigInt(offset);
    for (let r = from; r < from + rows; r += 1) t.data[r * width + column] = (t.data[r * width + column] ?? 0n) + big;
    return;
  }
  if (t.dtype !== 'int32') return; // the plan allows an item column on int32 and int64 only
  for (let r = from; r < from + rows; r += 1) t.data[r * width + column] = (t.data[r * width + column] ?? 0) + offset;
}
