/**
 * Reads a safetensors file independently of the writer under test: header and raw bytes.
 */
import { readFile } from "node:fs/promises";

export interface StoredTensor {
  dtype: string;
  shape: number[];
  bytes: Buffer;
}

export async function readSafetensors(path: string) {
  const file = await readFile(path);
  const headerLength = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString("utf8")) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const start = 8 + headerLength;
  const tensors = new Map<string, StoredTensor>();
  const { __metadata__: metadata, ...entries } = header;
  for (const [name, entry] of Object.entries(entries)) {
    const [from, to] = entry.data_offsets;
    tensors.set(name, {
      dtype: entry.dtype,
      shape: entry.shape,
      bytes: file.subarray(start + from, start + to),
    });
  }
  return {
    headerLength,
    metadata: metadata as unknown as Record<string, string>,
    tensors,
    size: file.length,
  };
}
