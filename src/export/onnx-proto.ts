/**
 * The ONNX file format: the protobuf wire encoding of ModelProto and the messages inside it,
 * with the field numbers of onnx.proto. Only what an export writes is here: a model holds one
 * graph of nodes, raw-data initializers and typed inputs and outputs.
 *
 * Wire format: each field is a varint key (field number << 3 | wire type) and a value; wire
 * type 0 is a varint, 2 a length-prefixed byte string (strings, bytes, nested messages), 5 four
 * little-endian bytes (float). Repeated scalars are written one key per value, as proto2 does.
 */

/** TensorProto.DataType values. */
export const DataType = { FLOAT: 1, UINT8: 2, INT64: 7, BOOL: 9 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export interface TensorProto {
  name: string;
  dataType: DataTypeCode;
  dims: number[];
  /** Little-endian element bytes, row-major. */
  rawData: Uint8Array;
}

/** A node attribute: a number is an INT, an array INTS, `{ float }` FLOAT, a tensor TENSOR. */
export type AttributeValue =
  | number
  | number[]
  | string
  | TensorProto
  | { float: number }
  | { floats: number[] };

export interface NodeProto {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
}

/** A dimension: a fixed size, or a named one (`batch`) left to run time. */
export type Dimension = number | string;

export interface ValueInfoProto {
  name: string;
  elemType: DataTypeCode;
  shape: Dimension[];
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
}

export interface ModelProto {
  /** 8 for opset 17. */
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  /** Key-value pairs stored in the file (metadata_props). */
  metadata?: Record<string, string>;
  graph: GraphProto;
}

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Field numbers from onnx.proto. */
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7 };
const MODEL_OPSET_IMPORT = 8;
const MODEL_METADATA_PROPS = 14;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 };
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 };
const ATTRIBUTE = { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, type: 20 };
const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 };
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 };
const VALUE_INFO = { name: 1, type: 2 };
const TYPE_TENSOR = 1;
const TENSOR_TYPE = { elemType: 1, shape: 2 };
const SHAPE_DIM = 1;
const DIMENSION = { value: 1, param: 2 };
const OPERATOR_SET = { domain: 1, version: 2 };
const STRING_ENTRY = { key: 1, value: 2 };

/** Collects encoded fields; `finish` joins them into one message. */
class MessageWriter {
  private readonly parts: Uint8Array[] = [];

  varint(field: number, value: number): this {
    this.parts.push(encodeVarint((field << 3) | VARINT), encodeVarint(value));
    return this;
  }

  float(field: number, value: number): this {
    const bytes = Buffer.alloc(4);
    bytes.writeFloatLE(value);
    this.parts.push(encodeVarint((field << 3) | FIXED32), bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.parts.push(
      encodeVarint((field << 3) | LENGTH_DELIMITED),
      encodeVarint(value.length),
      value,
    );
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, "utf8"));
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/**
 * A base-128 varint; negative numbers are int64 two's complement (ten bytes), as protobuf
 * writes a negative int64 such as an `axis` of -1.
 */
export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value)) throw new RangeError(`varint ${value} is not a safe integer`);
  let rest = value < 0 ? BigInt.asUintN(64, BigInt(value)) : BigInt(value);
  const bytes: number[] = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest > 0n ? low | 0x80 : low);
  } while (rest > 0n);
  return Uint8Array.from(bytes);
}

export function encodeTensor(tensor: TensorProto): Buffer {
  const writer = new MessageWriter();
  for (const dim of tensor.dims) writer.varint(TENSOR.dims, dim);
  return writer
    .varint(TENSOR.dataType, tensor.dataType)
    .string(TENSOR.name, tensor.name)
    .bytes(TENSOR.rawData, tensor.rawData)
    .finish();
}

function encodeAttribute(name: string, value: AttributeValue): Buffer {
  const writer = new MessageWriter().string(ATTRIBUTE.name, name);
  if (typeof value === "string") {
    return writer.string(ATTRIBUTE.s, value).varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.STRING).finish();
  }
  if (typeof value === "number") {
    return writer.varint(ATTRIBUTE.i, value).varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.INT).finish();
  }
  if (Array.isArray(value)) {
    for (const item of value) writer.varint(ATTRIBUTE.ints, item);
    return writer.varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.INTS).finish();
  }
  if ("float" in value) {
    return writer
      .float(ATTRIBUTE.f, value.float)
      .varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.FLOAT)
      .finish();
  }
  if ("floats" in value) {
    for (const item of value.floats) writer.float(ATTRIBUTE.floats, item);
    return writer.varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.FLOATS).finish();
  }
  return writer
    .bytes(ATTRIBUTE.t, encodeTensor(value))
    .varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.TENSOR)
    .finish();
}

function encodeNode(node: NodeProto): Buffer {
  const writer = new MessageWriter();
  for (const input of node.inputs) writer.string(NODE.input, input);
  for (const output of node.outputs) writer.string(NODE.output, output);
  writer.string(NODE.name, node.name).string(NODE.opType, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    writer.bytes(NODE.attribute, encodeAttribute(name, value));
  }
  return writer.finish();
}

function encodeValueInfo(info: ValueInfoProto): Buffer {
  const shape = new MessageWriter();
  for (const dim of info.shape) {
    const dimension = new MessageWriter();
    if (typeof dim === "number") dimension.varint(DIMENSION.value, dim);
    else dimension.string(DIMENSION.param, dim);
    shape.bytes(SHAPE_DIM, dimension.finish());
  }
  const tensorType = new MessageWriter()
    .varint(TENSOR_TYPE.elemType, info.elemType)
    .bytes(TENSOR_TYPE.shape, shape.finish())
    .finish();
  const type = new MessageWriter().bytes(TYPE_TENSOR, tensorType).finish();
  return new MessageWriter()
    .string(VALUE_INFO.name, info.name)
    .bytes(VALUE_INFO.type, type)
    .finish();
}

function encodeGraph(graph: GraphProto): Buffer {
  const writer = new MessageWriter();
  for (const node of graph.nodes) writer.bytes(GRAPH.node, encodeNode(node));
  writer.string(GRAPH.name, graph.name);
  for (const tensor of graph.initializers) writer.bytes(GRAPH.initializer, encodeTensor(tensor));
  for (const input of graph.inputs) writer.bytes(GRAPH.input, encodeValueInfo(input));
  for (const output of graph.outputs) writer.bytes(GRAPH.output, encodeValueInfo(output));
  return writer.finish();
}

/** The bytes of a `.onnx` file. Operators come from the default domain (ai.onnx) only. */
export function encodeModel(model: ModelProto): Buffer {
  const opset = new MessageWriter()
    .string(OPERATOR_SET.domain, "")
    .varint(OPERATOR_SET.version, model.opsetVersion)
    .finish();
  const writer = new MessageWriter()
    .varint(MODEL.irVersion, model.irVersion)
    .string(MODEL.producerName, model.producerName)
    .string(MODEL.producerVersion, model.producerVersion);
  if (model.docString) writer.string(MODEL.docString, model.docString);
  writer.bytes(MODEL.graph, encodeGraph(model.graph)).bytes(MODEL_OPSET_IMPORT, opset);
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    const entry = new MessageWriter()
      .string(STRING_ENTRY.key, key)
      .string(STRING_ENTRY.value, value)
      .finish();
    writer.bytes(MODEL_METADATA_PROPS, entry);
  }
  return writer.finish();
}
