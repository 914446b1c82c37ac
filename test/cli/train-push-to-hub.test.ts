import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { HubServer } from "../helpers/hub-server.js";
import { type CliRun, runCli } from "../helpers/run-cli.js";

const TOKEN = "hf_pushtokenthatmustneverbeprinted";

describe("robotrain train --push-to-hub", () => {
  let home: string;
  let hub: HubServer;
  let run: CliRun;
  let output: string;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "robotrain-push-"));
    hub = await HubServer.start();
    hub.grantWrite(TOKEN, ["lab"]);
    output = join(home, "run");
    const args = ["--steps", "4", "--save-freq", "2", "--device", "cpu", "--output", output];
    run = await runCli(["train", ...args, "--push-to-hub", "lab/reach-act"], {
      env: { ROBOTRAIN_HOME: home, HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN },
      timeoutMs: 300_000,
    });
  });
  after(async () => {
    await hub.close();
    await rm(home, { recursive: true, force: true });
  });

  test("puts each checkpoint on its step branch and the model on main", async () => {
    assert.equal(run.code, 0, run.stderr);
    const repo = hub.store.get("model", "lab/reach-act");
    assert.ok(repo, "the repo was not created");
    for (const step of ["000002", "000004"]) {
      const branch = hub.store.resolve(repo, `step-${step}`);
      const weights = join(output, "checkpoints", step, "pretrained_model", "model.safetensors");
      assert.ok(branch?.files.get("model.safetensors")?.content.equals(await readFile(weights)));
    }
    const main = hub.store.resolve(repo, "main");
    const files = [
      "README.md",
      "config.json",
      "model.safetensors",
      "loss_curve.png",
      "policy.onnx",
    ];
    for (const path of files) {
      assert.ok(main?.files.has(path), `main lacks ${path}`);
    }
  });

  test("never prints the token", () => {
    assert.ok(!run.stdout.includes(TOKEN) && !run.stderr.includes(TOKEN));
  });

  test("refuses to start without a token to write with", async () => {
    const refused = await runCli(
      ["train", "--steps", "1", "--device", "cpu", "--push-to-hub", "lab/reach-act"],
      { env: { ROBOTRAIN_HOME: home, HF_ENDPOINT: hub.url, HF_TOKEN: "" } },
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the worker has no Hub token to write with; set HF_TOKEN/);
    assert.ok(!refused.stdout.includes("training planned"));
  });
});
