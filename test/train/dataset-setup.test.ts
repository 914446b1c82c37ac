/**
 * The plan of a dataset job: on CPU as the hosted service planned it, on CUDA with the planned
 * batch checked against a probe of the step's memory.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeSampleDataset } from "../../src/dataset/sample/write-sample-dataset.js";
import { loadAddon } from "../../src/train/addon.js";
import { prepareDatasetTraining } from "../../src/train/dataset-setup.js";

/** A small ACT, so the probe's steps are quick. */
/** Small, and with a random backbone: nothing is fetched from the Hub. */
const SMALL_ACT = {
  chunk_size: 10,
  n_action_steps: 10,
  dim_model: 64,
  n_heads: 2,
  pretrained_backbone_weights: null,
};

let scratch: string;
let dataset: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "robotrain-setup-"));
  dataset = join(scratch, "dataset");
  await writeSampleDataset({
    output: dataset,
    version: "v2.1",
    episodes: 2,
    framesPerEpisode: 20,
    cameras: 1,
    width: 64,
    height: 48,
  });
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function setup(device: string) {
  return prepareDatasetTraining({
    dataset,
    framesDir: join(scratch, "frames"),
    act: SMALL_ACT,
    seed: 0,
    device,
  });
}

describe("prepareDatasetTraining", () => {
  test("plans 120 // cameras on CPU, with no memory probe", async () => {
    const { plan, trainer } = await setup("cpu");
    assert.equal(plan.batchSize, 120);
    assert.equal(plan.memoryCap, undefined);
    assert.equal(trainer.precision, "fp32");
  });

  test("checks the planned batch against a probe of CUDA memory, saying why", async (context) => {
    if (!loadAddon().libtorchInfo().cudaAvailable) {
      return context.skip("no CUDA device visible to libtorch");
    }
    const { plan, trainer } = await setup("cuda");
    assert.ok(plan.memoryCap, "a CUDA plan carries the probe's verdict");
    assert.ok(plan.memoryCap.maxBatchSize >= 1);
    assert.equal(plan.batchSize, Math.min(120, plan.memoryCap.maxBatchSize));
    assert.equal(plan.memoryCap.capped, plan.memoryCap.maxBatchSize < 120);
    assert.match(plan.memoryCap.reason, /GiB/);
    assert.equal(trainer.stepsDone, 0, "the probe does not train");
  });
});
