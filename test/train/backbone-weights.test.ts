import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeSampleDataset } from "../../src/dataset/sample/write-sample-dataset.js";
import { ACT_DEFAULTS } from "../../src/train/act-config.js";
import { createTrainer } from "../../src/train/addon.js";
import { backboneWeightsSource } from "../../src/train/backbone-weights.js";
import { prepareDatasetTraining } from "../../src/train/dataset-setup.js";
import { HubServer } from "../helpers/hub-server.js";
import { messageWith } from "../helpers/message-with.js";
import { sameValues, writeTorchvisionResnet } from "../helpers/torchvision-weights.js";

const SMALL = {
  dim_model: 32,
  n_heads: 2,
  dim_feedforward: 64,
  chunk_size: 5,
  n_action_steps: 5,
  latent_dim: 4,
};

describe("backboneWeightsSource", () => {
  test("finds LeRobot's default ImageNet weights on the Hub as timm publishes torchvision's", () => {
    assert.deepEqual(backboneWeightsSource(ACT_DEFAULTS, 1), {
      name: "ResNet18_Weights.IMAGENET1K_V1",
      repoId: "timm/resnet18.tv_in1k",
      file: "model.safetensors",
    });
  });

  test("fetches nothing for random weights or an ACT without cameras", () => {
    assert.equal(
      backboneWeightsSource({ ...ACT_DEFAULTS, pretrained_backbone_weights: null }, 1),
      undefined,
    );
    assert.equal(backboneWeightsSource(ACT_DEFAULTS, 0), undefined);
  });

  test("refuses unknown weights, listing the known ones", () => {
    const config = {
      ...ACT_DEFAULTS,
      pretrained_backbone_weights: "ResNet18_Weights.IMAGENET1K_V9",
    };
    assert.throws(
      () => backboneWeightsSource(config, 1),
      messageWith(
        "Got 'ResNet18_Weights.IMAGENET1K_V9' for `pretrained_backbone_weights`; ",
        "known: ResNet18_Weights.IMAGENET1K_V1, ",
        "or null",
      ),
    );
  });

  test("refuses the weights of another ResNet than the config's", () => {
    const config = {
      ...ACT_DEFAULTS,
      pretrained_backbone_weights: "ResNet34_Weights.IMAGENET1K_V1",
    };
    assert.throws(() => backboneWeightsSource(config, 1), /the weights are resnet34's/);
  });
});

describe("a dataset job's backbone", () => {
  let hub: HubServer;
  let scratch: string;
  let dataset: string;

  before(async () => {
    hub = await HubServer.start();
    scratch = await mkdtemp(join(tmpdir(), "robotrain-backbone-"));
    dataset = join(scratch, "reach");
    await writeSampleDataset({
      output: dataset,
      episodes: 2,
      framesPerEpisode: 12,
      version: "v2.1",
    });
  });
  after(async () => {
    await hub.close();
    await rm(scratch, { recursive: true, force: true });
  });

  test("starts from the ImageNet weights fetched from the Hub, as LeRobot starts", async () => {
    const imagenet = createTrainer({
      policy: "act",
      act: SMALL,
      inputFeatures: { "observation.images.front": { type: "VISUAL", shape: [3, 96, 128] } },
      outputFeatures: { action: { type: "ACTION", shape: [2] } },
      seed: 42,
      device: "cpu",
    }).stateDict();
    const folder = join(scratch, "timm");
    await mkdir(folder);
    await writeTorchvisionResnet(join(folder, "model.safetensors"), imagenet);
    await hub.addRepo({ type: "model", id: "timm/resnet18.tv_in1k", folder });

    const setup = await prepareDatasetTraining({
      dataset,
      act: SMALL,
      steps: 1,
      batchSize: 2,
      seed: 0,
      device: "cpu",
      hubUrl: hub.url,
      accessToken: "",
      cacheDir: join(scratch, "hf"),
      framesDir: join(scratch, "frames"),
    });
    const state = setup.trainer.stateDict();
    for (const name of Object.keys(state).filter((key) => key.startsWith("model.backbone."))) {
      assert.ok(sameValues(state[name]!, imagenet[name]!), name);
    }
    assert.equal(setup.policyConfig.pretrained_backbone_weights, "ResNet18_Weights.IMAGENET1K_V1");
  });
});
