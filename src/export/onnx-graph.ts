/**
 * Building an ONNX graph: nodes named after the part of the model they belong to, initializers
 * (weights straight from their stored bytes, constants computed at export) and the graph's typed
 * inputs and outputs. Every node has one output, named after the node.
 */
import {
  type AttributeValue,
  DataType,
  type DataTypeCode,
  type Dimension,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "./onnx-proto.js";

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly taken = new Set<string>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly name: string) {}

  /** A graph input, e.g. `observation.state` float [batch, J]. */
  input(name: string, shape: Dimension[], elemType: DataTypeCode = DataType.FLOAT): string {
    this.claim(name);
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Names `value` (a node's output) as a graph output: an Identity node gives it the name. */
  output(name: string, value: string, shape: Dimension[]): void {
    this.claim(name);
    this.nodes.push({ opType: "Identity", name, inputs: [value], outputs: [name] });
    this.outputs.push({ name, elemType: DataType.FLOAT, shape });
  }

  /** An initializer from raw little-endian bytes; `dims` may reshape them (same count). */
  initializer(name: string, dataType: DataTypeCode, dims: number[], rawData: Uint8Array): string {
    this.claim(name);
    this.initializers.push({ name, dataType, dims, rawData });
    return name;
  }

  /** A float32 constant computed at export time. */
  floats(name: string, dims: number[], values: Float32Array | number[]): string {
    const array = values instanceof Float32Array ? values : Float32Array.from(values);
    if (array.length !== dims.reduce((a, b) => a * b, 1)) {
      throw new RangeError(`constant '${name}' has ${array.length} values for dims [${dims}]`);
    }
    return this.initializer(name, DataType.FLOAT, dims, bytesOf(array));
  }

  /** A 1-D int64 constant (shapes, axes, slice bounds). */
  int64s(name: string, values: number[]): string {
    const array = BigInt64Array.from(values.map((value) => BigInt(value)));
    return this.initializer(this.unique(name), DataType.INT64, [values.length], bytesOf(array));
  }

  /** Adds a node named `<scope>/<opType>` (numbered when repeated); returns its output. */
  node(
    opType: string,
    scope: string,
    inputs: string[],
    attributes?: Record<string, AttributeValue>,
  ): string {
    const name = this.unique(`${scope}/${opType}`);
    this.claim(name);
    this.nodes.push({ opType, name, inputs, outputs: [name], ...(attributes && { attributes }) });
    return name;
  }

  build(): GraphProto {
    return {
      name: this.name,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputs,
      outputs: this.outputs,
    };
  }

  private unique(base: string): string {
    const seen = this.counts.get(base) ?? 0;
    this.counts.set(base, seen + 1);
    return seen === 0 && !this.taken.has(base) ? base : `${base}_${seen}`;
  }

  private claim(name: string): void {
    if (this.taken.has(name)) throw new Error(`the graph already has a value named '${name}'`);
    this.taken.add(name);
  }
}

export function bytesOf(array: Float32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}
