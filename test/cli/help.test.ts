import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runCli } from "../helpers/run-cli.js";

describe("robotrain --help", () => {
  test("every subcommand has --help", async () => {
    for (const name of [
      "train",
      "worker",
      "cancel",
      "submit",
      "events",
      "sample-dataset",
      "export",
      "predict",
      "doctor",
    ]) {
      const run = await runCli([name, "--help"]);
      assert.equal(run.code, 0, name);
      assert.match(run.stdout, new RegExp(`^Usage: robotrain ${name}`), name);
    }
  });
});
