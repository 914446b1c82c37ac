import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readSafetensors } from "../../src/safetensors/read-safetensors.js";
import { writeSafetensors } from "../../src/safetensors/write-safetensors.js";

describe("writeSafetensors", () => {
  test("writes each tensor's dtype, shape and little-endian bytes after an aligned header", async () => {
    const dir = await mkdtemp(join(tmpdir(), "robotrain-st-"));
    try {
      const path = join(dir, "model.safetensors");
      const weight = Float32Array.from([1.5, -2, 3.25, 0, 7, 8]);
      const mask = Uint8Array.from([1, 0, 1]);
      await writeSafetensors(
        path,
        { "b.weight": { data: weight, shape: [2, 3] }, "a.mask": { data: mask, shape: [3] } },
        { format: "pt" },
      );

      const stored = await readSafetensors(path);
      assert.equal(stored.headerLength % 8, 0);
      assert.deepEqual(stored.metadata, { format: "pt" });
      assert.deepEqual([...stored.tensors.keys()], ["a.mask", "b.weight"]);
      const b = stored.tensors.get("b.weight")!;
      assert.equal(b.dtype, "F32");
      assert.deepEqual(b.shape, [2, 3]);
      assert.deepEqual(
        Array.from({ length: 6 }, (_, i) => b.bytes.readFloatLE(i * 4)),
        Array.from(weight),
      );
      const a = stored.tensors.get("a.mask")!;
      assert.equal(a.dtype, "U8");
      assert.deepEqual(Array.from(a.bytes), [1, 0, 1]);
      assert.equal(stored.size, 8 + stored.headerLength + 3 + 24);
      assert.deepEqual(await readdir(dir), ["model.safetensors"]); // no partial file left
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("refuses an array type safetensors cannot hold", async () => {
    await assert.rejects(
      writeSafetensors("/nonexistent/x", {
        x: { data: new Float64Array(1) as unknown as Float32Array, shape: [1] },
      }),
      /tensor 'x' has an array type safetensors cannot hold/,
    );
  });
});
