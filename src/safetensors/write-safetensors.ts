/**
 * Writes tensors in the safetensors format (LeRobot's processor state files; tests that hand the
 * native loader files of their own making): an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the raw little-endian bytes.
 * The file is written to a temporary name and renamed, so a crash never leaves half a file.
 */
import { rename, writeFile } from "node:fs/promises";
import type { TensorView } from "../train/addon.js";

function dtypeOf(values: TensorView["data"]): string | undefined {
  if (values instanceof Float32Array) return "F32";
  if (values instanceof Uint8Array) return "U8";
  return undefined;
}

export function encodeSafetensors(
  tensors: Record<string, TensorView>,
  metadata: Record<string, string> = {},
): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const { data, shape } = tensors[name] as TensorView;
    const dtype = dtypeOf(data);
    if (!dtype) throw new TypeError(`tensor '${name}' has an array type safetensors cannot hold`);
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }

  // The header is padded with spaces so the tensor bytes start 8-byte aligned.
  let headerJson = JSON.stringify(header);
  headerJson += " ".repeat((8 - (Buffer.byteLength(headerJson) % 8)) % 8);
  const headerBytes = Buffer.from(headerJson, "utf8");

  const file = Buffer.alloc(8 + headerBytes.length + offset);
  file.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(file, 8);
  let cursor = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors[name] as TensorView;
    file.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), cursor);
    cursor += data.byteLength;
  }
  return file;
}

export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorView>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const temporary = `${path}.partial`;
  await writeFile(temporary, encodeSafetensors(tensors, metadata));
  await rename(temporary, path);
}
