/**
 * Tensors between inpage and ONNX Runtime Web: signatures from session metadata, and
 * inpage tensors to ORT tensors and back.
 */
import type * as ort from 'onnxruntime-web';
import { InferenceError, ModelLoadError } from '../src/errors';
import type { DeviceTensor, Dim, Tensor, TensorDType, TensorSpec } from '../src/protocol';
import { ownedTensor } from '../src/tensor';
import type { Ort } from './ort-builds';

const ortTypeToDType: Partial<Record<ort.Tensor.Type, TensorDType>> = {
  float32: 'float32',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  int8: 'int8',
  bool: 'bool',
};

/** The specs of a session's inputs or outputs. */
export function specsOf(metadata: readonly ort.InferenceSession.ValueMetadata[], names: readonly string[]): TensorSpec[] {
  return names.map((name, i) => {
    const meta = metadata[i];
    if (meta === undefined || !meta.isTensor) return { name, dtype: 'float32', shape: null };
    const dtype = ortTypeToDType[meta.type];
    if (dtype === undefined) {
      throw new ModelLoadError(`Tensor "${name}" has element type ${meta.type}, which inpage does not support yet.`, {
        input: name,
        expected: Object.keys(ortTypeToDType).join(', '),
        got: meta.type,
      });
    }
    // ONNX encodes an unknown dimension as a symbolic name or -1, and ORT Web reports
    // -1 as 4294967295 (an unsigned wrap); both become `null`. `[]` is a scalar.
    const shape: Dim[] = meta.shape.map((d) => (typeof d === 'number' ? (d < 0 || d > 0x7fffffff ? null : d) : d === '' ? null : d));
    return { name, dtype, shape };
  });
}

/** An ORT tensor over `t`'s data (no copy), made by `build`: the build of the session it feeds (`ort-builds.ts`). */
export function toOrt(build: Ort, t: Tensor): ort.Tensor {
  return new build.Tensor(t.dtype, t.data, t.dims);
}

/** An inpage tensor that owns its buffer, from an ORT output. */
export function fromOrt(name: string, value: ort.OnnxValue): Tensor {
  const dims = [...value.dims];
  const owned = (t: Tensor): Tensor => ownedTensor(t);
  switch (value.type) {
    case 'float32':
      return owned({ dtype: 'float32', dims, data: value.data as Float32Array }); // ORT guarantees the array type per `type`
    case 'int32':
      return owned({ dtype: 'int32', dims, data: value.data as Int32Array });
    case 'int64':
      return owned({ dtype: 'int64', dims, data: value.data as BigInt64Array });
    case 'uint8':
      return owned({ dtype: 'uint8', dims, data: value.data as Uint8Array });
    case 'int8':
      return owned({ dtype: 'int8', dims, data: value.data as Int8Array });
    case 'bool':
      return owned({ dtype: 'bool', dims, data: value.data as Uint8Array });
    default:
      throw new InferenceError(`Output "${name}" has element type ${value.type}, which inpage does not support yet.`);
  }
}

/**
 * An ORT output whose data may sit in a GPU buffer: downloaded first (and the GPU buffer
 * freed) when it does, as {@link fromOrt} otherwise.
 */
export async function fromOrtAnywhere(name: string, value: ort.Tensor): Promise<Tensor> {
  if (value.location === 'cpu' || value.location === 'cpu-pinned') return fromOrt(name, value);
  await value.getData(true); // ORT keeps the downloaded data in the tensor, now on the CPU
  return fromOrt(name, value);
}

/** Live {@link OrtDeviceTensor}s, for the engine's resource count (leak hunts). */
let liveDeviceTensors = 0;

/** {@link DeviceTensor}s not yet disposed, in this worker. */
export function deviceTensorCount(): number {
  return liveDeviceTensors;
}

/** An ORT output kept where ORT computed it, to be fed back to the same session. */
export class OrtDeviceTensor implements DeviceTensor {
  readonly dtype: TensorDType;
  readonly dims: readonly number[];
  readonly location: 'gpu-buffer' | 'cpu';
  private value: ort.Tensor | undefined;

  constructor(
    private readonly name: string,
    value: ort.Tensor,
  ) {
    const dtype = ortTypeToDType[value.type];
    if (dtype === undefined) throw new InferenceError(`Output "${name}" has element type ${value.type}, which inpage does not support yet.`);
    this.dtype = dtype;
    this.dims = [...value.dims];
    this.location = value.location === 'gpu-buffer' ? 'gpu-buffer' : 'cpu';
    this.value = value;
    liveDeviceTensors += 1;
  }

  /** The ORT tensor to feed; throws once disposed (a cache fed after it was freed is a bug, not bad input). */
  get ort(): ort.Tensor {
    if (this.value === undefined) throw new InferenceError(`Device tensor "${this.name}" was fed after it was disposed.`);
    return this.value;
  }

  async download(): Promise<Tensor> {
    const value = this.ort;
    await value.getData(true); // ORT keeps the data in the tensor, now on the CPU, and frees the GPU buffer
    const tensor = fromOrt(this.name, value);
    this.dispose();
    return tensor;
  }

  dispose(): void {
    if (this.value === undefined) return;
    this.value.dispose();
    this.value = undefined;
    liveDeviceTensors -= 1;
  }
}
