import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createTrainer } from "../../src/train/addon.js";
import { checkpointName, writeCheckpoint } from "../../src/train/write-checkpoint.js";
import { readSafetensors } from "../helpers/read-safetensors.js";

describe("writeCheckpoint", () => {
  test("names checkpoints by step, zero-padded to 6", () => {
    assert.equal(checkpointName(300), "000300");
    assert.equal(checkpointName(1_234_567), "1234567");
  });

  test("writes pretrained_model with the weights and points last at the newest", async () => {
    const outputDir = await mkdtemp(join(tmpdir(), "robotrain-ckpt-"));
    try {
      const trainer = createTrainer({
        stateDim: 3,
        actionDim: 2,
        chunkSize: 4,
        hiddenDim: 8,
        device: "cpu",
      });
      const policyConfig = { type: "mlp", state_dim: 3 };
      await writeCheckpoint({ outputDir, step: 5, trainer, policyConfig });
      const second = await writeCheckpoint({ outputDir, step: 10, trainer, policyConfig });

      const checkpoints = join(outputDir, "checkpoints");
      assert.deepEqual((await readdir(checkpoints)).sort(), ["000005", "000010", "last"]);
      assert.equal(await readlink(join(checkpoints, "last")), "000010");
      assert.equal(second.dir, join(checkpoints, "000010"));

      const model = join(checkpoints, "last", "pretrained_model");
      assert.deepEqual(
        JSON.parse(await readFile(join(model, "config.json"), "utf8")),
        policyConfig,
      );
      const stored = await readSafetensors(join(model, "model.safetensors"));
      const expected = trainer.stateDict();
      assert.deepEqual([...stored.tensors.keys()].sort(), Object.keys(expected).sort());
      const weight = stored.tensors.get("net.0.weight")!;
      assert.deepEqual(weight.shape, [8, 3]);
      const values = Array.from({ length: 24 }, (_, i) => weight.bytes.readFloatLE(i * 4));
      assert.deepEqual(values, Array.from(expected["net.0.weight"]!.data));
    } finally {
      await rm(outputDir, { recursive: true, force: true });
    }
  });
});
