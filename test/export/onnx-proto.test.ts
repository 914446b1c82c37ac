/**
 * The ONNX protobuf encoder, checked against protobuf's wire format and against ONNX Runtime,
 * which must load and run a graph it wrote.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { defaultOnnxPath } from "../../src/export/checkpoint-folder.js";
import { GraphBuilder } from "../../src/export/onnx-graph.js";
import { openOnnxPolicy } from "../../src/export/onnx-policy.js";
import { encodeModel, encodeVarint } from "../../src/export/onnx-proto.js";

describe("ONNX protobuf encoding", () => {
  test("writes varints base-128, little end first, and negatives as ten-byte int64", () => {
    assert.deepEqual(Array.from(encodeVarint(0)), [0]);
    assert.deepEqual(Array.from(encodeVarint(300)), [0xac, 0x02]);
    assert.deepEqual(
      Array.from(encodeVarint(-1)),
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    );
  });

  test("writes a graph that ONNX Runtime loads and runs, with a dynamic batch", async () => {
    const graph = new GraphBuilder("affine");
    const x = graph.input("observation.state", ["batch", 3]);
    const scale = graph.floats("scale", [3], [1, 2, 3]);
    const shift = graph.floats("shift", [1, 3], [0.5, -0.5, 0.25]);
    const y = graph.node("Add", "affine", [graph.node("Mul", "affine", [x, scale]), shift]);
    const reshaped = graph.node("Reshape", "affine", [y, graph.int64s("shape", [0, 1, -1])]);
    graph.output("action", reshaped, ["batch", 1, 3]);
    const bytes = encodeModel({
      irVersion: 8,
      opsetVersion: 17,
      producerName: "test",
      producerVersion: "0",
      graph: graph.build(),
    });

    const dir = await mkdtemp(join(tmpdir(), "robotrain-proto-"));
    try {
      const path = join(dir, "affine.onnx");
      await writeFile(path, bytes);
      const policy = await openOnnxPolicy(path);
      assert.deepEqual(policy.inputs, [{ name: "observation.state", shape: ["batch", 3] }]);
      const data = Float32Array.from([1, 1, 1, 2, 0, -1]);
      const out = await policy.run({ "observation.state": { data, shape: [2, 3] } });
      await policy.release();
      assert.deepEqual(out.shape, [2, 1, 3]);
      assert.deepEqual(Array.from(out.data), [1.5, 1.5, 3.25, 2.5, -0.5, -2.75]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("where an export goes by default", () => {
  test("into the run's export folder for a run's checkpoint", () => {
    assert.equal(
      defaultOnnxPath("/runs/a/checkpoints/000300/pretrained_model"),
      "/runs/a/export/policy.onnx",
    );
  });

  test("beside config.json for a model outside a run's layout", () => {
    assert.equal(
      defaultOnnxPath("/models/act/pretrained_model"),
      "/models/act/pretrained_model/policy.onnx",
    );
    assert.equal(defaultOnnxPath("/hub/act"), "/hub/act/policy.onnx");
  });
});
