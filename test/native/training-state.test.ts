import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readSafetensors } from "../../src/safetensors/read-safetensors.js";
import { type BatchViews, createTrainer, type NativeTrainer } from "../../src/train/addon.js";
import { ACT_FIXTURE_MODEL, type ActFixture, loadActFixture } from "../helpers/act-fixture.js";
import { messageWith } from "../helpers/message-with.js";

/** The fixture's policy with dropout on and the VAE noise drawn: every step uses the RNG. */
function trainingBatch(fixture: ActFixture): BatchViews {
  const { vae_eps: _noise, ...batch } = fixture.batch;
  return batch;
}

async function fixtureTrainer(fixture: ActFixture): Promise<NativeTrainer> {
  const trainer = createTrainer({ ...fixture.trainerConfig, seed: 3, lr: 1e-3 });
  await trainer.loadSafetensors(ACT_FIXTURE_MODEL);
  return trainer;
}

async function losses(trainer: NativeTrainer, batch: BatchViews, steps: number) {
  const seen: number[] = [];
  for (let i = 0; i < steps; i++) seen.push((await trainer.step(batch)).loss);
  return seen;
}

describe("native training state", () => {
  let fixture: ActFixture;
  let dir: string;

  before(async () => {
    fixture = await loadActFixture();
    dir = await mkdtemp(join(tmpdir(), "robotrain-state-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("continues with the very losses of an uninterrupted run", async () => {
    const batch = trainingBatch(fixture);
    const uninterrupted = await fixtureTrainer(fixture);
    await losses(uninterrupted, batch, 2);
    const weights = join(dir, "continue.safetensors");
    const state = join(dir, "continue");
    await uninterrupted.saveSafetensors(weights);
    await uninterrupted.saveTrainingState(state);
    const expected = await losses(uninterrupted, batch, 3);

    // A fresh trainer, as a restarted process builds it, then the checkpoint put back.
    const resumed = await fixtureTrainer(fixture);
    await resumed.loadSafetensors(weights);
    assert.equal(await resumed.loadTrainingState(state), 2);
    assert.equal(resumed.stepsDone, 2);
    // Same seed, batch and CPU kernels: bit-identical, as two uninterrupted runs are.
    assert.deepEqual(await losses(resumed, batch, 3), expected);

    // The weights alone do not suffice: without the moments and the generators it drifts.
    const weightsOnly = await fixtureTrainer(fixture);
    await weightsOnly.loadSafetensors(weights);
    assert.notDeepEqual(await losses(weightsOnly, batch, 3), expected);
  });

  test("writes training_state in LeRobot's layout, parameters numbered group by group", async () => {
    const trainer = await fixtureTrainer(fixture);
    await losses(trainer, trainingBatch(fixture), 1);
    const state = join(dir, "layout");
    await trainer.saveTrainingState(state);

    assert.deepEqual((await readdir(state)).sort(), [
      "optimizer_param_groups.json",
      "optimizer_state.safetensors",
      "rng_state.safetensors",
      "training_step.json",
    ]);
    assert.deepEqual(JSON.parse(await readFile(join(state, "training_step.json"), "utf8")), {
      step: 1,
    });

    const groups = JSON.parse(await readFile(join(state, "optimizer_param_groups.json"), "utf8"));
    const built = trainer.paramGroups;
    assert.deepEqual(
      groups.map((group: { lr: number; weight_decay: number }) => [group.lr, group.weight_decay]),
      built.map((group) => [group.lr, group.weightDecay]),
    );
    const names = built.flatMap((group) => group.parameters);
    assert.deepEqual(
      groups.flatMap((group: { params: number[] }) => group.params),
      names.map((_, index) => index),
    );

    // Each parameter's moments have its shape, under its PyTorch index.
    const moments = (await readSafetensors(join(state, "optimizer_state.safetensors"))).tensors;
    assert.equal(moments.size, names.length * 3);
    const weights = trainer.stateDict();
    names.forEach((name, index) => {
      assert.deepEqual(moments.get(`state/${index}/exp_avg`)?.shape, weights[name]!.shape, name);
      assert.deepEqual(moments.get(`state/${index}/exp_avg_sq`)?.shape, weights[name]!.shape);
      assert.equal(moments.get(`state/${index}/step`)?.bytes.readFloatLE(0), 1);
    });
    const rng = (await readSafetensors(join(state, "rng_state.safetensors"))).tensors;
    assert.equal(rng.get("torch_rng_state")?.dtype, "U8");
  });

  test("refuses the training state of another config and changes nothing", async () => {
    const trainer = await fixtureTrainer(fixture);
    const state = join(dir, "other");
    await losses(trainer, trainingBatch(fixture), 1);
    await trainer.saveTrainingState(state);

    const other = createTrainer({
      ...fixture.trainerConfig,
      act: { ...fixture.trainerConfig.act, dim_feedforward: 96 },
    });
    await assert.rejects(
      other.loadTrainingState(state),
      messageWith(
        "the moments of model.vae_encoder.layers.0.linear1.weight are [128, 64]; ",
        "the parameter is [96, 64]: the checkpoint is of another config",
      ),
    );
    assert.equal(other.stepsDone, 0);
  });

  test("refuses an incomplete training_state, naming the missing file", async () => {
    const trainer = await fixtureTrainer(fixture);
    await assert.rejects(
      trainer.loadTrainingState(join(dir, "nowhere")),
      /cannot read '.*nowhere\/training_step\.json'; the checkpoint's training_state is incomplete/,
    );
  });
});
