import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runCli } from "../helpers/run-cli.js";

describe("commands not built yet", () => {
  const commands = [["worker"]];
  for (const args of commands) {
    test(`fail loudly, saying what is missing: ${args.join(" ")}`, async () => {
      const run = await runCli(args);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /is not available in this version of robotrain; /);
    });
  }

  test("every subcommand has --help", async () => {
    for (const name of [
      "train",
      "worker",
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
