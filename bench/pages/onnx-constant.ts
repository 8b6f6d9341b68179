/**
 * Turn one graph input of an ONNX model into a constant, by editing the protobuf: the
 * input leaves `graph.input` and comes back as an initializer holding `value`. ONNX
 * Runtime then folds what depends on it at session creation; for Silero VAD v5, whose
 * network sits inside an `If` on `sr == 16000`, that should leave a graph without control
 * flow (the experiment in `bench/webgpu-call.bench.ts`). Only the few protobuf fields on
 * the way are decoded; everything else is copied byte for byte.
 */

interface Field {
  readonly field: number;
  readonly wire: number;
  /** The whole field, key included, as it appeared. */
  readonly raw: Uint8Array;
  /** The payload of a length-delimited field. */
  readonly payload?: Uint8Array;
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  let i = at;
  for (;;) {
    const byte = bytes[i];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * scale;
    scale *= 128;
    i += 1;
    if ((byte & 0x80) === 0) return { value, next: i };
  }
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const key = readVarint(bytes, at);
    at = key.next;
    const field = Math.floor(key.value / 8);
    const wire = key.value % 8;
    let payload: Uint8Array | undefined;
    if (wire === 0) at = readVarint(bytes, at).next;
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = readVarint(bytes, at);
      payload = bytes.subarray(length.next, length.next + length.value);
      at = length.next + length.value;
    } else throw new Error(`unsupported wire type ${wire}`);
    out.push({ field, wire, raw: bytes.subarray(start, at), ...(payload === undefined ? {} : { payload }) });
  }
  return out;
}

function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  const head = [...varint(field * 8 + 2), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The name (field 1) of a ValueInfoProto. */
function nameOf(valueInfo: Uint8Array): string {
  const name = fields(valueInfo).find((f) => f.field === 1)?.payload;
  return name === undefined ? '' : new TextDecoder().decode(name);
}

/** A scalar int64 TensorProto: data_type 7 (INT64), int64_data packed, name. */
function int64Scalar(name: string, value: number): Uint8Array {
  return concat([Uint8Array.of(2 * 8 + 0, 7), lengthDelimited(7, Uint8Array.from(varint(value))), lengthDelimited(8, new TextEncoder().encode(name))]);
}

/** `model` with graph input `name` replaced by a constant scalar int64 `value`. */
export function withConstantInput(model: Uint8Array, name: string, value: number): Uint8Array {
  let found = false;
  const top = fields(model).map((f) => {
    if (f.field !== 7 || f.payload === undefined) return f.raw; // ModelProto.graph
    const graph = fields(f.payload).filter((g) => {
      const isInput = g.field === 11 && g.payload !== undefined && nameOf(g.payload) === name; // GraphProto.input
      found ||= isInput;
      return !isInput;
    });
    return lengthDelimited(7, concat([...graph.map((g) => g.raw), lengthDelimited(5, int64Scalar(name, value))])); // GraphProto.initializer
  });
  if (!found) throw new Error(`the graph has no input "${name}"`);
  return concat(top);
}
