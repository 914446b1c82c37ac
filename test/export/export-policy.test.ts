/**
 * ONNX export of ACT checkpoints, run by the real ONNX Runtime and compared with the real
 * native model: LeRobot's golden fixture, checkpoints of several shapes, the dynamic batch and
 * the failure of a corrupted export.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ExportVerificationError, PolicyWeightsError } from "../../src/export/export-errors.js";
import { exportPolicy, nativePolicy } from "../../src/export/export-policy.js";
import { openOnnxPolicy } from "../../src/export/onnx-policy.js";
import { PolicyWeights } from "../../src/export/policy-weights.js";
import { readPretrainedConfig } from "../../src/export/pretrained-config.js";
import { inputSetFromBatch, randomInputSet, verifyExport } from "../../src/export/verify-export.js";
import { readSafetensors } from "../../src/safetensors/read-safetensors.js";
import { writeSafetensors } from "../../src/safetensors/write-safetensors.js";
import type { FloatTensor, PolicyFeature } from "../../src/train/addon.js";
import {
  type ActCheckpointSpec,
  camera,
  vector,
  writeActCheckpoint,
} from "../helpers/act-checkpoint.js";
import { ACT_FIXTURE_DIR, loadActFixture, observationsOf, viewOf } from "../helpers/act-fixture.js";

let scratch: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "robotrain-export-"));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((max, value, i) => Math.max(max, Math.abs(value - (b[i] as number))), 0);
}

describe("ONNX export of LeRobot's golden ACT", () => {
  test("gives LeRobot's own action chunk under ONNX Runtime", async () => {
    const fixture = await loadActFixture();
    const onnxPath = join(scratch, "golden", "policy.onnx");
    const config = await readPretrainedConfig(ACT_FIXTURE_DIR);
    const samples = inputSetFromBatch("the fixture's batch", config, fixture.batch);
    const result = await exportPolicy({
      checkpoint: ACT_FIXTURE_DIR,
      onnxPath,
      inputSets: [samples],
    });
    assert.equal(result.verification.passed, true);
    assert.deepEqual(
      result.verification.inputSets.map(({ name, batchSize }) => [name, batchSize]),
      [
        ["the fixture's batch", 2],
        ["random batch of 1 (seed 0)", 1],
        ["random batch of 3 (seed 1)", 3],
      ],
    );

    const policy = await openOnnxPolicy(onnxPath);
    const observations = observationsOf(fixture.batch) as Record<string, FloatTensor>;
    const actions = await policy.run(observations);
    await policy.release();
    const expected = fixture.expected.get("inference.actions")!;
    assert.deepEqual(actions.shape, expected.shape);
    // The fixture's rule for float32 forward values (README): two correct float32
    // implementations differ by ~1e-6; 1e-4 of the larger of 1 and the largest action.
    const limit = 1e-4 * Math.max(1, ...Array.from(expected.data, Math.abs));
    const error = maxAbsDiff(actions.data, expected.data);
    assert.ok(error <= limit, `max |ONNX - LeRobot| = ${error}, limit ${limit}`);
  });
});

const STATE_6 = { "observation.state": vector("STATE", 6) };
const configs: [string, ActCheckpointSpec][] = [
  [
    "one camera and the robot state",
    { inputFeatures: { ...STATE_6, "observation.images.front": camera(96, 128) }, actionDim: 6 },
  ],
  [
    "two cameras of different sizes",
    {
      inputFeatures: {
        "observation.images.front": camera(96, 128),
        ...STATE_6,
        "observation.images.top": camera(64, 80),
      },
      actionDim: 4,
      seed: 1,
    },
  ],
  [
    "the environment state only, min-max normalized, no camera",
    {
      act: {
        normalization_mapping: { STATE: "MIN_MAX", ENV: "MEAN_STD", ACTION: "MIN_MAX" },
        chunk_size: 7,
        n_action_steps: 7,
      },
      inputFeatures: { "observation.environment_state": vector("ENV", 9) },
      actionDim: 3,
      seed: 2,
    },
  ],
  [
    "pre-norm layers with the environment state beside a camera",
    {
      act: { pre_norm: true, n_decoder_layers: 2 },
      inputFeatures: {
        ...STATE_6,
        "observation.environment_state": vector("ENV", 4),
        "observation.images.front": camera(96, 128),
      },
      actionDim: 6,
      seed: 3,
    },
  ],
  [
    "gelu feed-forward on a resnet34, identity-normalized images",
    {
      act: {
        feedforward_activation: "gelu",
        vision_backbone: "resnet34",
        normalization_mapping: { VISUAL: "IDENTITY", STATE: "MEAN_STD", ACTION: "MEAN_STD" },
        dim_model: 48,
        n_heads: 6,
      },
      inputFeatures: { ...STATE_6, "observation.images.wrist": camera(64, 64) },
      actionDim: 2,
      seed: 4,
    },
  ],
];

describe("ONNX export of checkpoints of every shape", () => {
  for (const [name, spec] of configs) {
    test(`exports and verifies ${name}`, async () => {
      const outputDir = join(scratch, name.replaceAll(" ", "-"));
      const { act } = await writeActCheckpoint(outputDir, spec);
      const result = await exportPolicy({ checkpoint: join(outputDir, "checkpoints", "last") });

      assert.equal(result.onnxPath, join(outputDir, "export", "policy.onnx"));
      const report = JSON.parse(await readFile(result.verificationPath, "utf8"));
      assert.deepEqual(report, result.verification);
      assert.equal(report.passed, true);
      assert.ok(report.maxAbsDiff <= 1e-4, `max abs diff ${report.maxAbsDiff}`);
      assert.equal(report.opset, 17);
      assert.deepEqual(
        report.inputSets.map((set: { batchSize: number }) => set.batchSize),
        [1, 3],
      );
      assert.ok(report.inputSets.every((set: { maxAbsAction: number }) => set.maxAbsAction > 0));

      const policy = await openOnnxPolicy(result.onnxPath);
      await policy.release();
      assert.deepEqual(
        policy.inputs,
        Object.entries(spec.inputFeatures).map(([key, feature]) => ({
          name: key,
          shape: ["batch", ...(feature as PolicyFeature).shape],
        })),
      );
      assert.equal(act.chunk_size, (spec.act?.chunk_size ?? 5) as number);
    });
  }
});

describe("ONNX export's batch dimension", () => {
  test("runs batches of 1, 3 and 5 as the native model does", async () => {
    const outputDir = join(scratch, "dynamic-batch");
    const [, spec] = configs[1]!;
    const { trainer } = await writeActCheckpoint(outputDir, spec);
    const result = await exportPolicy({ checkpoint: outputDir, randomBatchSizes: [1] });
    const config = await readPretrainedConfig(result.modelDir);
    const weightsPath = join(result.modelDir, "model.safetensors");
    const weights = new PolicyWeights(weightsPath, (await readSafetensors(weightsPath)).tensors);

    const policy = await openOnnxPolicy(result.onnxPath);
    for (const size of [1, 3, 5]) {
      const { observations } = randomInputSet(config, weights, size, 10 + size);
      const ours = await policy.run(observations);
      const native = await trainer.predict(observations);
      assert.deepEqual(ours.shape, [size, 5, 4]);
      const error = maxAbsDiff(ours.data, native.data);
      assert.ok(error <= 1e-4, `batch ${size}: max abs diff ${error}`);
    }
    await policy.release();
  });
});

describe("ONNX export's verification", () => {
  test("fails on a corrupted initializer, giving the difference and the limit", async () => {
    const outputDir = join(scratch, "corrupted");
    await writeActCheckpoint(outputDir, configs[0]![1]);
    const result = await exportPolicy({ checkpoint: outputDir });
    const config = await readPretrainedConfig(result.modelDir);
    const weightsPath = join(result.modelDir, "model.safetensors");
    const stored = await readSafetensors(weightsPath);

    // The action head's bias is in the file byte for byte: shift its first value by 0.01.
    const bias = stored.tensors.get("model.action_head.bias")!.bytes;
    const file = await readFile(result.onnxPath);
    const at = file.indexOf(bias);
    assert.ok(at > 0 && file.indexOf(bias, at + 1) === -1, "the bias bytes are found once");
    file.writeFloatLE(file.readFloatLE(at) + 0.01, at);
    await writeFile(result.onnxPath, file);

    const weights = new PolicyWeights(weightsPath, stored.tensors);
    const trainer = await nativePolicy(result.modelDir, weightsPath, config);
    await assert.rejects(
      verifyExport({
        onnxPath: result.onnxPath,
        trainer,
        inputSets: [randomInputSet(config, weights, 2, 0)],
      }),
      (error: unknown) => {
        assert.ok(error instanceof ExportVerificationError);
        assert.equal(error.retryable, false);
        assert.ok(error.maxAbsDiff > 1e-3, `max abs diff ${error.maxAbsDiff}`);
        assert.match(
          error.message,
          /differ by up to [0-9.]+e-\d+ \(limit 1e-4, float32\); .* export the checkpoint again/,
        );
        return true;
      },
    );
    const report = JSON.parse(await readFile(result.verificationPath, "utf8"));
    assert.equal(report.passed, false);
    assert.ok(report.maxAbsDiff > 1e-3);
  });

  test("sets a failed export aside as policy.onnx.rejected", async () => {
    const outputDir = join(scratch, "rejected");
    await writeActCheckpoint(outputDir, configs[2]![1]);
    // A limit of 0 fails on the float32 rounding differences that any two runtimes have.
    await assert.rejects(
      exportPolicy({ checkpoint: outputDir, tolerance: 0 }),
      (error: unknown) => {
        assert.ok(error instanceof ExportVerificationError);
        assert.equal(error.onnxPath, join(outputDir, "export", "policy.onnx.rejected"));
        assert.match(error.message, /\(limit 0e\+0, float32\); do not use the file/);
        return true;
      },
    );
    assert.deepEqual((await readdir(join(outputDir, "export"))).sort(), [
      "policy.onnx.rejected",
      "policy.onnx.verification.json",
    ]);
  });

  test("refuses weights that are not the config's ACT, naming the key", async () => {
    const outputDir = join(scratch, "wrong-weights");
    const { dir } = await writeActCheckpoint(outputDir, configs[0]![1]);
    const weightsPath = join(dir, "pretrained_model", "model.safetensors");
    const stored = await readSafetensors(weightsPath);
    const tensors = Object.fromEntries(
      [...stored.tensors].map(([name, tensor]) => [name, viewOf(name, tensor)]),
    );
    delete tensors["model.decoder.norm.weight"];
    tensors["model.extra.weight"] = { data: new Float32Array(2), shape: [2] };
    await writeSafetensors(weightsPath, tensors);
    await assert.rejects(
      exportPolicy({ checkpoint: dir }),
      (error: unknown) =>
        error instanceof PolicyWeightsError && /'model\.decoder\.norm\.weight'/.test(error.message),
    );
  });
});
