/**
 * `robotrain-native`, the core without Node (native/CMakeLists.txt). Built on demand only
 * (`cmake -S native -B native/build && cmake --build native/build`), so these tests skip, saying
 * so, where it has not been built.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadAddon } from "../../src/train/addon.js";
import { ACT_FIXTURE_DIR } from "../helpers/act-fixture.js";
import { REPO_ROOT } from "../helpers/paths.js";

const BINARY = process.env.ROBOTRAIN_NATIVE_BIN ?? join(REPO_ROOT, "native/build/robotrain-native");
const NOT_BUILT = `${BINARY} is not built (cmake -S native -B native/build && cmake --build native/build)`;

function run(args: string[]) {
  return spawnSync(BINARY, args, { encoding: "utf8", timeout: 300_000 });
}

describe("robotrain-native", () => {
  test("parity passes on the golden fixture, comparing every tensor", (context) => {
    if (!existsSync(BINARY)) return context.skip(NOT_BUILT);
    const result = run(["parity", ACT_FIXTURE_DIR, "--device", "cpu"]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^PASS: (\d+) of \1 tensors compared on cpu, 0 failed$/m);
  });

  test("parity passes on CUDA with TF32 off when libtorch sees a device", (context) => {
    if (!existsSync(BINARY)) return context.skip(NOT_BUILT);
    if (!loadAddon().libtorchInfo().cudaAvailable) return context.skip("no CUDA device visible");
    const result = run(["parity", ACT_FIXTURE_DIR, "--device", "cuda"]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^PASS: (\d+) of \1 tensors compared on cuda/m);
  });

  test("parity fails, naming the file, on a folder without a fixture", (context) => {
    if (!existsSync(BINARY)) return context.skip(NOT_BUILT);
    const result = run(["parity", join(REPO_ROOT, "no-such-fixture")]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /cannot open '.*no-such-fixture\/config\.json'/);
  });

  test("bench prints one JSON line of step timings", (context) => {
    if (!existsSync(BINARY)) return context.skip(NOT_BUILT);
    const result = run([
      "bench",
      ...["--device", "cpu", "--steps", "2", "--warmup", "1", "--batch", "2"],
      ...["--height", "64", "--width", "64", "--chunk-size", "8", "--dim-model", "64"],
    ]);
    assert.equal(result.status, 0, result.stderr);
    const line = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(line.policy, "act");
    assert.equal(line.steps, 2);
    assert.ok((line.stepMsMedian as number) > 0);
    assert.ok((line.samplesPerSecond as number) > 0);
    // The bare libtorch loop beside it, for the trainer's host overhead.
    assert.ok((line.bareStepMsMedian as number) > 0);
    assert.equal(typeof line.hostOverheadPercent, "number");
  });

  test("refuses an unknown subcommand with the usage", (context) => {
    if (!existsSync(BINARY)) return context.skip(NOT_BUILT);
    const result = run(["train"]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown subcommand 'train'\nusage: robotrain-native parity/);
  });
});
