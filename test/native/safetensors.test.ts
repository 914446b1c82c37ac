/**
 * The addon's safetensors reader on the dtypes a state dict may come in (F64, BF16, F16 are
 * converted to the parameters' float32; integers are refused for float parameters), on files
 * written here byte by byte, independently of the code under test.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTrainer } from "../../src/train/addon.js";

interface RawTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** A safetensors file: 8-byte little-endian header length, JSON header, raw bytes. */
function encode(tensors: Record<string, RawTensor>): Buffer {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    header[name] = {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: [offset, offset + tensor.bytes.length],
    };
    offset += tensor.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...Object.values(tensors).map((t) => Buffer.from(t.bytes))]);
}

const config = { stateDim: 3, actionDim: 2, chunkSize: 2, hiddenDim: 4, seed: 3, device: "cpu" };

/** Values for every MLP tensor, by name and shape, from a fixed sequence. */
function mlpValues(): Record<string, { shape: number[]; values: number[] }> {
  const shapes: Record<string, number[]> = {
    "net.0.weight": [4, 3],
    "net.0.bias": [4],
    "net.2.weight": [4, 4],
    "net.2.bias": [4],
    "net.4.weight": [4, 4],
    "net.4.bias": [4],
  };
  let k = 0;
  return Object.fromEntries(
    Object.entries(shapes).map(([name, shape]) => {
      const count = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: count }, () => Math.sin(++k) * 1.2345678901234);
      return [name, { shape, values }];
    }),
  );
}

let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "robotrain-safetensors-"));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("loadSafetensors dtypes", () => {
  test("reads F64 tensors, rounding each value to float32", async () => {
    const tensors: Record<string, RawTensor> = {};
    const values = mlpValues();
    for (const [name, { shape, values: v }] of Object.entries(values)) {
      tensors[name] = { dtype: "F64", shape, bytes: new Uint8Array(Float64Array.from(v).buffer) };
    }
    const path = join(scratch, "f64.safetensors");
    await writeFile(path, encode(tensors));
    const trainer = createTrainer(config);
    await trainer.loadSafetensors(path);
    const state = trainer.stateDict();
    for (const [name, { values: v }] of Object.entries(values)) {
      assert.deepEqual(Array.from(state[name]!.data), v.map(Math.fround), name);
    }
  });

  test("reads BF16 tensors exactly (bfloat16 is the upper half of a float32)", async () => {
    const tensors: Record<string, RawTensor> = {};
    const expected: Record<string, number[]> = {};
    for (const [name, { shape, values }] of Object.entries(mlpValues())) {
      const words = new Uint32Array(Float32Array.from(values).buffer);
      const halves = Uint16Array.from(words, (word) => word >>> 16);
      tensors[name] = { dtype: "BF16", shape, bytes: new Uint8Array(halves.buffer) };
      expected[name] = Array.from(
        new Float32Array(Uint32Array.from(halves, (half) => half << 16).buffer),
      );
    }
    const path = join(scratch, "bf16.safetensors");
    await writeFile(path, encode(tensors));
    const trainer = createTrainer(config);
    await trainer.loadSafetensors(path);
    const state = trainer.stateDict();
    for (const [name, values] of Object.entries(expected)) {
      assert.deepEqual(Array.from(state[name]!.data), values, name);
    }
  });

  test("refuses an I64 tensor for a float parameter, naming both dtypes", async () => {
    const tensors: Record<string, RawTensor> = {};
    for (const [name, { shape, values }] of Object.entries(mlpValues())) {
      tensors[name] = {
        dtype: "F32",
        shape,
        bytes: new Uint8Array(Float32Array.from(values).buffer),
      };
    }
    tensors["net.0.bias"] = {
      dtype: "I64",
      shape: [4],
      bytes: new Uint8Array(BigInt64Array.from([1n, 2n, 3n, 4n]).buffer),
    };
    const path = join(scratch, "i64.safetensors");
    await writeFile(path, encode(tensors));
    await assert.rejects(
      createTrainer(config).loadSafetensors(path),
      /mismatches \(1\): net\.0\.bias \(file dtype Long, policy Float\)/,
    );
  });

  test("refuses a truncated file, saying so", async () => {
    const tensors: Record<string, RawTensor> = {
      "net.0.bias": { dtype: "F32", shape: [4], bytes: new Uint8Array(16) },
    };
    const path = join(scratch, "truncated.safetensors");
    await writeFile(path, encode(tensors).subarray(0, -4));
    await assert.rejects(
      createTrainer(config).loadSafetensors(path),
      /'net\.0\.bias' has data_offsets \[0, 16\] outside the 12 data bytes; the file is truncated/,
    );
  });
});
