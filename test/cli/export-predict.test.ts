/**
 * `robotrain export` and `robotrain predict` end to end: the real command on a checkpoint
 * written as a run writes it, ONNX Runtime and the native model giving the same chunk.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeSampleDataset } from "../../src/dataset/sample/write-sample-dataset.js";
import { camera, vector, writeActCheckpoint } from "../helpers/act-checkpoint.js";
import { runCli } from "../helpers/run-cli.js";

let outputDir: string;
let inputPath: string;

/** One observation: a 6-vector state and a [3][48][64] image. */
function observation(height: number) {
  return {
    "observation.state": [0.1, -0.2, 0.3, 0.05, 0, -0.4],
    "observation.images.front": Array.from({ length: 3 }, (_, c) =>
      Array.from({ length: height }, (_, y) =>
        Array.from({ length: 64 }, (_, x) => ((c * 31 + y * 7 + x) % 100) / 100),
      ),
    ),
  };
}

before(async () => {
  outputDir = await mkdtemp(join(tmpdir(), "robotrain-cli-export-"));
  await writeActCheckpoint(outputDir, {
    inputFeatures: {
      "observation.state": vector("STATE", 6),
      "observation.images.front": camera(48, 64),
    },
    actionDim: 3,
  });
  inputPath = join(outputDir, "observation.json");
  await writeFile(inputPath, JSON.stringify(observation(48)));
});

after(async () => {
  await rm(outputDir, { recursive: true, force: true });
});

describe("robotrain export and predict", () => {
  test("exports checkpoints/last into the run's export folder, printing the check", async () => {
    const run = await runCli(["export", "--checkpoint", join(outputDir, "checkpoints", "last")]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim());
    assert.equal(result.onnx, join(outputDir, "export", "policy.onnx"));
    assert.ok((await stat(result.onnx)).size > 40_000_000, "the resnet18 weights are in the file");
    assert.equal(result.verification, `${result.onnx}.verification.json`);
    assert.ok(result.maxAbsDiff <= 1e-4, `max abs diff ${result.maxAbsDiff}`);
    assert.deepEqual(
      result.inputSets.map((set: { batchSize: number }) => set.batchSize),
      [1, 3],
    );
    assert.equal(result.opset, 17);

    const onnx = await runCli(["predict", "--model", result.onnx, "--input", inputPath]);
    assert.equal(onnx.code, 0, onnx.stderr);
    const fromOnnx = JSON.parse(onnx.stdout.trim());
    assert.equal(fromOnnx.runtime, "onnxruntime");
    assert.equal(fromOnnx.chunkSize, 5);
    assert.equal(fromOnnx.actionDim, 3);
    assert.equal(fromOnnx.action.length, 5);

    const native = await runCli(["predict", "--model", outputDir, "--input", inputPath]);
    assert.equal(native.code, 0, native.stderr);
    const fromNative = JSON.parse(native.stdout.trim());
    assert.equal(fromNative.runtime, "native");
    const diffs = (fromOnnx.action as number[][]).flatMap((row, s) =>
      row.map((value, a) => Math.abs(value - (fromNative.action[s][a] as number))),
    );
    assert.ok(Math.max(...diffs) <= 1e-4, `max |onnx - native| ${Math.max(...diffs)}`);
  });

  test("names the feature and the shape it expects when an input is mis-shaped", async () => {
    const bad = join(outputDir, "bad.json");
    await writeFile(bad, JSON.stringify(observation(40)));
    const run = await runCli(["predict", "--model", outputDir, "--input", bad]);
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /--input: feature 'observation\.images\.front' has shape \[3, 40, 64\]/,
    );
    assert.match(run.stderr, /; expected \[3, 48, 64\], floats in \[0, 1\]/);
  });

  test("names a missing feature and its shape", async () => {
    const missing = join(outputDir, "missing.json");
    await writeFile(
      missing,
      JSON.stringify({ "observation.images.front": observation(48)["observation.images.front"] }),
    );
    const run = await runCli(["predict", "--model", outputDir, "--input", missing]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /feature 'observation\.state' is missing; give it with shape \[6\]/);
  });

  test("with --dataset, verifies on a batch of the dataset's own samples too", async () => {
    const root = join(outputDir, "with-dataset");
    const dataset = join(root, "reach");
    await writeSampleDataset({
      output: dataset,
      episodes: 2,
      framesPerEpisode: 20,
      version: "v2.1",
      width: 64,
      height: 48,
    });
    const run = join(root, "run");
    await writeActCheckpoint(run, {
      inputFeatures: {
        "observation.state": vector("STATE", 2),
        "observation.images.front": camera(48, 64),
      },
      actionDim: 2,
    });
    const exported = await runCli(["export", "--checkpoint", run, "--dataset", dataset], {
      env: { ROBOTRAIN_HOME: join(root, "home") },
    });
    assert.equal(exported.code, 0, exported.stderr);
    const result = JSON.parse(exported.stdout.trim());
    assert.deepEqual(
      result.inputSets.map((set: { name: string; batchSize: number }) => [set.name, set.batchSize]),
      [
        [`8 samples of ${dataset}`, 8],
        ["random batch of 1 (seed 0)", 1],
        ["random batch of 3 (seed 1)", 3],
      ],
    );
    assert.ok(result.maxAbsDiff <= 1e-4);
  });

  test("fails with a message when the checkpoint folder holds no model", async () => {
    const run = await runCli(["export", "--checkpoint", join(outputDir, "nowhere")]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no pretrained_model found there/);
  });
});
