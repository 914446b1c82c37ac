import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readSafetensors } from "../../src/safetensors/read-safetensors.js";
import { writeSafetensors } from "../../src/safetensors/write-safetensors.js";
import { HubServer } from "../helpers/hub-server.js";
import { type CliRun, logLines, runCli } from "../helpers/run-cli.js";
import { checkpointConfig, lossesOf, mean } from "../helpers/run-output.js";

const CPU = ["--device", "cpu"];

describe("robotrain train --init-from", () => {
  let home: string;
  let hub: HubServer;
  let pretrained: CliRun;
  let dataset: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "robotrain-init-"));
    hub = await HubServer.start();
    env = { ROBOTRAIN_HOME: home, HF_ENDPOINT: hub.url, HF_HUB_CACHE: join(home, "hf") };
    // The embedded job, trained a while: the policy the others fine-tune.
    pretrained = await runCli(
      ["train", "--steps", "40", "--save-freq", "40", ...CPU, "--output", join(home, "base")],
      { env, timeoutMs: 300_000 },
    );
    dataset = join(home, "datasets", "sample-reach");
    await hub.addRepo({
      type: "model",
      id: "lab/reach-act",
      folder: join(home, "base", "checkpoints", "000040", "pretrained_model"),
    });
  });
  after(async () => {
    await hub.close();
    await rm(home, { recursive: true, force: true });
  });

  test("fine-tunes a pretrained_model folder from where its training ended", async () => {
    assert.equal(pretrained.code, 0, pretrained.stderr);
    const output = join(home, "tuned");
    const run = await runCli(
      [
        "train",
        "--dataset",
        dataset,
        "--init-from",
        join(home, "base", "checkpoints", "last"),
      ].concat(["--steps", "5", "--batch-size", "8", ...CPU, "--output", output]),
      { env, timeoutMs: 300_000 },
    );
    assert.equal(run.code, 0, run.stderr);

    const base = await lossesOf(join(home, "base"));
    const tuned = await lossesOf(output);
    assert.ok(
      mean(tuned.slice(0, 3)) < mean(base.slice(0, 3)) / 2,
      `fine-tuning began at ${tuned.slice(0, 3)}; training from scratch at ${base.slice(0, 3)}`,
    );
    // The architecture is the pretrained policy's, not LeRobot's defaults.
    const config = await checkpointConfig(output);
    assert.equal(config.dim_model, 128);
    assert.equal(config.chunk_size, 20);
  });

  test("fine-tunes a LeRobot v0.4 pretrained_model, its stats in the processor files", async () => {
    // v0.4's layout: the same weights without the normalization buffers, which live in the
    // processor files' state instead.
    const v03 = join(home, "base", "checkpoints", "000040", "pretrained_model");
    const v04 = join(home, "v04");
    await mkdir(v04);
    for (const file of await readdir(v03)) {
      if (file !== "model.safetensors") await copyFile(join(v03, file), join(v04, file));
    }
    const stored = (await readSafetensors(join(v03, "model.safetensors"))).tensors;
    const weights = Object.fromEntries(
      [...stored]
        .filter(([key]) => !/^(normalize_inputs|normalize_targets|unnormalize_outputs)\./.test(key))
        .map(([key, tensor]) => [
          key,
          { data: new Float32Array(new Uint8Array(tensor.bytes).buffer), shape: tensor.shape },
        ]),
    );
    await writeSafetensors(join(v04, "model.safetensors"), weights);

    const output = join(home, "from-v04");
    const run = await runCli(
      [
        "train",
        "--dataset",
        dataset,
        "--init-from",
        v04,
        "--steps",
        "3",
        "--batch-size",
        "8",
      ].concat([...CPU, "--output", output]),
      { env, timeoutMs: 300_000 },
    );
    assert.equal(run.code, 0, run.stderr);
    const base = await lossesOf(join(home, "base"));
    const tuned = await lossesOf(output);
    assert.ok(mean(tuned) < mean(base.slice(0, 3)) / 2, `began at ${tuned}`);
  });

  test("fine-tunes a Hub model id, fetched from HF_ENDPOINT", async () => {
    const output = join(home, "from-hub");
    const run = await runCli(
      ["train", "--dataset", dataset, "--init-from", "lab/reach-act", "--steps", "2"].concat([
        "--batch-size",
        "4",
        ...CPU,
        "--output",
        output,
      ]),
      { env, timeoutMs: 300_000 },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.ok(logLines(run.stdout).some((line) => line.msg === "job succeeded"));
    const config = JSON.parse(await readFile(join(output, "train_config.json"), "utf8"));
    assert.equal(config.init_from, "lab/reach-act");
  });

  test("refuses a policy whose features the dataset does not have, saying which", async () => {
    const twoCameras = join(home, "two-cameras");
    const made = await runCli(
      ["sample-dataset", "--output", twoCameras, "--episodes", "2", "--cameras", "2"],
      { env },
    );
    assert.equal(made.code, 0, made.stderr);
    const run = await runCli(
      [
        "train",
        "--dataset",
        twoCameras,
        "--init-from",
        join(home, "base", "checkpoints", "last"),
      ].concat(["--steps", "1", ...CPU, "--output", join(home, "refused")]),
      { env, timeoutMs: 300_000 },
    );
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /cannot start from .*: it reads and predicts .*; the dataset gives .*observation\.images\.top/,
    );
  });

  test("refuses a folder that holds no pretrained_model", async () => {
    const run = await runCli(
      ["train", "--dataset", dataset, "--init-from", home, "--steps", "1", ...CPU],
      { env },
    );
    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot start from .*: .*no pretrained_model found there/);
  });
});
