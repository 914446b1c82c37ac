import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BatchMemoryFit } from "../../src/train/batch-memory-fit.js";
import { planTraining } from "../../src/train/plan.js";

const GIB = 1024 ** 3;

/** A device where 1 GiB is fixed and each sample takes 0.25 GiB, 9 GiB in budget: 32 fit. */
const FIT_32: BatchMemoryFit = {
  fixedBytes: GIB,
  bytesPerSample: GIB / 4,
  budgetBytes: 9 * GIB,
  availableBytes: 11.25 * GIB,
  maxBatchSize: 32,
};

describe("planTraining", () => {
  test("plans 120 // cameras samples a step and min(800000 // batch, 8000) steps", () => {
    assert.deepEqual(planTraining({}, 2), {
      batchSize: 60,
      steps: 8000,
      planned: { batchSize: true, steps: true },
    });
    assert.equal(planTraining({}, 3).batchSize, 40);
    assert.equal(planTraining({ batchSize: 150 }, 1).steps, 5333);
  });

  test("plans 100 samples a step without cameras", () => {
    assert.equal(planTraining({}, 0).batchSize, 100);
  });

  test("keeps what the job set, and says which values it planned", () => {
    const plan = planTraining({ batchSize: 8, steps: null }, 1);
    assert.deepEqual(plan, {
      batchSize: 8,
      steps: 8000,
      planned: { batchSize: false, steps: true },
    });
    assert.equal(planTraining({ steps: 42 }, 1).steps, 42);
  });

  test("caps a planned batch that does not fit, replans the steps, and says why", () => {
    const plan = planTraining({}, 1, FIT_32);
    assert.equal(plan.batchSize, 32);
    assert.equal(plan.steps, 8000); // min(800000 // 32, 8000)
    assert.equal(plan.memoryCap?.capped, true);
    assert.equal(plan.memoryCap?.maxBatchSize, 32);
    assert.equal(
      plan.memoryCap?.reason,
      "the planned batch 120 needs about 31.0 GiB, more than 9.0 GiB (the safe share of " +
        "11.3 GiB available); batch 32 needs about 9.0 GiB",
    );
  });

  test("keeps a planned batch that fits, saying what it needs", () => {
    const plan = planTraining({}, 4, FIT_32); // 120 // 4 = 30
    assert.equal(plan.batchSize, 30);
    assert.equal(plan.memoryCap?.capped, false);
    assert.match(plan.memoryCap?.reason ?? "", /^batch 30 needs about 8\.5 GiB of 9\.0 GiB/);
  });

  test("keeps a batch the job set even when it does not fit, and warns of it", () => {
    const plan = planTraining({ batchSize: 64 }, 1, FIT_32);
    assert.equal(plan.batchSize, 64);
    assert.equal(plan.memoryCap?.capped, false);
    assert.match(
      plan.memoryCap?.reason ?? "",
      /the job's batch 64 .* may run out of memory \(batch 32 fits\)/,
    );
  });

  test("refuses a plan where not one sample fits, saying what a step needs", () => {
    assert.throws(
      () => planTraining({}, 1, { ...FIT_32, maxBatchSize: 0 }),
      /a step of batch 1 needs about 1\.3 GiB and the device has 9\.0 GiB/,
    );
  });
});
