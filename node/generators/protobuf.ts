/**
 * A minimal protobuf writer and encoders for the few ONNX messages the decoder generator
 * builds (`ModelProto` and what it holds), so the Node-side CLI and Vite plugin need no
 * protobuf runtime.
 *
 * The bytes are the ones protobufjs (`onnx-proto`'s static code, ONNX v1.10.2 schema)
 * writes for the same message objects, which the tests check field by field:
 *   - fields go out in ascending field number, which is what protobufjs's generated
 *     `encode` does (it sorts by id); the `.proto` *declares* some fields in another order
 *     (`AttributeProto.ref_attr_name = 21` right after `name`, `ModelProto.opset_import = 8`
 *     second), so declaration order would give different bytes;
 *   - a singular field is written whenever it is set, even to its default (`domain: ''`,
 *     `i: 0`), and skipped when `undefined`; a repeated field is skipped when empty;
 *   - repeated numeric fields are packed; negative `int32`/`int64` values are 10-byte
 *     two's-complement varints.
 *
 * Only the fields listed in the interfaces below are encoded; extend them (in field-number
 * order) when a generator needs more.
 */

/** Protobuf wire types. */
const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Payloads at least this long are kept by reference until `finish()` instead of copied. */
const REFERENCE_THRESHOLD = 256;

const utf8 = new TextEncoder();
const scratch = new DataView(new ArrayBuffer(4));

/**
 * An append-only protobuf writer. Small writes are copied into a growing buffer; large
 * `bytes` payloads (tensor data) are kept by reference and copied once, by `finish()`, so
 * writing a 60 MB model costs one copy. Do not change an array after writing it.
 *
 * @example
 * const writer = new ProtoWriter();
 * writer.string(1, 'x');
 * writer.finish(); // Uint8Array [10, 1, 120]
 */
