/**
 * The operators an ONNX model's graph uses, read straight from its `ModelProto` bytes:
 * a protobuf walk that descends only into the graph, its nodes and their subgraph
 * attributes (an `If`'s branches, a `Loop`'s body) and skips everything else by length,
 * so tens of megabytes of initializers cost nothing to pass over.
 *
 * ONNX Runtime's session does not say which operators it runs; a loader that must treat a
 * graph by what it computes (GroupQueryAttention reads its KV cache right-aligned,
 * `generate-batch.ts`) reads them here.
 */

/** Wire types of the protobuf encoding. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

/** Field numbers from onnx.proto. */
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;

class Malformed extends Error {}

/** A view of protobuf bytes: walk one message's fields in `[start, end)`. */
class Reader {
  private readonly decoder = new TextDecoder();

  constructor(private readonly bytes: Uint8Array) {}

  /** Call `field(number, start, end)` for each length-delimited field; skip the others. */
  fields(start: number, end: number, field: (number: number, start: number, end: number) => void): void {
    let at = start;
    while (at < end) {
      const [tag, afterTag] = this.varint(at, end);
      const wire = tag % 8;
      const number = Math.floor(tag / 8);
      at = afterTag;
      if (wire === VARINT) at = this.varint(at, end)[1];
      else if (wire === FIXED64) at += 8;
      else if (wire === FIXED32) at += 4;
      else if (wire === LENGTH) {
        const [length, from] = this.varint(at, end);
        at = from + length;
        if (at > end) throw new Malformed();
        field(number, from, at);
      } else throw new Malformed(); // groups (3, 4) are not in onnx.proto
      if (at > end) throw new Malformed();
    }
  }

  text(start: number, end: number): string {
    return this.decoder.decode(this.bytes.subarray(start, end));
  }

  /** A varint at `at` (up to 2^53): its value and where the next field starts. */
  private varint(at: number, end: number): [number, number] {
    let value = 0;
    let scale = 1;
    for (let i = at; i < end && i < at + 10; i++) {
      const byte = this.bytes[i] ?? 0;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return [value, i + 1];
      scale *= 128;
    }
    throw new Malformed();
  }
}

/**
 * Every operator the model's graph (and its subgraphs) uses, sorted: the plain name for the
 * default ONNX domain, `domain.Name` for others (`com.microsoft.GroupQueryAttention`).
 * `undefined` when the bytes are not a readable `ModelProto`.
 */
export function onnxOperators(bytes: Uint8Array): string[] | undefined {
  const reader = new Reader(bytes);
  const found = new Set<string>();
  const graph = (start: number, end: number): void =>
    reader.fields(start, end, (number, from, to) => {
      if (number === GRAPH_NODE) node(from, to);
    });
  const node = (start: number, end: number): void => {
    let opType = '';
    let domain = '';
    reader.fields(start, end, (number, from, to) => {
      if (number === NODE_OP_TYPE) opType = reader.text(from, to);
      else if (number === NODE_DOMAIN) domain = reader.text(from, to);
      else if (number === NODE_ATTRIBUTE)
        reader.fields(from, to, (field, gFrom, gTo) => {
          if (field === ATTRIBUTE_GRAPH || field === ATTRIBUTE_GRAPHS) graph(gFrom, gTo);
        });
    });
    if (opType !== '') found.add(domain === '' || domain === 'ai.onnx' ? opType : `${domain}.${opType}`);
  };
  try {
    let graphs = 0;
    reader.fields(0, bytes.length, (number, from, to) => {
      if (number !== MODEL_GRAPH) return;
      graphs += 1;
      graph(from, to);
    });
    return graphs === 0 ? undefined : [...found].sort();
  } catch (error) {
    if (error instanceof Malformed) return undefined;
    throw error;
  }
}
