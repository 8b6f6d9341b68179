/** Type-level tests: the public API's types are part of the contract. */
import type { Remote } from 'comlink';
import { expectTypeOf, test } from 'vitest';
import type { Model, Runtime, Tensor, TensorMap } from './index';
import { createRuntime, tensor } from './index';
import type { WorkerApi, RunResult } from './protocol';

test('a proxied worker method returns a Promise of the same result', () => {
  expectTypeOf<ReturnType<Remote<WorkerApi>['run']>>().toEqualTypeOf<Promise<RunResult>>();
});

test('runtime and model methods are async', () => {
  expectTypeOf(createRuntime).returns.toEqualTypeOf<Runtime>();
  expectTypeOf<Runtime['load']>().returns.toEqualTypeOf<Promise<Model>>();
  expectTypeOf<Model['run']>().returns.toEqualTypeOf<Promise<TensorMap>>();
});

test('tensor() ties the dtype to its typed array', () => {
  expectTypeOf(tensor('int64', [], BigInt64Array.of(1n)).data).toEqualTypeOf<BigInt64Array>();
  // @ts-expect-error a Float64Array is not a float32 tensor's data
  tensor('float32', [1], new Float64Array(1));
  const t = {} as Tensor;
  if (t.dtype === 'int32') expectTypeOf(t.data).toEqualTypeOf<Int32Array>();
});
