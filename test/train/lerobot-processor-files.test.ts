/**
 * LeRobot v0.4's processor files: written beside a checkpoint's model, and read back (with a
 * v0.4 model.safetensors, which has no normalization buffers) into the v0.3 state dict.
 */
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PolicyWeightsError } from "../../src/export/export-errors.js";
import { exportPolicy } from "../../src/export/export-policy.js";
import { floatsOf, readSafetensors } from "../../src/safetensors/read-safetensors.js";
import { writeSafetensors } from "../../src/safetensors/write-safetensors.js";
import { writeLerobotProcessorFiles } from "../../src/train/lerobot-processor-files.js";
import { readLerobotV04Model } from "../../src/train/read-lerobot-v04-model.js";
import {
  type ActCheckpoint,
  camera,
  vector,
  writeActCheckpoint,
} from "../helpers/act-checkpoint.js";
import { viewOf } from "../helpers/act-fixture.js";

let scratch: string;
let checkpoint: ActCheckpoint;
let modelDir: string;

const inputFeatures = {
  "observation.state": vector("STATE", 4),
  "observation.images.front": camera(48, 64),
};
const outputFeatures = { action: { type: "ACTION" as const, shape: [3] } };

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "robotrain-processor-"));
  checkpoint = await writeActCheckpoint(join(scratch, "run"), { inputFeatures, actionDim: 3 });
  modelDir = join(checkpoint.dir, "pretrained_model");
  await writeLerobotProcessorFiles(
    modelDir,
    {
      inputFeatures,
      outputFeatures,
      normalizationMapping: checkpoint.act.normalization_mapping,
      device: "cpu",
    },
    checkpoint.stats,
  );
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A v0.4 pretrained_model: the same weights without buffers, beside the processor files. */
async function v04Folder(name: string, drop: string[] = [], extra: string[] = []) {
  const dir = join(scratch, name);
  await mkdir(dir, { recursive: true });
  for (const file of await readdir(modelDir)) {
    if (file !== "model.safetensors") await copyFile(join(modelDir, file), join(dir, file));
  }
  const stored = await readSafetensors(join(modelDir, "model.safetensors"));
  const tensors = Object.fromEntries(
    [...stored.tensors]
      .filter(([key]) => key.startsWith("model.") && !drop.includes(key))
      .map(([key, tensor]) => [key, viewOf(key, tensor)]),
  );
  for (const key of extra) tensors[key] = { data: new Float32Array(3), shape: [3] };
  await writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
  return dir;
}

describe("LeRobot v0.4 processor files", () => {
  test("are written with v0.4's pipeline steps and flat normalizer state", async () => {
    const pre = JSON.parse(await readFile(join(modelDir, "policy_preprocessor.json"), "utf8"));
    assert.equal(pre.name, "policy_preprocessor");
    assert.deepEqual(
      pre.steps.map((step: { registry_name: string }) => step.registry_name),
      [
        "rename_observations_processor",
        "to_batch_processor",
        "device_processor",
        "normalizer_processor",
      ],
    );
    const normalizer = pre.steps[3];
    assert.equal(
      normalizer.state_file,
      "policy_preprocessor_step_3_normalizer_processor.safetensors",
    );
    assert.deepEqual(normalizer.config.features, { ...inputFeatures, ...outputFeatures });
    assert.deepEqual(normalizer.config.norm_map, checkpoint.act.normalization_mapping);
    assert.equal(normalizer.config.eps, 1e-8);

    const post = JSON.parse(await readFile(join(modelDir, "policy_postprocessor.json"), "utf8"));
    assert.deepEqual(
      post.steps.map((step: { registry_name: string }) => step.registry_name),
      ["unnormalizer_processor", "device_processor"],
    );
    assert.deepEqual(post.steps[0].config.features, outputFeatures);

    const state = await readSafetensors(join(modelDir, normalizer.state_file));
    const mean = state.tensors.get("observation.state.mean")!;
    assert.deepEqual(mean.shape, [4]);
    assert.deepEqual(
      Array.from(floatsOf("mean", mean)),
      Array.from(Float32Array.from(checkpoint.stats["observation.state"]!.mean!)),
    );
    assert.deepEqual(state.tensors.get("observation.images.front.std")!.shape, [3, 1, 1]);
    assert.ok(state.tensors.has("action.max"));
    const postState = await readSafetensors(join(modelDir, post.steps[0].state_file));
    assert.deepEqual([...postState.tensors.keys()].sort(), [
      "action.max",
      "action.mean",
      "action.min",
      "action.std",
    ]);
  });

  test("read back with a v0.4 model give the v0.3 state dict, byte for byte", async () => {
    const dir = await v04Folder("v04");
    const { tensors } = await readLerobotV04Model(dir);
    const original = await readSafetensors(join(modelDir, "model.safetensors"));
    assert.deepEqual([...tensors.keys()].sort(), [...original.tensors.keys()].sort());
    for (const [key, tensor] of original.tensors) {
      assert.deepEqual(tensors.get(key)!.shape, tensor.shape, key);
      assert.ok(tensors.get(key)!.bytes.equals(tensor.bytes), `${key} differs`);
    }
  });

  test("a v0.4 model exports and verifies like its v0.3 original", async () => {
    const dir = await v04Folder("v04-export");
    const result = await exportPolicy({ checkpoint: dir, randomBatchSizes: [2] });
    assert.equal(result.onnxPath, join(dir, "policy.onnx"));
    assert.ok(result.verification.maxAbsDiff <= 1e-4);
  });

  test("refuses a model that is not the config's ACT, listing the keys that differ", async () => {
    const dir = await v04Folder("v04-wrong", ["model.action_head.bias"], ["model.head.bias"]);
    await assert.rejects(readLerobotV04Model(dir), (error: unknown) => {
      assert.ok(error instanceof PolicyWeightsError);
      assert.deepEqual(error.missing, ["model.action_head.bias"]);
      assert.deepEqual(error.unexpected, ["model.head.bias"]);
      assert.match(
        error.message,
        /missing keys \(1\): model\.action_head\.bias; unexpected keys \(1\): model\.head\.bias/,
      );
      return true;
    });
  });
});
