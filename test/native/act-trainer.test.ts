/**
 * The native ACT trainer: strict LeRobot state dicts in and out, its AdamW groups, a falling
 * loss, and config checks. The golden fixture (../shared/fixtures/act-golden-small) gives the
 * weights and the batch.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readSafetensors } from "../../src/safetensors/read-safetensors.js";
import { writeSafetensors } from "../../src/safetensors/write-safetensors.js";
import {
  type ActTrainerConfig,
  type BatchViews,
  createTrainer,
  loadAddon,
  type TensorView,
} from "../../src/train/addon.js";
import {
  ACT_FIXTURE_MODEL,
  type ActFixture,
  loadActFixture,
  observationsOf,
  viewOf,
} from "../helpers/act-fixture.js";
import { messageWith } from "../helpers/message-with.js";
import { sameValues, writeTorchvisionResnet } from "../helpers/torchvision-weights.js";

let fixture: ActFixture;
let scratch: string;

before(async () => {
  fixture = await loadActFixture();
  scratch = await mkdtemp(join(tmpdir(), "robotrain-act-"));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function fixtureTensors(): Promise<Record<string, TensorView>> {
  const stored = await readSafetensors(ACT_FIXTURE_MODEL);
  return Object.fromEntries(
    [...stored.tensors].map(([name, tensor]) => [name, viewOf(name, tensor)]),
  );
}

async function loadedTrainer(overrides: Partial<ActTrainerConfig> = {}) {
  const trainer = createTrainer({ ...fixture.trainerConfig, ...overrides });
  await trainer.loadSafetensors(ACT_FIXTURE_MODEL);
  return trainer;
}

describe("ACT state dicts", () => {
  test("loads LeRobot's model.safetensors into exactly its keys", async () => {
    const trainer = await loadedTrainer();
    const stored = await readSafetensors(ACT_FIXTURE_MODEL);
    const ours = trainer.stateDict();
    assert.deepEqual(Object.keys(ours).sort(), [...stored.tensors.keys()].sort());
    for (const [name, tensor] of stored.tensors) {
      assert.deepEqual(ours[name]?.shape, tensor.shape, name);
      assert.ok(Buffer.from(ours[name]!.data.buffer).equals(tensor.bytes), `${name} differs`);
    }
  });

  test("refuses a state dict with a missing key, naming it, and keeps its weights", async () => {
    const trainer = await loadedTrainer();
    const before = trainer.stateDict()["model.action_head.weight"]!.data;
    const { "model.action_head.bias": _dropped, ...rest } = await fixtureTensors();
    const path = join(scratch, "missing.safetensors");
    await writeSafetensors(path, rest);
    await assert.rejects(
      trainer.loadSafetensors(path),
      /does not fit the policy: missing keys \(1\): model\.action_head\.bias;/,
    );
    assert.deepEqual(trainer.stateDict()["model.action_head.weight"]!.data, before);
  });

  test("refuses a tensor of the wrong shape, naming it with both shapes", async () => {
    const trainer = createTrainer(fixture.trainerConfig);
    const tensors = await fixtureTensors();
    tensors["model.action_head.bias"] = { data: new Float32Array(5), shape: [5] };
    const path = join(scratch, "shape.safetensors");
    await writeSafetensors(path, tensors);
    await assert.rejects(
      trainer.loadSafetensors(path),
      /mismatches \(1\): model\.action_head\.bias \(file \[5\], policy \[6\]\)/,
    );
  });

  test("refuses a state dict with an unexpected key, naming it", async () => {
    const trainer = createTrainer(fixture.trainerConfig);
    const tensors = await fixtureTensors();
    tensors["model.extra.weight"] = { data: new Float32Array(2), shape: [2] };
    const path = join(scratch, "extra.safetensors");
    await writeSafetensors(path, tensors);
    await assert.rejects(
      trainer.loadSafetensors(path),
      /unexpected keys \(1\): model\.extra\.weight;/,
    );
  });

  test("refuses a file that is not safetensors, naming the path", async () => {
    const trainer = createTrainer(fixture.trainerConfig);
    const path = join(scratch, "missing-file.safetensors");
    await assert.rejects(
      trainer.loadSafetensors(path),
      /cannot open '.*missing-file\.safetensors'/,
    );
  });

  test("saves LeRobot's key set and round-trips every tensor bit for bit", async () => {
    const trainer = await loadedTrainer({ lr: 1e-3, lrBackbone: 1e-3 });
    const first = join(scratch, "first.safetensors");
    await trainer.saveSafetensors(first);
    const reference = await readSafetensors(ACT_FIXTURE_MODEL);
    const saved = await readSafetensors(first);
    assert.deepEqual(saved.metadata, { format: "pt" });
    assert.deepEqual([...saved.tensors.keys()].sort(), [...reference.tensors.keys()].sort());
    for (const [name, tensor] of reference.tensors) {
      const ours = saved.tensors.get(name)!;
      assert.equal(ours.dtype, "F32", name);
      assert.deepEqual(ours.shape, tensor.shape, name);
      assert.ok(ours.bytes.equals(tensor.bytes), `${name} changed on the way out`);
    }

    // Trained weights (not the fixture's) through save -> load -> save.
    await trainer.step(fixture.batch);
    await trainer.step(fixture.batch);
    const trained = join(scratch, "trained.safetensors");
    await trainer.saveSafetensors(trained);
    const other = createTrainer({ ...fixture.trainerConfig, seed: 99 });
    await other.loadSafetensors(trained);
    const again = join(scratch, "again.safetensors");
    await other.saveSafetensors(again);
    const a = await readSafetensors(trained);
    const b = await readSafetensors(again);
    assert.equal(a.tensors.size, reference.tensors.size);
    let changed = 0;
    for (const [name, tensor] of a.tensors) {
      assert.ok(b.tensors.get(name)?.bytes.equals(tensor.bytes), `${name} changed on reload`);
      if (!tensor.bytes.equals(reference.tensors.get(name)!.bytes)) changed += 1;
    }
    assert.ok(changed > 100, `only ${changed} tensors changed in two steps`);
  });
});

describe("ACT training", () => {
  test("puts the backbone in its own AdamW group at lrBackbone, as LeRobot groups it", async () => {
    const trainer = await loadedTrainer({ lr: 1e-3, lrBackbone: 1e-9, weightDecay: 0 });
    const [main, backbone] = trainer.paramGroups;
    assert.equal(trainer.paramGroups.length, 2);
    assert.equal(main?.name, "policy");
    assert.equal(main?.lr, 1e-3);
    assert.equal(backbone?.name, "backbone");
    assert.equal(backbone?.lr, 1e-9);
    assert.ok(backbone!.parameters.every((name) => name.startsWith("model.backbone.")));
    assert.ok(main!.parameters.every((name) => !name.startsWith("model.backbone.")));
    assert.equal(backbone!.parameters.length, 20); // resnet18's convolutions; BN is frozen

    // One AdamW step moves each value by about its group's lr.
    const before = trainer.stateDict();
    await trainer.step(fixture.batch);
    const after = trainer.stateDict();
    const moved = (name: string) =>
      after[name]!.data.reduce((m, v, i) => Math.max(m, Math.abs(v - before[name]!.data[i]!)), 0);
    assert.ok(moved("model.backbone.conv1.weight") < 1e-8, "backbone moved at lr");
    assert.ok(moved("model.backbone.conv1.weight") > 0, "backbone did not move at all");
    assert.ok(moved("model.action_head.weight") > 1e-4, "head did not move at lr");
    assert.equal(moved("model.backbone.bn1.running_mean"), 0, "a frozen BN buffer moved");
    assert.equal(moved("normalize_inputs.buffer_observation_state.mean"), 0);
  });

  test("lowers the loss over 30 steps on the fixture batch", async () => {
    const trainer = await loadedTrainer({ lr: 1e-4, lrBackbone: 1e-4 });
    const { vae_eps: _noise, ...batch } = fixture.batch; // fresh noise each step, as in training
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const result = await trainer.step(batch);
      assert.ok(result.kldLoss !== null && result.kldLoss >= 0);
      assert.ok(Math.abs(result.loss - (result.l1Loss + 10 * result.kldLoss)) < 1e-4);
      losses.push(result.loss);
    }
    const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
    const start = mean(losses.slice(0, 3));
    const end = mean(losses.slice(-3));
    assert.ok(end < 0.5 * start, `loss went from ${start} to ${end}`);
    assert.equal(trainer.stepsDone, 30);
  });

  test("trains ACT on CUDA when libtorch sees a device", async (context) => {
    if (!loadAddon().libtorchInfo().cudaAvailable) {
      context.skip("no CUDA device visible to libtorch");
      return;
    }
    const trainer = await loadedTrainer({ device: "cuda", lr: 1e-4, lrBackbone: 1e-4 });
    assert.match(trainer.device, /^cuda/);
    const { vae_eps: _noise, ...batch } = fixture.batch;
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) losses.push((await trainer.step(batch)).loss);
    const first = losses.slice(0, 3).reduce((s, v) => s + v, 0);
    const last = losses.slice(-3).reduce((s, v) => s + v, 0);
    assert.ok(last < 0.5 * first, `loss went from ${first / 3} to ${last / 3}`);
    const chunk = await trainer.predict(observationsOf(fixture.batch));
    assert.deepEqual(chunk.shape, [2, 10, 6]);
  });

  test("reads uint8 camera frames as value / 255", async () => {
    const trainer = await loadedTrainer();
    const image = fixture.batch["observation.images.main"]!;
    const frames = Uint8Array.from(image.data, (v) => Math.round(v * 255));
    const scaled = Float32Array.from(frames, (v) => v / 255);
    const observations = observationsOf(fixture.batch);
    const fromBytes = await trainer.predict({
      ...observations,
      "observation.images.main": { data: frames, shape: image.shape },
    });
    const fromFloats = await trainer.predict({
      ...observations,
      "observation.images.main": { data: scaled, shape: image.shape },
    });
    const diff = fromBytes.data.reduce(
      (m, v, i) => Math.max(m, Math.abs(v - fromFloats.data[i]!)),
      0,
    );
    assert.ok(diff < 1e-5, `uint8 and float frames differ by ${diff}`);
  });

  test("trains and predicts from the environment state alone, without the VAE", async () => {
    const trainer = createTrainer({
      policy: "act",
      act: { chunk_size: 4, n_action_steps: 4, dim_model: 16, n_heads: 2, dim_feedforward: 32 },
      inputFeatures: { "observation.environment_state": { type: "ENV", shape: [5] } },
      outputFeatures: { action: { type: "ACTION", shape: [3] } },
      stats: { action: { mean: [0, 0, 0], std: [1, 1, 1] } },
      lr: 1e-3,
      seed: 1,
      device: "cpu",
    });
    const names = Object.keys(trainer.stateDict());
    assert.ok(names.includes("model.encoder_env_state_input_proj.weight"));
    assert.ok(names.includes("model.vae_encoder_cls_embed.weight")); // use_vae defaults to true
    assert.ok(!names.some((name) => name.startsWith("model.backbone.")));
    assert.equal(trainer.paramGroups.length, 1);

    const batch: BatchViews = {
      "observation.environment_state": { data: new Float32Array(10).fill(0.5), shape: [2, 5] },
      action: { data: new Float32Array(24).fill(0.25), shape: [2, 4, 3] },
    };
    const result = await trainer.step(batch);
    assert.ok(Number.isFinite(result.loss) && result.kldLoss !== null);
    const chunk = await trainer.predict({
      "observation.environment_state": batch["observation.environment_state"]!,
    });
    assert.deepEqual(chunk.shape, [2, 4, 3]);

    const plain = createTrainer({
      policy: "act",
      act: {
        chunk_size: 4,
        n_action_steps: 4,
        dim_model: 16,
        n_heads: 2,
        use_vae: false,
        pre_norm: true,
        feedforward_activation: "gelu",
      },
      inputFeatures: { "observation.environment_state": { type: "ENV", shape: [5] } },
      outputFeatures: { action: { type: "ACTION", shape: [3] } },
      stats: { action: { mean: [0, 0, 0], std: [1, 1, 1] } },
      device: "cpu",
    });
    const plainNames = Object.keys(plain.stateDict());
    assert.ok(!plainNames.some((name) => name.startsWith("model.vae_encoder")));
    assert.ok(plainNames.includes("model.encoder.norm.weight")); // pre_norm's final encoder norm
    assert.equal((await plain.step(batch)).kldLoss, null);
  });

  test("refuses to run before it has normalization statistics", async () => {
    const trainer = createTrainer(fixture.trainerConfig);
    await assert.rejects(
      trainer.predict(observationsOf(fixture.batch)),
      /statistics of 'observation\.(state|images\.main)' are infinity/,
    );
  });

  test("rejects batches that do not fit, naming the entry", async () => {
    const trainer = await loadedTrainer();
    const { "observation.images.main": _image, ...noImage } = fixture.batch;
    await assert.rejects(trainer.step(noImage), /batch has no 'observation\.images\.main'/);
    const wrongChunk = {
      ...fixture.batch,
      action: { data: new Float32Array(2 * 9 * 6), shape: [2, 9, 6] },
    };
    await assert.rejects(
      trainer.step(wrongChunk),
      /batch 'action' has shape \[2, 9, 6\]; expected \[2, 10, 6\]/,
    );
  });
});

describe("ACT config", () => {
  const base = () => structuredClone(fixture.trainerConfig);

  test("takes LeRobot's defaults for fields it is not given", () => {
    const config = base();
    config.act = { pretrained_backbone_weights: null };
    const trainer = createTrainer(config);
    const state = trainer.stateDict();
    assert.deepEqual(state["model.decoder_pos_embed.weight"]?.shape, [100, 512]); // chunk_size, dim_model
    assert.deepEqual(state["model.encoder.layers.3.linear1.weight"]?.shape, [3200, 512]);
    assert.ok(!("model.encoder.layers.4.linear1.weight" in state)); // 4 encoder layers
    assert.ok("model.vae_encoder.layers.3.linear1.weight" in state);
    assert.ok(!("model.decoder.layers.1.linear1.weight" in state)); // 1 decoder layer
    assert.deepEqual(state["model.vae_encoder_latent_output_proj.weight"]?.shape, [64, 512]); // 2 x 32
    assert.deepEqual(
      trainer.paramGroups.map((group) => group.lr),
      [1e-5, 1e-5],
    );
    assert.deepEqual(
      trainer.paramGroups.map((group) => group.weightDecay),
      [1e-4, 1e-4],
    );
  });

  test("names the field of an invalid or unknown setting", () => {
    const config = base();
    assert.throws(
      () => createTrainer({ ...config, act: { ...config.act, n_action_steps: 11 } }),
      /Got 11 for `n_action_steps` and 10 for `chunk_size`/,
    );
    assert.throws(
      () => createTrainer({ ...config, act: { ...config.act, chunk_sise: 3 } as never }),
      /config\.act\.chunk_sise is not an ACT config field/,
    );
    assert.throws(
      () => createTrainer({ ...config, act: { ...config.act, dim_model: 62 } }),
      /for `dim_model`/,
    );
    assert.throws(
      () =>
        createTrainer({
          ...config,
          inputFeatures: { "observation.state": { type: "STATE" as const, shape: [6] } },
        }),
      /at least one image or the environment state/,
    );
  });
});

describe("ACT backbone weights", () => {
  test("loads an ImageNet ResNet under torchvision's names into the backbone alone", async () => {
    const source = createTrainer({ ...fixture.trainerConfig, seed: 11 });
    const path = join(scratch, "resnet18.safetensors");
    await writeTorchvisionResnet(path, source.stateDict());

    const target = createTrainer({ ...fixture.trainerConfig, seed: 12 });
    const before = target.stateDict();
    await target.loadBackboneSafetensors(path);
    const after = target.stateDict();
    const theirs = source.stateDict();
    let backbone = 0;
    for (const [name, tensor] of Object.entries(after)) {
      const inBackbone = name.startsWith("model.backbone.");
      if (inBackbone) backbone += 1;
      assert.ok(sameValues(tensor, (inBackbone ? theirs : before)[name]!), name);
    }
    assert.equal(backbone, 100); // resnet18's convolutions and frozen batch norms, fc left out
  });

  test("refuses weights that lack a tensor of the trunk, naming it", async () => {
    const weights = createTrainer(fixture.trainerConfig).stateDict();
    delete weights["model.backbone.layer4.1.bn2.running_var"];
    const path = join(scratch, "resnet18-short.safetensors");
    await writeTorchvisionResnet(path, weights);
    await assert.rejects(
      createTrainer(fixture.trainerConfig).loadBackboneSafetensors(path),
      messageWith(
        "missing keys (1): layer4.1.bn2.running_var; ",
        "give the ImageNet weights of the config's vision_backbone (resnet18)",
      ),
    );
  });

  test("refuses backbone weights for an ACT that reads no camera", async () => {
    const path = join(scratch, "resnet18-any.safetensors");
    await writeTorchvisionResnet(path, createTrainer(fixture.trainerConfig).stateDict());
    const { "observation.images.main": _camera, ...inputs } = fixture.trainerConfig.inputFeatures;
    const blind = createTrainer({
      ...fixture.trainerConfig,
      inputFeatures: {
        ...inputs,
        "observation.environment_state": { type: "ENV" as const, shape: [4] },
      },
    });
    await assert.rejects(
      blind.loadBackboneSafetensors(path),
      /this ACT reads no camera, so it has no backbone to load/,
    );
  });
});