export class ProtoWriter {
  #parts: Uint8Array[] = [];
  #partsLength = 0;
  #buffer = new Uint8Array(0);
  #position = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#partsLength + this.#position;
  }

  /** A field key: `(field << 3) | wireType`. */
  tag(field: number, wireType: number): this {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new Error(`protobuf: field number ${field} is not an integer from 1 to 2^29 - 1`);
    return this.varint(field * 8 + wireType);
  }

  /**
   * A bare varint. Non-negative integers up to 2^53 - 1 are written as they are; a negative
   * one as its 64-bit two's complement (10 bytes), as protobuf's `int32` and `int64` do.
   */
  varint(value: number): this {
    if (!Number.isSafeInteger(value)) throw new Error(`protobuf: cannot write ${value} as a varint; expected a safe integer`);
    if (value < 0) {
      let rest = BigInt.asUintN(64, BigInt(value));
      this.#reserve(10);
      while (rest >= 0x80n) {
        this.#buffer[this.#position++] = Number(rest & 0x7fn) | 0x80;
        rest >>= 7n;
      }
      this.#buffer[this.#position++] = Number(rest);
      return this;
    }
    this.#reserve(8);
    let rest = value;
    while (rest >= 0x80) {
      this.#buffer[this.#position++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#buffer[this.#position++] = rest;
    return this;
  }

  /** Bytes as they are, with no key or length. */
  raw(bytes: Uint8Array): this {
    if (bytes.length >= REFERENCE_THRESHOLD) {
      this.#flush();
      this.#parts.push(bytes);
      this.#partsLength += bytes.length;
      return this;
    }
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#position);
    this.#position += bytes.length;
    return this;
  }

  /** An `int32`, `int64`, `uint64` or enum field (varint). */
  int64(field: number, value: number): this {
    return this.tag(field, WIRE_VARINT).varint(value);
  }

  /** A `float` field (fixed 32-bit, little-endian). */
  float(field: number, value: number): this {
    return this.tag(field, WIRE_FIXED32).#float32(value);
  }

  /** A `bytes` field. */
  bytes(field: number, value: Uint8Array): this {
    return this.tag(field, WIRE_LENGTH_DELIMITED).varint(value.length).raw(value);
  }

  /** A `string` field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** An embedded message field: `write` fills a fresh writer, which is then appended with its length. */
  message(field: number, write: (writer: ProtoWriter) => void): this {
    const child = new ProtoWriter();
    write(child);
    this.tag(field, WIRE_LENGTH_DELIMITED).varint(child.length);
    this.#append(child);
    return this;
  }

  /** A packed repeated `int32`/`int64` field; nothing when `values` is empty. */
  packedInt64(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const child = new ProtoWriter();
    for (let i = 0; i < values.length; i++) child.varint(values[i] as number);
    this.tag(field, WIRE_LENGTH_DELIMITED).varint(child.length);
    this.#append(child);
    return this;
  }

  /** A packed repeated `float` field; nothing when `values` is empty. */
  packedFloat(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.tag(field, WIRE_LENGTH_DELIMITED).varint(values.length * 4);
    for (let i = 0; i < values.length; i++) this.#float32(values[i] as number);
    return this;
  }

  /** Every byte written, in one array. */
  finish(): Uint8Array {
    this.#flush();
    const out = new Uint8Array(this.#partsLength);
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  #float32(value: number): this {
    scratch.setFloat32(0, value, true);
    this.#reserve(4);
    for (let i = 0; i < 4; i++) this.#buffer[this.#position++] = scratch.getUint8(i);
    return this;
  }

  #append(other: ProtoWriter): void {
    other.#flush();
    for (const part of other.#parts) this.raw(part);
  }

  /** Make room for `count` more bytes in the buffer. */
  #reserve(count: number): void {
    if (this.#position + count <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(256, this.#buffer.length * 2, this.#position + count));
    grown.set(this.#buffer.subarray(0, this.#position));
    this.#buffer = grown;
  }

  /** Move the buffered bytes into the parts list. */
  #flush(): void {
    if (this.#position === 0) return;
    this.#parts.push(this.#buffer.subarray(0, this.#position));
    this.#partsLength += this.#position;
    this.#buffer = new Uint8Array(0);
    this.#position = 0;
  }
}

// ── ONNX messages (onnx.proto, IR version 8) ────────────────────────────────

/** `TensorProto.DataType` values the generators use. */
export const TensorDataType = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, BOOL: 9 } as const;

/** `AttributeProto.AttributeType` values the generators use. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** `OperatorSetIdProto`: an opset the model imports (`domain: ''` is the default ONNX domain). */
export interface OperatorSetIdProto {
  domain?: string;
  version?: number;
}

/** `TensorShapeProto.Dimension`: a fixed size (`dimValue`) or a named, dynamic one (`dimParam`). */
export interface TensorShapeDimension {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

/** `TensorShapeProto`. */
export interface TensorShapeProto {
  dim?: readonly TensorShapeDimension[];
}

/** `TypeProto.Tensor`: element type (a {@link TensorDataType}) and shape. */
export interface TypeProtoTensor {
  elemType?: number;
  shape?: TensorShapeProto;
}

/** `TypeProto` (tensor types only). */
export interface TypeProto {
  tensorType?: TypeProtoTensor;
  denotation?: string;
}

/** `ValueInfoProto`: a graph input's or output's name and type. */
export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  docString?: string;
}

/** `TensorProto`: an initializer or constant; data as `rawData` (little-endian) or typed lists. */
export interface TensorProto {
  dims?: readonly number[];
  dataType?: number;
  floatData?: ArrayLike<number>;
  int32Data?: ArrayLike<number>;
  int64Data?: ArrayLike<number>;
  name?: string;
  rawData?: Uint8Array;
  docString?: string;
}

/** `AttributeProto`: a node attribute; `type` is an {@link AttributeType}. */
export interface AttributeProto {
  name?: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  /** A subgraph (`If`'s branches). */
  g?: GraphProto;
  floats?: readonly number[];
  ints?: readonly number[];
  strings?: readonly Uint8Array[];
  docString?: string;
  type?: number;
}

/** `NodeProto`: one operator application. */
export interface NodeProto {
  input?: readonly string[];
  output?: readonly string[];
  name?: string;
  opType?: string;
  attribute?: readonly AttributeProto[];
  docString?: string;
  domain?: string;
}

/** `GraphProto`. */
export interface GraphProto {
  node?: readonly NodeProto[];
  name?: string;
  initializer?: readonly TensorProto[];
  docString?: string;
  input?: readonly ValueInfoProto[];
  output?: readonly ValueInfoProto[];
  valueInfo?: readonly ValueInfoProto[];
}

/** `ModelProto`: the top-level message of an `.onnx` file. */
export interface ModelProto {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: GraphProto;
  opsetImport?: readonly OperatorSetIdProto[];
}

// Each writer below emits its fields in ascending field number (see the file comment).

function writeOperatorSetId(w: ProtoWriter, m: OperatorSetIdProto): void {
  if (m.domain !== undefined) w.string(1, m.domain);
  if (m.version !== undefined) w.int64(2, m.version);
}

function writeDimension(w: ProtoWriter, m: TensorShapeDimension): void {
  if (m.dimValue !== undefined) w.int64(1, m.dimValue);
  if (m.dimParam !== undefined) w.string(2, m.dimParam);
  if (m.denotation !== undefined) w.string(3, m.denotation);
}

function writeTensorShape(w: ProtoWriter, m: TensorShapeProto): void {
  for (const dim of m.dim ?? []) w.message(1, (c) => writeDimension(c, dim));
}

function writeTypeProto(w: ProtoWriter, m: TypeProto): void {
  const tensor = m.tensorType;
  if (tensor !== undefined)
    w.message(1, (c) => {
      if (tensor.elemType !== undefined) c.int64(1, tensor.elemType);
      const shape = tensor.shape;
      if (shape !== undefined) c.message(2, (s) => writeTensorShape(s, shape));
    });
  if (m.denotation !== undefined) w.string(6, m.denotation);
}

function writeValueInfo(w: ProtoWriter, m: ValueInfoProto): void {
  if (m.name !== undefined) w.string(1, m.name);
  const type = m.type;
  if (type !== undefined) w.message(2, (c) => writeTypeProto(c, type));
  if (m.docString !== undefined) w.string(3, m.docString);
}

function writeTensor(w: ProtoWriter, m: TensorProto): void {
  if (m.dims !== undefined) w.packedInt64(1, m.dims);
  if (m.dataType !== undefined) w.int64(2, m.dataType);
  if (m.floatData !== undefined) w.packedFloat(4, m.floatData);
  if (m.int32Data !== undefined) w.packedInt64(5, m.int32Data);
  if (m.int64Data !== undefined) w.packedInt64(7, m.int64Data);
  if (m.name !== undefined) w.string(8, m.name);
  if (m.rawData !== undefined) w.bytes(9, m.rawData);
  if (m.docString !== undefined) w.string(12, m.docString);
}

function writeAttribute(w: ProtoWriter, m: AttributeProto): void {
  if (m.name !== undefined) w.string(1, m.name);
  if (m.f !== undefined) w.float(2, m.f);
  if (m.i !== undefined) w.int64(3, m.i);
  if (m.s !== undefined) w.bytes(4, m.s);
  const tensor = m.t;
  if (tensor !== undefined) w.message(5, (c) => writeTensor(c, tensor));
  const graph = m.g;
  if (graph !== undefined) w.message(6, (c) => writeGraph(c, graph));
  if (m.floats !== undefined) w.packedFloat(7, m.floats);
  if (m.ints !== undefined) w.packedInt64(8, m.ints);
  for (const s of m.strings ?? []) w.bytes(9, s);
  if (m.docString !== undefined) w.string(13, m.docString);
  if (m.type !== undefined) w.int64(20, m.type);
}

function writeNode(w: ProtoWriter, m: NodeProto): void {
  for (const input of m.input ?? []) w.string(1, input);
  for (const output of m.output ?? []) w.string(2, output);
  if (m.name !== undefined) w.string(3, m.name);
  if (m.opType !== undefined) w.string(4, m.opType);
  for (const attribute of m.attribute ?? []) w.message(5, (c) => writeAttribute(c, attribute));
  if (m.docString !== undefined) w.string(6, m.docString);
  if (m.domain !== undefined) w.string(7, m.domain);
}

function writeGraph(w: ProtoWriter, m: GraphProto): void {
  for (const node of m.node ?? []) w.message(1, (c) => writeNode(c, node));
  if (m.name !== undefined) w.string(2, m.name);
  for (const tensor of m.initializer ?? []) w.message(5, (c) => writeTensor(c, tensor));
  if (m.docString !== undefined) w.string(10, m.docString);
  for (const info of m.input ?? []) w.message(11, (c) => writeValueInfo(c, info));
  for (const info of m.output ?? []) w.message(12, (c) => writeValueInfo(c, info));
  for (const info of m.valueInfo ?? []) w.message(13, (c) => writeValueInfo(c, info));
}

function writeModel(w: ProtoWriter, m: ModelProto): void {
  if (m.irVersion !== undefined) w.int64(1, m.irVersion);
  if (m.producerName !== undefined) w.string(2, m.producerName);
  if (m.producerVersion !== undefined) w.string(3, m.producerVersion);
  if (m.domain !== undefined) w.string(4, m.domain);
  if (m.modelVersion !== undefined) w.int64(5, m.modelVersion);
  if (m.docString !== undefined) w.string(6, m.docString);
  const graph = m.graph;
  if (graph !== undefined) w.message(7, (c) => writeGraph(c, graph));
  for (const opset of m.opsetImport ?? []) w.message(8, (c) => writeOperatorSetId(c, opset));
}

/**
 * Serialise a `ModelProto` to the bytes of an `.onnx` file.
 *
 * @example
 * const bytes = encodeModelProto({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g' } });
 * // Uint8Array [8, 8, 58, 3, 18, 1, 103, 66, 4, 10, 0, 16, 17]
 */
export function encodeModelProto(model: ModelProto): Uint8Array {
  const writer = new ProtoWriter();
  writeModel(writer, model);
  return writer.finish();
}
