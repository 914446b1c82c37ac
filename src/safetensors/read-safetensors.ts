/**
 * Reads a safetensors file: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw little-endian bytes, kept as views of the
 * file so a model's weights can go on (into an ONNX initializer) without a copy.
 */
import { readFile } from "node:fs/promises";
import { RobotrainError } from "../errors.js";

export interface StoredTensor {
  dtype: string;
  shape: number[];
  /** The tensor's bytes: a view into the file's buffer. */
  bytes: Buffer;
}

export interface SafetensorsFile {
  headerLength: number;
  metadata: Record<string, string>;
  tensors: Map<string, StoredTensor>;
  /** The file's size in bytes. */
  size: number;
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  const file = await readFile(path);
  if (file.length < 8) throw new SafetensorsFormatError(path, `${file.length} bytes long`);
  const headerLength = Number(file.readBigUInt64LE(0));
  if (8 + headerLength > file.length) {
    throw new SafetensorsFormatError(path, `a header of ${headerLength} bytes past its end`);
  }
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString("utf8")) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const start = 8 + headerLength;
  const tensors = new Map<string, StoredTensor>();
  const { __metadata__: metadata, ...entries } = header;
  for (const [name, entry] of Object.entries(entries)) {
    const [from, to] = entry.data_offsets;
    if (start + to > file.length) {
      throw new SafetensorsFormatError(path, `tensor '${name}' ending past the file`);
    }
    tensors.set(name, {
      dtype: entry.dtype,
      shape: entry.shape,
      bytes: file.subarray(start + from, start + to),
    });
  }
  return {
    headerLength,
    metadata: (metadata ?? {}) as unknown as Record<string, string>,
    tensors,
    size: file.length,
  };
}

/** An F32 tensor's values, copied into an aligned Float32Array. */
export function floatsOf(name: string, tensor: StoredTensor): Float32Array {
  if (tensor.dtype !== "F32") {
    throw new TypeError(`tensor '${name}' has dtype ${tensor.dtype}; expected F32`);
  }
  return new Float32Array(new Uint8Array(tensor.bytes).buffer);
}

export class SafetensorsFormatError extends RobotrainError {
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`${path} is not a safetensors file: it has ${problem}; write it again`, {
      retryable: false,
    });
    this.name = "SafetensorsFormatError";
    this.path = path;
  }
}
