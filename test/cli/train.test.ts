import assert from "node:assert/strict";
import { mkdtemp, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CliRun, logLines, runCli } from "../helpers/run-cli.js";

describe("robotrain train", () => {
  let outputDir: string;
  let run: CliRun;

  before(async () => {
    outputDir = await mkdtemp(join(tmpdir(), "robotrain-train-"));
    run = await runCli([
      "train",
      "--steps",
      "300",
      "--save-freq",
      "100",
      "--device",
      "cpu",
      "--output",
      outputDir,
    ]);
  });
  after(() => rm(outputDir, { recursive: true, force: true }));

  test("trains the embedded task until its loss is well below where it started", async () => {
    assert.equal(run.code, 0, run.stderr);
    const losses = (await readFile(join(outputDir, "metrics.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { loss: number }).loss);
    assert.equal(losses.length, 300);
    const mean = (values: number[]) =>
      values.reduce((sum, value) => sum + value, 0) / values.length;
    const start = mean(losses.slice(0, 20));
    const end = mean(losses.slice(-20));
    assert.ok(end < start * 0.25, `loss fell only from ${start} to ${end}`);
  });

  test("checkpoints every save_freq steps and points last at the final one", async () => {
    const checkpoints = join(outputDir, "checkpoints");
    for (const step of ["000100", "000200", "000300"]) {
      assert.ok(
        (await stat(join(checkpoints, step, "pretrained_model", "model.safetensors"))).size > 0,
      );
    }
    assert.equal(await readlink(join(checkpoints, "last")), "000300");
  });

  test("writes a train_config.json that reproduces the run", async () => {
    const config = JSON.parse(await readFile(join(outputDir, "train_config.json"), "utf8"));
    assert.equal(config.model_type, "ACT");
    assert.equal(config.steps, 300);
    assert.equal(config.batch_size, 100);
    assert.equal(config.save_freq, 100);
    assert.equal(config.seed, 0);
    assert.equal(config.device, "cpu");
  });

  test("logs one JSON line per state change, and the loss fell in its summary", () => {
    const lines = logLines(run.stdout);
    for (const line of lines) {
      assert.equal(typeof line.ts, "string");
      assert.equal(typeof line.level, "string");
      assert.equal(line.jobId, "local");
    }
    const messages = lines.map((line) => line.msg);
    assert.deepEqual(
      messages.filter((msg) => msg !== "checkpoint written"),
      // --device cpu asked for the CPU: nothing fell back, so nothing is warned of.
      ["job running", "training planned", "trainer ready", "job succeeded"],
    );
    const done = lines.at(-1)!;
    assert.ok((done.lossAtEnd as number) < (done.lossAtStart as number));
    assert.match(run.stderr, /step 300\/300 loss \d+\.\d{4} \d+ samples\/s ETA/);
    assert.match(run.stderr, new RegExp(`output written to ${outputDir}`));
  });
});

describe("robotrain train, refused", () => {
  test("names the flag and the value when --steps is not a positive integer", async () => {
    const run = await runCli(["train", "--steps", "-3"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--steps: expected a positive integer, got '-3'/);
  });

  test("prints the 422 detail for training params of another model", async () => {
    const run = await runCli(["train", "--params", '{"num_epochs": 3}']);
    assert.equal(run.code, 2);
    const body = JSON.parse(run.stdout) as { detail: { loc: unknown[] }[] };
    assert.deepEqual(body.detail[0]?.loc, ["body", "training_params", "num_epochs"]);
  });

  test("fails with a clear message when CUDA is asked for and libtorch sees none", async () => {
    const run = await runCli([
      "train",
      "--steps",
      "1",
      "--device",
      "cuda",
      "--output",
      join(tmpdir(), "robotrain-never"),
    ]);
    // On a CUDA machine this trains; everywhere else it must explain itself.
    if (run.code === 0) return;
    assert.equal(run.code, 1);
    assert.match(run.stderr, /device 'cuda' was asked for but libtorch sees no CUDA device/);
  });
});
