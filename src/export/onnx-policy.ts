/**
 * An exported policy run by ONNX Runtime (CPU): its inputs as the file declares them, and one
 * call from observations to the action chunk.
 */
import * as ort from "onnxruntime-node";
import type { FloatTensor } from "../train/addon.js";
import { ACTION_OUTPUT } from "./act-onnx-graph.js";

export interface OnnxInput {
  name: string;
  /** Sizes, with the batch dimension named (`batch`). */
  shape: (number | string)[];
}

export interface OnnxPolicy {
  inputs: OnnxInput[];
  /** Float32 observations by input name -> `action` (B, S, A). */
  run(observations: Record<string, FloatTensor>): Promise<FloatTensor>;
  release(): Promise<void>;
}

export const ORT_VERSION = ort.env.versions.node ?? ort.env.versions.common;

export async function openOnnxPolicy(path: string): Promise<OnnxPolicy> {
  // Severity 3: errors only; ONNX Runtime's warnings would otherwise go to stderr unasked.
  const session = await ort.InferenceSession.create(path, {
    executionProviders: ["cpu"],
    logSeverityLevel: 3,
  });
  const inputs = session.inputMetadata.map((meta) => ({
    name: meta.name,
    shape: meta.isTensor ? [...meta.shape] : [],
  }));
  return {
    inputs,
    async run(observations) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const { name } of inputs) {
        const view = observations[name];
        if (!view) throw new RangeError(`the observations lack '${name}'`);
        feeds[name] = new ort.Tensor("float32", view.data, view.shape);
      }
      const output = (await session.run(feeds))[ACTION_OUTPUT] as ort.Tensor;
      return { data: output.data as Float32Array, shape: [...output.dims] };
    },
    release: () => session.release(),
  };
}
