import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readActFields, TRAIN_BENCH_CONFIGS } from "../../bench/train-configs.js";
import { EMBEDDED_ACT } from "../../src/train/embedded-setup.js";

describe("the training benchmark's configurations", () => {
  test("times the embedded job's small ACT, field for field", () => {
    const small = TRAIN_BENCH_CONFIGS.find((config) => config.name === "small");
    assert.ok(small);
    assert.deepEqual(readActFields(small), EMBEDDED_ACT);
  });

  test("times LeRobot's default ACT unchanged at 240x320 and 480x640", () => {
    const defaults = TRAIN_BENCH_CONFIGS.filter((config) => config.name.startsWith("default"));
    assert.deepEqual(
      defaults.map((config) => [config.height, config.width]),
      [
        [240, 320],
        [480, 640],
      ],
    );
    for (const config of defaults) assert.deepEqual(readActFields(config), {});
  });
});
