/**
 * Stacking requests into one batch and splitting the batch's outputs back, by a
 * {@link BatchPlan}. Pure functions over `{dtype, dims, data}` tensors: the main thread
 * uses `requestUnits` and `batchKeyOf` to queue and group requests, the worker
 * `stackRequests` and `splitOutputs` around the engine call.
 *
 * Every stacked or split tensor has a buffer of its own (never a view into another
 * tensor's), so it can be transferred. One exception saves the copy on the hot path of a
 * lone request: a batch of one request passes its tensors through (a view is copied), and
 * so do its outputs.
 */
import { InferenceError, InvalidInputError } from '../errors';
import type { Tensor, TensorDType, TensorMap } from '../protocol';
import { copyTensor, formatShape, ownedTensor } from '../tensor';
import { allocateTensor, bytesOf, copyBox, fillTensor } from './box-copy';
import { fnv1a64 } from './fnv1a';
import { itemUnits, joinRows } from './concat-stack';
import type { BatchPlan, PlannedInput } from './plan';

/** Makes a zero-filled tensor for a stacked input (a `BufferPool`'s `allocate`, or a fresh one). */
export type Allocate = (dtype: TensorDType, dims: readonly number[]) => Tensor;

/** A batch built from several requests, and what splitting its outputs needs. */
export interface StackedBatch {
  /** The engine's inputs: every batched input stacked, shared inputs once, the mask when declared. */
  readonly inputs: TensorMap;
  /** Each request's batch size (units), in order. */
  readonly units: number[];
  /** Pad mode: each request's length on the first ragged input's axis; otherwise `undefined`. */
  readonly lengths: number[] | undefined;
}

/**
 * The batch size of one request: the size of its inputs' batch axes (equal for all of
 * them; 1 when none has one). Throws `InvalidInputError` naming both inputs when they
 * disagree.
 *
 * @example
 * requestUnits('vad', { input: tensor('float32', [3, 576], frames), state, sr }, plan); // 3
 */
export function requestUnits(model: string, inputs: TensorMap, plan: BatchPlan): number {
  let first: { readonly name: string; readonly axis: number; readonly units: number } | undefined;
  for (const input of plan.inputs) {
    const axis = input.batchAxis;
    if (axis === null) continue;
    const t = tensorOf(model, inputs, input.name);
    const units = t.dims[axis];
    if (units === undefined) {
      throw new InvalidInputError(`Input "${input.name}" of model "${model}" has rank ${t.dims.length}, but its batch axis is ${axis}.`, {
        model,
        input: input.name,
        expected: `rank ≥ ${axis + 1}`,
        got: formatShape(t.dims),
      });
    }
    if (units < 1) {
      throw new InvalidInputError(`Input "${input.name}" of model "${model}" holds no item: its batch axis ${axis} has size 0.`, {
        model,
        input: input.name,
        expected: `at least 1 on axis ${axis}`,
        got: formatShape(t.dims),
      });
    }
    if (first === undefined) first = { name: input.name, axis, units };
    else if (units !== first.units) {
      throw new InvalidInputError(
        `Inputs "${first.name}" and "${input.name}" of model "${model}" disagree on the batch size: ${first.units} on axis ${first.axis} of "${first.name}", ${units} on axis ${axis} of "${input.name}". Every batched input of one request holds the same number of items.`,
        { model, input: input.name, expected: `${first.units} on axis ${axis} (as in "${first.name}")`, got: formatShape(t.dims) },
      );
    }
  }
  if (plan.mode !== 'concat') return first?.units ?? 1;
  // Concat mode: joined inputs' item columns count the items too.
  const items = itemUnits(model, inputs, plan);
  if (first !== undefined && items !== undefined && items > first.units) {
    throw new InvalidInputError(
      `Model "${model}": the joined inputs name ${items} items, but "${first.name}" holds ${first.units} on its batch axis ${first.axis}.`,
      { model, input: first.name, expected: `${items} on axis ${first.axis}`, got: String(first.units) },
    );
  }
  return first?.units ?? items ?? 1;
}

/**
 * The batch compatibility key of a request: requests with equal keys may share a batch.
 * It holds every batched input's dtype and shape without its batch axis (and, in pad mode,
 * without its ragged axis; a joined input's without its axis 0 in concat mode), and every
 * shared input's dtype, shape and a 64-bit FNV-1a hash of its bytes.
 *
 * @example
 * batchKeyOf(request, plan); // '[["input","float32",["*",576]],["state","float32",[2,"*",128]],["sr","int64",[],"a8c7f832281a39c5"]]'
 */
