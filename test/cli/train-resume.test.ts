import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CliRun, logLines, runCli } from "../helpers/run-cli.js";
import { lossesOf } from "../helpers/run-output.js";

const JOB = ["--steps", "6", "--save-freq", "3", "--device", "cpu"];

describe("robotrain train --resume", () => {
  let home: string;
  let uninterrupted: CliRun;
  let killed: CliRun;
  let resumed: CliRun;
  let resumedDir: string;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "robotrain-resume-"));
    const env = { ROBOTRAIN_HOME: home };
    uninterrupted = await runCli(["train", ...JOB, "--output", join(home, "whole")], {
      env,
      timeoutMs: 300_000,
    });

    // Killed right after its first checkpoint, as a power cut or the OOM killer would.
    resumedDir = join(home, "interrupted");
    killed = await runCli(["train", ...JOB, "--output", resumedDir], {
      env,
      timeoutMs: 300_000,
      killWhen: (line) => line.msg === "checkpoint written" && line.step === 3,
    });

    // What a crash during a later write leaves: a partial folder and one missing its state.
    const checkpoints = join(resumedDir, "checkpoints");
    await mkdir(join(checkpoints, ".000005.partial-4242", "pretrained_model"), { recursive: true });
    await mkdir(join(checkpoints, "000005", "pretrained_model"), { recursive: true });
    await writeFile(join(checkpoints, "000005", "pretrained_model", "config.json"), "{}");

    resumed = await runCli(["train", "--resume", "--output", resumedDir, "--device", "cpu"], {
      env,
      timeoutMs: 300_000,
    });
  });
  after(() => rm(home, { recursive: true, force: true }));

  test("continues a run killed after a checkpoint to the losses of an uninterrupted one", async () => {
    assert.equal(uninterrupted.code, 0, uninterrupted.stderr);
    assert.equal(killed.signal, "SIGKILL");
    assert.equal(resumed.code, 0, resumed.stderr);

    const expected = await lossesOf(join(home, "whole"));
    assert.equal(expected.length, 6);
    // Same seed and CPU kernels: steps 4 to 6 come out bit for bit as in the uninterrupted run.
    assert.deepEqual(await lossesOf(resumedDir), expected);
  });

  test("resumes from the newest complete checkpoint, passing over a cut-short one", async () => {
    const resumedLine = logLines(resumed.stdout).find((line) => line.msg === "training resumed");
    assert.equal(resumedLine?.step, 3, resumed.stdout);
    const checkpoints = await readdir(join(resumedDir, "checkpoints"));
    assert.ok(!checkpoints.some((name) => name.includes("partial")), checkpoints.join(", "));
    assert.ok(checkpoints.includes("000006"));
  });

  test("refuses flags that would change the job it continues", async () => {
    const run = await runCli(["train", "--resume", "--output", resumedDir, "--steps", "9"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--resume: it continues the job recorded in .*; drop --steps/);
  });

  test("says there is nothing to resume in a folder no run wrote", async () => {
    const run = await runCli(["train", "--resume", "--output", join(home, "never")]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--resume: nothing to resume in .*never/);
  });
});
