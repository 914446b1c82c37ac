/**
 * The precision of a trainer's forward passes: float32 on CPU, bf16 autocast on a CUDA device
 * that supports it, reported back beside the device.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { createTrainer, loadAddon } from "../../src/train/addon.js";
import { ACT_FIXTURE_MODEL, type ActFixture, loadActFixture } from "../helpers/act-fixture.js";
import { messageWith } from "../helpers/message-with.js";

const MLP = { stateDim: 4, actionDim: 2, chunkSize: 3, hiddenDim: 16, device: "cpu" };
const NO_CUDA = "no CUDA device visible to libtorch";

let fixture: ActFixture;

before(async () => {
  fixture = await loadActFixture();
});

describe("trainer precision", () => {
  test("runs fp32 on CPU under precision auto, with nothing to report", () => {
    const trainer = createTrainer({ ...MLP, precision: "auto" });
    assert.equal(trainer.precision, "fp32");
    assert.equal(trainer.precisionFallback, null);
  });

  test("refuses bf16 on CPU, saying it runs on CUDA only", () => {
    assert.throws(
      () => createTrainer({ ...MLP, precision: "bf16" }),
      messageWith(
        "precision 'bf16' runs bf16 autocast on CUDA only and the trainer is on cpu; ",
        "use precision 'fp32' or 'auto'",
      ),
    );
  });

  test("refuses a precision it does not know, listing the ones it does", () => {
    assert.throws(
      () => createTrainer({ ...MLP, precision: "fp16" as "fp32" }),
      /precision 'fp16' is not one of auto, fp32, bf16/,
    );
  });

  test("takes bf16 under auto on a CUDA device of compute capability 8.0 or newer", (context) => {
    if (!loadAddon().libtorchInfo().cudaAvailable) return context.skip(NO_CUDA);
    const trainer = createTrainer({ ...MLP, device: "cuda" });
    if (trainer.precision === "fp32") {
      assert.match(trainer.precisionFallback ?? "", /compute capability \d+\.\d+; bf16 needs 8\.0/);
      return;
    }
    assert.equal(trainer.precision, "bf16");
    assert.equal(trainer.precisionFallback, null);
  });

  test("trains ACT in bf16 on CUDA with a falling loss and float32 results", async (context) => {
    if (!loadAddon().libtorchInfo().cudaAvailable) return context.skip(NO_CUDA);
    const trainer = createTrainer({
      ...fixture.trainerConfig,
      device: "cuda",
      lr: 1e-4,
      lrBackbone: 1e-4,
    });
    if (trainer.precision !== "bf16") {
      return context.skip(`this device cannot run bf16: ${trainer.precisionFallback}`);
    }
    await trainer.loadSafetensors(ACT_FIXTURE_MODEL);
    const { vae_eps: _noise, ...batch } = fixture.batch;
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) losses.push((await trainer.step(batch)).loss);
    const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    assert.ok(mean(losses.slice(-3)) < 0.5 * mean(losses.slice(0, 3)), `losses ${losses}`);
    // Master weights stay float32: the state dict holds float32 values.
    const weight = trainer.stateDict()["model.action_head.weight"];
    assert.ok(weight?.data instanceof Float32Array);
  });
});