export function batchKeyOf(inputs: TensorMap, plan: BatchPlan): string {
  const parts = plan.inputs.map((input) => {
    const t = tensorOf(plan.model, inputs, input.name);
    if (input.concat !== null) return [input.name, t.dtype, t.dims.map((size, axis) => (axis === 0 ? '~' : size))];
    if (input.batchAxis === null) return [input.name, t.dtype, t.dims, fnv1a64(bytesOf(t))];
    const shape = t.dims.map((size, axis) => (axis === input.batchAxis ? '*' : axis === input.ragged?.axis ? '~' : size));
    return [input.name, t.dtype, shape];
  });
  return JSON.stringify(parts);
}

/**
 * Stack requests of equal {@link batchKeyOf} into one batch: every batched input
 * concatenated along its batch axis (an inner axis too: `state` [2, B, 128] along axis 1),
 * every shared input taken from the first request, and in pad mode every ragged input
 * padded to the longest request with its pad value, plus the mask input when declared.
 * In concat mode every joined input's rows are appended, its item column offset by the
 * units before. Stacked tensors come from `allocate` (zero-filled): the model's executor passes a
 * pool's, so a batch reuses the buffers of an earlier one.
 *
 * @example
 * const batch = stackRequests('vad', [a, b], plan); // a has batch 1, b batch 3
 * batch.inputs.state.dims; // [2, 4, 128]
 * batch.units; // [1, 3]
 */
export function stackRequests(model: string, requests: readonly TensorMap[], plan: BatchPlan, allocate: Allocate = allocateTensor): StackedBatch {
  if (requests.length === 0) throw new InvalidInputError(`No requests to stack for model "${model}".`, { model, expected: 'at least one request', got: '0' });
  const units = requests.map((request) => requestUnits(model, request, plan));
  const lengthsFrom = plan.inputs.find((input) => input.name === plan.lengthsFrom);
  const lengths =
    lengthsFrom === undefined ? undefined : requests.map((request) => raggedLength(model, lengthsFrom, tensorOf(model, request, lengthsFrom.name)));
  const entries = plan.inputs.map((input): [string, Tensor] => {
    const tensors = requests.map((request) => tensorOf(model, request, input.name));
    const [only] = tensors;
    if (only !== undefined && tensors.length === 1) return [input.name, ownedTensor(only)];
    return [input.name, input.concat === null ? stackInput(model, input, tensors, units, allocate) : joinRows(model, input, tensors, units, allocate)];
  });
  if (plan.mask !== null && lengths !== undefined) entries.push([plan.mask.name, buildMask(plan.mask.dtype, units, lengths, allocate)]);
  return { inputs: Object.fromEntries(entries), units, lengths };
}

/**
 * Split a batch's outputs back into one output map per request: each batched output
 * sliced along its batch axis by the requests' `units` (and, in pad mode, cut along its
 * declared axis to each request's length: `ceil(size · length / maxLength)`); each shared
 * output (no batch axis) given to every request. Throws `InferenceError` when an output's
 * batch axis does not hold the batch's units.
 *
 * @example
 * const [forA, forB] = splitOutputs('vad', outputs, batch.units, plan, batch.lengths);
 * forB.stateN.dims; // [2, 3, 128]
 */
export function splitOutputs(model: string, outputs: TensorMap, units: readonly number[], plan: BatchPlan, lengths?: readonly number[]): TensorMap[] {
  if (lengths !== undefined && lengths.length !== units.length) {
    throw new InferenceError(`Splitting outputs of model "${model}": ${units.length} requests but ${lengths.length} lengths.`, {
      model,
      expected: `${units.length} lengths`,
      got: String(lengths.length),
    });
  }
  const names = Object.keys(outputs);
  if (units.length === 1) return [Object.fromEntries(names.map((name) => [name, ownedTensor(tensorOf(model, outputs, name))]))];
  const total = units.reduce((sum, u) => sum + u, 0);
  const maxLength = lengths === undefined ? 0 : Math.max(0, ...lengths);
  const planned = new Map(plan.outputs.map((output) => [output.name, output]));
  const perRequest = units.map((): [string, Tensor][] => []);
  for (const name of names) {
    const t = tensorOf(model, outputs, name);
    const output = planned.get(name);
    const axis = output?.batchAxis ?? null;
    if (axis === null) {
      perRequest.forEach((entries, i) => entries.push([name, i === 0 ? ownedTensor(t) : copyTensor(t)]));
      continue;
    }
    if (t.dims[axis] !== total) {
      throw new InferenceError(
        `Output "${name}" of model "${model}" is ${formatShape(t.dims)}, but a batch of ${total} units (${units.join(' + ')}) should give ${total} on its batch axis ${axis}. If its batch axis is another one, or it has none, declare \`batchAxes.${name}\`.`,
        { model, input: name, expected: `${total} on axis ${axis}`, got: formatShape(t.dims) },
      );
    }
    const cutAxis = output?.cutAxis ?? null;
    const cutSize = cutAxis === null ? undefined : t.dims[cutAxis];
    if (cutAxis !== null && (cutSize === undefined || lengths === undefined)) {
      throw new InferenceError(
        `Output "${name}" of model "${model}" cannot be cut on axis ${cutAxis}: ${lengths === undefined ? 'no request lengths' : 'no such axis'}.`,
        {
          model,
          input: name,
          expected: `lengths and an axis ${cutAxis}`,
          got: formatShape(t.dims),
        },
      );
    }
    let offset = 0;
    units.forEach((count, i) => {
      const box = [...t.dims];
      box[axis] = count;
      if (cutAxis !== null && cutSize !== undefined) box[cutAxis] = cutLength(cutSize, lengths?.[i] ?? maxLength, maxLength);
      const part = allocateTensor(t.dtype, box);
      const start = t.dims.map((_, a) => (a === axis ? offset : 0));
      copyBox({ tensor: t, start }, { tensor: part, start: box.map(() => 0) }, box);
      perRequest[i]?.push([name, part]);
      offset += count;
    });
  }
  return perRequest.map((entries) => Object.fromEntries(entries));
}

