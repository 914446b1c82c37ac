/**
 * The CUDA memory probe behind the batch cap: a step's peak memory measured by the caching
 * allocator, and the batch fitted from it. CUDA only; on CPU it refuses, saying so.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type BatchViews, createTrainer, loadAddon } from "../../src/train/addon.js";
import { probeBatchMemory } from "../../src/train/probe-batch-memory.js";

const STATE_DIM = 32;
const ACTION_DIM = 8;
const CHUNK = 16;
const MLP = { stateDim: STATE_DIM, actionDim: ACTION_DIM, chunkSize: CHUNK, hiddenDim: 256 };
const NO_CUDA = "no CUDA device visible to libtorch";

function batchOf(batchSize: number): BatchViews {
  return {
    "observation.state": {
      data: new Float32Array(batchSize * STATE_DIM).fill(0.5),
      shape: [batchSize, STATE_DIM],
    },
    action: {
      data: new Float32Array(batchSize * CHUNK * ACTION_DIM).fill(0.25),
      shape: [batchSize, CHUNK, ACTION_DIM],
    },
  };
}

describe("step memory probe", () => {
  test("refuses on CPU, saying it reads the CUDA caching allocator", async () => {
    const trainer = createTrainer({ ...MLP, device: "cpu" });
    await assert.rejects(
      trainer.measureStepMemory(batchOf(2)),
      /the step memory probe reads the CUDA caching allocator and this trainer is on cpu/,
    );
  });

  test("cudaMemory refuses a CPU device", () => {
    assert.throws(() => loadAddon().cudaMemory("cpu"), /CUDA memory figures need a CUDA device/);
  });

  test("measures more memory for a larger batch on CUDA, weights untouched", async (context) => {
    if (!loadAddon().libtorchInfo().cudaAvailable) return context.skip(NO_CUDA);
    const trainer = createTrainer({ ...MLP, device: "cuda" });
    const before = trainer.stateDict()["net.0.weight"]?.data.slice();
    const small = await trainer.measureStepMemory(batchOf(2));
    const large = await trainer.measureStepMemory(batchOf(4096));
    assert.ok(large.peakBytes > small.peakBytes, `${small.peakBytes} -> ${large.peakBytes}`);
    assert.ok(small.optimizerStateBytes > 0, "AdamW's moments are counted before the first step");
    assert.ok(small.availableBytes > 0 && small.availableBytes <= small.totalBytes);
    assert.deepEqual(trainer.stateDict()["net.0.weight"]?.data, before);
    assert.equal(trainer.stepsDone, 0);
  });

  test("fits a batch on CUDA whose step then runs", async (context) => {
    if (!loadAddon().libtorchInfo().cudaAvailable) return context.skip(NO_CUDA);
    const trainer = createTrainer({ ...MLP, device: "cuda" });
    const fit = await probeBatchMemory(trainer, batchOf);
    assert.ok(fit.maxBatchSize >= 8, `fit ${JSON.stringify(fit)}`);
    assert.ok(fit.bytesPerSample > 0 && fit.budgetBytes < fit.availableBytes);
    const batchSize = Math.min(fit.maxBatchSize, 1 << 16);
    const result = await trainer.step(batchOf(batchSize));
    assert.ok(Number.isFinite(result.loss));
  });
});
