import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planTraining } from "../../src/train/plan.js";

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
});