/** The positions a request of `length` keeps of a padded axis of `size`, out of `maxLength`. */
function cutLength(size: number, length: number, maxLength: number): number {
  return maxLength === 0 ? size : Math.min(size, Math.ceil((size * length) / maxLength));
}

/** One input of several requests, stacked (or, without a batch axis, the first request's). */
function stackInput(model: string, input: PlannedInput, tensors: readonly Tensor[], units: readonly number[], allocate: Allocate): Tensor {
  const [first] = tensors;
  if (first === undefined) throw new InvalidInputError(`No requests to stack for model "${model}".`, { model });
  const axis = input.batchAxis;
  const raggedAxis = input.ragged?.axis;
  tensors.forEach((t, i) => {
    const differs =
      t.dtype !== first.dtype || t.dims.length !== first.dims.length || t.dims.some((d, a) => a !== axis && a !== raggedAxis && d !== first.dims[a]);
    if (differs) {
      throw new InvalidInputError(
        `Requests to model "${model}" cannot share a batch: input "${input.name}" is ${first.dtype} ${formatShape(first.dims)} in the first request, ${t.dtype} ${formatShape(t.dims)} in request ${i}. Group requests by batchKeyOf() first.`,
        { model, input: input.name, expected: `${first.dtype} ${formatShape(first.dims)}`, got: `${t.dtype} ${formatShape(t.dims)}` },
      );
    }
  });
  if (axis === null) return copyTensor(first);
  const dims = [...first.dims];
  dims[axis] = units.reduce((sum, u) => sum + u, 0);
  if (input.ragged !== null) dims[input.ragged.axis] = Math.max(...tensors.map((t) => raggedLength(model, input, t)));
  const stacked = allocate(first.dtype, dims);
  if (input.ragged !== null && input.ragged.padValue !== 0) fillTensor(stacked, input.ragged.padValue);
  let offset = 0;
  tensors.forEach((t, i) => {
    const start = dims.map((_, a) => (a === axis ? offset : 0));
    copyBox({ tensor: t, start: t.dims.map(() => 0) }, { tensor: stacked, start }, t.dims);
    offset += units[i] ?? 0;
  });
  return stacked;
}

/** A ragged input's length: its size on the ragged axis. */
function raggedLength(model: string, input: PlannedInput, t: Tensor): number {
  const axis = input.ragged?.axis ?? 0;
  const length = t.dims[axis];
  if (length === undefined) {
    throw new InvalidInputError(`Input "${input.name}" of model "${model}" has rank ${t.dims.length}, but its ragged axis is ${axis}.`, {
      model,
      input: input.name,
      expected: `rank ≥ ${axis + 1}`,
      got: formatShape(t.dims),
    });
  }
  return length;
}

/** The mask: `[units, maxLength]`, each request's rows 1 over its length and 0 after. */
function buildMask(dtype: TensorDType, units: readonly number[], lengths: readonly number[], allocate: Allocate): Tensor {
  const maxLength = Math.max(0, ...lengths);
  const mask = allocate(dtype, [units.reduce((sum, u) => sum + u, 0), maxLength]);
  let row = 0;
  units.forEach((count, i) => {
    const length = lengths[i] ?? 0;
    for (let r = 0; r < count; r += 1, row += 1) fillTensor(mask, 1, row * maxLength, row * maxLength + length);
  });
  return mask;
}

/** A named tensor of a map (own properties only), or `InvalidInputError`. */
function tensorOf(model: string, map: TensorMap, name: string): Tensor {
  const t = Object.hasOwn(map, name) ? map[name] : undefined;
  if (t === undefined) throw new InvalidInputError(`Model "${model}" needs tensor "${name}", which was not given.`, { model, input: name, got: 'nothing' });
  return t;
}
