/**
 * `robotrain-native`, the core without Node (native/CMakeLists.txt). Built on demand only
 * (`cmake -S native -B native/build && cmake --build native/build`), so these tests skip, saying
 * so, where it has not been built.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeSafetensors } from "../../src/safetensors/write-safetensors.js";
import { loadAddon } from "../../src/train/addon.js";
import { ACT_FIXTURE_DIR } from "../helpers/act-fixture.js";
import { REPO_ROOT } from "../helpers/paths.js";

const BINARY = process.env.ROBOTRAIN_NATIVE_BIN ?? join(REPO_ROOT, "native/build/robotrain-native");
const NOT_BUILT = `${BINARY} is not built (cmake -S native -B native/build && cmake --build native/build)`;

function run(args: string[]) {
  return spawnSync(BINARY, args, { encoding: "utf8", timeout: 300_000 });
}

let scratch: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "robotrain-native-"));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("robotrain-native", () => {
  test("parity passes on the golden fixture, comparing every tensor", (context) => {
    if (!existsSync(BINARY)) return context.skip(NOT_BUILT);
    const result = run(["parity", ACT_FIXTURE_DIR, "--device", "cpu"]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^PASS: (\d+) of \1 tensors compared on cpu in fp32, 0 failed$/m);
  });

  test("parity passes on CUDA with TF32 off when libtorch sees a device", (context) => {
    if (!existsSync(BINARY)) return context.skip(NOT_BUILT);
    if (!loadAddon().libtorchInfo().cudaAvailable) return context.skip("no CUDA device visible");
    const result = run(["parity", ACT_FIXTURE_DIR, "--device", "cuda"]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^PASS: (\d+) of \1 tensors compared on cuda\S* \(.*\) in fp32/m);
  });

  test("parity refuses bf16 on CPU, saying bf16 autocast runs on CUDA only", (context) => {
    if (!existsSync(BINARY)) return context.skip(NOT_BUILT);
    const result = run(["parity", ACT_FIXTURE_DIR, "--device", "cpu", "--precision", "bf16"]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /precision 'bf16' runs bf16 autocast on CUDA only/);
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

  test("bench --loop bare times the bare loop alone on a batch file, with ACT fields", async (context) => {
    if (!existsSync(BINARY)) return context.skip(NOT_BUILT);
    const [batch, chunk, height, width] = [2, 8, 64, 64];
    const batchFile = join(scratch, "batch.safetensors");
    await writeSafetensors(batchFile, {
      "observation.state": { data: new Float32Array(batch * 6), shape: [batch, 6] },
      action: { data: new Float32Array(batch * chunk * 6).fill(0.5), shape: [batch, chunk, 6] },
      action_is_pad: { data: new Uint8Array(batch * chunk), shape: [batch, chunk] },
      "observation.images.cam0": {
        data: new Uint8Array(batch * 3 * height * width).fill(128),
        shape: [batch, 3, height, width],
      },
    });
    const fieldsFile = join(scratch, "act-fields.json");
    await writeFile(
      fieldsFile,
      JSON.stringify({ chunk_size: chunk, n_action_steps: chunk, dim_model: 32, n_heads: 4 }),
    );
    const result = run([
      "bench",
      ...["--loop", "bare", "--device", "cpu", "--steps", "1", "--warmup", "0"],
      ...["--height", String(height), "--width", String(width)],
      ...["--act-fields", fieldsFile, "--batch-file", batchFile],
    ]);
    assert.equal(result.status, 0, result.stderr);
    const line = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(line.loop, "bare");
    assert.equal(line.batch, batch);
    assert.equal(line.chunkSize, chunk);
    assert.equal(line.dimModel, 32);
    assert.ok((line.bareStepMsMedian as number) > 0);
    assert.ok((line.peakRssMiB as number) > 0);
    assert.equal(line.stepMsMedian, undefined, "the trainer's loop did not run");
  });

  test("refuses an unknown subcommand with the usage", (context) => {
    if (!existsSync(BINARY)) return context.skip(NOT_BUILT);
    const result = run(["train"]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown subcommand 'train'\nusage: robotrain-native parity/);
  });
});
