import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readFrames } from "../../src/dataset/read-frames.js";
import { readMeta } from "../../src/dataset/read-meta.js";
import { logLines, runCli } from "../helpers/run-cli.js";

describe("robotrain sample-dataset", () => {
  test("writes a LeRobot dataset that reads back with every camera asked for", async () => {
    const output = await mkdtemp(join(tmpdir(), "robotrain-sample-"));
    try {
      const args = ["--episodes", "2", "--frames", "15", "--version", "v3.0", "--cameras", "2"];
      const run = await runCli(["sample-dataset", "--output", output, ...args, "--codec", "av1"]);
      assert.equal(run.code, 0, run.stderr);
      const [written] = logLines(run.stdout);
      assert.equal(written?.msg, "sample dataset written");
      assert.equal(written?.frames, 30);

      const meta = await readMeta(output, "sample");
      assert.equal(meta.info.codebase_version, "v3.0");
      assert.equal(meta.info.features["observation.images.top"]?.info?.["video.codec"], "av1");
      const frames = await readFrames(meta);
      assert.deepEqual(Array.from(frames.episodeStarts), [0, 15, 30]);
    } finally {
      await rm(output, { recursive: true, force: true });
    }
  });

  test("names the flag when a value is out of range", async () => {
    const run = await runCli([
      "sample-dataset",
      "--output",
      "/tmp/robotrain-never",
      "--cameras",
      "3",
    ]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--cameras: expected one of 1, 2, got '3'/);
  });
});
