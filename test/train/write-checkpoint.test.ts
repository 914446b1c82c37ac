import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readSafetensors } from "../../src/safetensors/read-safetensors.js";
import { createTrainer } from "../../src/train/addon.js";
import { checkpointName, writeCheckpoint } from "../../src/train/write-checkpoint.js";

describe("writeCheckpoint", () => {
  test("names checkpoints by step, zero-padded to 6", () => {
    assert.equal(checkpointName(300), "000300");
    assert.equal(checkpointName(1_234_567), "1234567");
  });

  test("writes pretrained_model and training_state and points last at the newest", async () => {
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
      const sampler = { samples_drawn: 40, epoch_size: 100, batch_size: 8, seed: 0 };
      await writeCheckpoint({ outputDir, step: 5, trainer, policyConfig, sampler });
      const second = await writeCheckpoint({ outputDir, step: 10, trainer, policyConfig, sampler });

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

      const state = join(checkpoints, "last", "training_state");
      assert.deepEqual((await readdir(state)).sort(), [
        "optimizer_param_groups.json",
        "optimizer_state.safetensors",
        "rng_state.safetensors",
        "sampler_state.json",
        "training_step.json",
      ]);
      assert.deepEqual(
        JSON.parse(await readFile(join(state, "sampler_state.json"), "utf8")),
        sampler,
      );
    } finally {
      await rm(outputDir, { recursive: true, force: true });
    }
  });
});
