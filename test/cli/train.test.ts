import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readSafetensors } from "../../src/safetensors/read-safetensors.js";
import { ACT_FIXTURE_DIR } from "../helpers/act-fixture.js";
import { type CliRun, logLines, runCli } from "../helpers/run-cli.js";

const STEPS = 40;

describe("robotrain train, the embedded default job", () => {
  let home: string;
  let outputDir: string;
  let run: CliRun;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "robotrain-home-"));
    outputDir = join(home, "run");
    const args = [
      "--steps",
      String(STEPS),
      "--save-freq",
      "20",
      "--device",
      "cpu",
      "--output",
      outputDir,
    ];
    run = await runCli(["train", ...args], { env: { ROBOTRAIN_HOME: home }, timeoutMs: 300_000 });
  });
  after(() => rm(home, { recursive: true, force: true }));

  test("trains ACT on the sample dataset until its loss is well below where it started", async () => {
    assert.equal(run.code, 0, run.stderr);
    const losses = (await readFile(join(outputDir, "metrics.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { loss: number }).loss);
    assert.equal(losses.length, STEPS);
    const mean = (values: number[]) =>
      values.reduce((sum, value) => sum + value, 0) / values.length;
    const start = mean(losses.slice(0, 5));
    const end = mean(losses.slice(-5));
    assert.ok(end < start * 0.5, `loss fell only from ${start} to ${end}`);
  });

  test("writes the sample dataset once under ROBOTRAIN_HOME and trains from its frame cache", async () => {
    const info = JSON.parse(
      await readFile(join(home, "datasets/sample-reach/meta/info.json"), "utf8"),
    );
    assert.equal(info.codebase_version, "v2.1");
    const messages = logLines(run.stdout).map((line) => line.msg);
    assert.ok(messages.includes("frame cache built"), messages.join(", "));
  });

  test("checkpoints every save_freq steps as LeRobot pretrained_model folders", async () => {
    const checkpoints = join(outputDir, "checkpoints");
    assert.equal(await readlink(join(checkpoints, "last")), "000040");
    const model = join(checkpoints, "000020", "pretrained_model");

    // The same keys in the same order as the config.json LeRobot itself wrote for the fixture.
    const config = JSON.parse(await readFile(join(model, "config.json"), "utf8"));
    const lerobot = JSON.parse(await readFile(join(ACT_FIXTURE_DIR, "config.json"), "utf8"));
    assert.deepEqual(Object.keys(config), Object.keys(lerobot));
    assert.equal(config.type, "act");
    assert.deepEqual(config.input_features["observation.images.front"], {
      type: "VISUAL",
      shape: [3, 96, 128],
    });

    // The fixture's ACT has the same layer counts, so the same state-dict keys but for its camera.
    const ours = [...(await readSafetensors(join(model, "model.safetensors"))).tensors.keys()];
    const theirs = [
      ...(await readSafetensors(join(ACT_FIXTURE_DIR, "model.safetensors"))).tensors.keys(),
    ];
    const renamed = theirs.map((key) =>
      key.replace("observation_images_main", "observation_images_front"),
    );
    assert.deepEqual(ours.sort(), renamed.sort());
  });

  test("writes LeRobot v0.4's processor files beside, with the stats the weights hold", async () => {
    const model = join(outputDir, "checkpoints", "000040", "pretrained_model");
    const files = await readdir(model);
    assert.ok(
      files.includes("policy_preprocessor.json") && files.includes("policy_postprocessor.json"),
    );
    const normalizer = files.find((file) => file.endsWith("_normalizer_processor.safetensors"));
    assert.ok(normalizer, files.join(", "));

    const weights = (await readSafetensors(join(model, "model.safetensors"))).tensors;
    const stats = (await readSafetensors(join(model, normalizer))).tensors;
    for (const [flat, buffer] of [
      ["observation.state.mean", "normalize_inputs.buffer_observation_state.mean"],
      ["action.std", "normalize_targets.buffer_action.std"],
    ] as const) {
      assert.ok(stats.get(flat)?.bytes.equals(weights.get(buffer)!.bytes), flat);
    }
  });

  test("writes a train_config.json that reproduces the run", async () => {
    const config = JSON.parse(await readFile(join(outputDir, "train_config.json"), "utf8"));
    assert.equal(config.model_type, "ACT");
    assert.equal(config.steps, STEPS);
    assert.equal(config.batch_size, 8);
    assert.equal(config.save_freq, 20);
    assert.equal(config.device, "cpu");
    assert.equal(config.precision, "fp32");
    assert.equal(config.policy.type, "act");
    assert.deepEqual(
      config.param_groups.map((group: { name: string }) => group.name),
      ["policy", "backbone"],
    );
  });

  test("exports the policy to ONNX, verified on the dataset's samples", async () => {
    const report = JSON.parse(
      await readFile(join(outputDir, "export", "policy.onnx.verification.json"), "utf8"),
    );
    assert.equal(report.passed, true);
    assert.ok(report.maxAbsDiff < 1e-4, String(report.maxAbsDiff));
    assert.ok(report.inputSets.some((set: { name: string }) => set.name === "dataset samples"));
  });

  test("draws the run's losses into loss_curve.png", async () => {
    const png = await readFile(join(outputDir, "loss_curve.png"));
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from("PNG")]);
    assert.equal(png.readUInt32BE(16), 800); // IHDR width
  });

  test("logs one JSON line per state change, and a progress bar on stderr", () => {
    const lines = logLines(run.stdout);
    for (const line of lines) {
      assert.equal(typeof line.ts, "string");
      assert.equal(line.jobId, "local");
    }
    const messages = lines.map((line) => line.msg).filter((msg) => msg !== "checkpoint written");
    // --device cpu asked for the CPU: nothing fell back, so nothing is warned of.
    assert.deepEqual(messages, [
      "job running",
      "embedded job",
      "frame cache built",
      "training planned",
      "trainer ready",
      "policy exported",
      "job succeeded",
    ]);
    assert.match(
      run.stderr,
      new RegExp(`step ${STEPS}/${STEPS} loss \\d+\\.\\d{4} \\d+ samples/s ETA`),
    );
    assert.match(run.stderr, new RegExp(`output written to ${outputDir}`));
  });
});

