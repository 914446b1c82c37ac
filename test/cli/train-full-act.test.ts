import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTrainer } from "../../src/train/addon.js";
import { HubServer } from "../helpers/hub-server.js";
import { type CliRun, logLines, runCli } from "../helpers/run-cli.js";
import { checkpointConfig, lossesOf } from "../helpers/run-output.js";
import { writeTorchvisionResnet } from "../helpers/torchvision-weights.js";

const STEPS = 10;

describe("robotrain train --dataset, LeRobot's default ACT", () => {
  let home: string;
  let hub: HubServer;
  let run: CliRun;
  let output: string;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "robotrain-full-act-"));
    hub = await HubServer.start();

    // ImageNet weights as timm publishes torchvision's, here of a seeded random ResNet-18.
    const weights = join(home, "resnet18");
    await mkdir(weights);
    const resnet = createTrainer({
      policy: "act",
      act: { dim_model: 32, n_heads: 2, dim_feedforward: 32, chunk_size: 2, n_action_steps: 2 },
      inputFeatures: { "observation.images.front": { type: "VISUAL", shape: [3, 96, 128] } },
      outputFeatures: { action: { type: "ACTION", shape: [2] } },
      seed: 9,
      device: "cpu",
    });
    await writeTorchvisionResnet(join(weights, "model.safetensors"), resnet.stateDict());
    await hub.addRepo({ type: "model", id: "timm/resnet18.tv_in1k", folder: weights });

    const env = { ROBOTRAIN_HOME: home, HF_ENDPOINT: hub.url, HF_HUB_CACHE: join(home, "hf") };
    const dataset = join(home, "reach");
    const made = await runCli(["sample-dataset", "--output", dataset, "--episodes", "10"], { env });
    assert.equal(made.code, 0, made.stderr);

    output = join(home, "run");
    const flags = ["--steps", String(STEPS), "--batch-size", "8", "--device", "cpu"];
    run = await runCli(["train", "--dataset", dataset, ...flags, "--output", output], {
      env,
      timeoutMs: 600_000,
    });
  });
  after(async () => {
    await hub.close();
    await rm(home, { recursive: true, force: true });
  });

  test("trains on the CPU from the fetched ImageNet backbone until the loss falls", async () => {
    assert.equal(run.code, 0, run.stderr);
    const losses = await lossesOf(output);
    assert.equal(losses.length, STEPS);
    const [first = 0, second = 0] = losses;
    const end = losses.slice(-2).reduce((sum, loss) => sum + loss, 0) / 2;
    assert.ok(end < (first + second) / 4, `loss went from ${losses.slice(0, 2)} to ${end}`);
    assert.equal(hub.fileDownloads().filter((record) => record.path.includes("timm")).length, 1);
  });

  test("writes LeRobot's defaults into the checkpoint's config.json", async () => {
    const config = await checkpointConfig(output);
    assert.equal(config.dim_model, 512);
    assert.equal(config.dim_feedforward, 3200);
    assert.equal(config.n_encoder_layers, 4);
    assert.equal(config.chunk_size, 100);
    assert.equal(config.pretrained_backbone_weights, "ResNet18_Weights.IMAGENET1K_V1");
    const planned = logLines(run.stdout).find((line) => line.msg === "trainer ready");
    assert.ok((planned?.parameters as number) > 50_000_000, JSON.stringify(planned));
  });
});