describe("robotrain train, refused", () => {
  test("names the flag and the value when --steps is not a positive integer", async () => {
    const run = await runCli(["train", "--steps", "-3"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--steps: expected a positive integer, got '-3'/);
  });

  test("names the choices when --precision is not one of them", async () => {
    const run = await runCli(["train", "--precision", "fp16"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--precision: expected one of auto, fp32, bf16, got 'fp16'/);
  });

  test("prints the 422 detail for training params of another model", async () => {
    const run = await runCli(["train", "--params", '{"num_epochs": 3}']);
    assert.equal(run.code, 2);
    const body = JSON.parse(run.stdout) as { detail: { loc: unknown[] }[] };
    assert.deepEqual(body.detail[0]?.loc, ["body", "training_params", "num_epochs"]);
  });

  test("prints the 422 detail for an unknown ACT field", async () => {
    const run = await runCli(["train", "--params", '{"chunk_sise": 3}']);
    assert.equal(run.code, 2);
    const body = JSON.parse(run.stdout) as { detail: { loc: unknown[]; msg: string }[] };
    assert.deepEqual(body.detail[0]?.loc, ["body", "training_params", "chunk_sise"]);
    assert.match(body.detail[0]?.msg ?? "", /known fields: .*chunk_size/);
  });

  test("fails with a clear message when CUDA is asked for and libtorch sees none", async (context) => {
    const home = await mkdtemp(join(tmpdir(), "robotrain-home-"));
    try {
      const args = ["train", "--steps", "1", "--device", "cuda", "--output", join(home, "run")];
      const run = await runCli(args, { env: { ROBOTRAIN_HOME: home } });
      if (run.code === 0) {
        context.diagnostic("this machine has CUDA: the job trained there");
        return;
      }
      assert.equal(run.code, 1);
      assert.match(run.stderr, /device 'cuda' was asked for but libtorch sees no CUDA device/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
