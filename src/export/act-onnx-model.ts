/**
 * A checkpoint's ACT as the bytes of an ONNX model: opset 17, default domain only, weights as
 * raw-data initializers, and the policy's features in the model's metadata.
 */
import { createRequire } from "node:module";
import type { PolicyFeature } from "../train/addon.js";
import { buildActGraph } from "./act-onnx-graph.js";
import { LayerContext } from "./act-onnx-layers.js";
import { backboneBlocks } from "./act-onnx-resnet.js";
import { ExportError, PolicyWeightsError } from "./export-errors.js";
import { GraphBuilder } from "./onnx-graph.js";
import { encodeModel } from "./onnx-proto.js";
import type { PolicyWeights } from "./policy-weights.js";
import type { PretrainedActConfig } from "./pretrained-config.js";

export const OPSET_VERSION = 17;
/** The IR version that goes with opset 17. */
const IR_VERSION = 8;
/** State-dict parts that evaluation never reads: the VAE encoder and the target normalizer. */
const TRAINING_ONLY_PREFIXES = ["model.vae_encoder", "normalize_targets."];
const PACKAGE_VERSION = (
  createRequire(import.meta.url)("../../../package.json") as { version: string }
).version;

export function checkExportable(modelDir: string, config: PretrainedActConfig): void {
  const { act } = config;
  const problems: string[] = [];
  if (!backboneBlocks(act.vision_backbone)) {
    problems.push(`vision_backbone '${act.vision_backbone}' is not resnet18 or resnet34`);
  }
  if (act.replace_final_stride_with_dilation) {
    problems.push("replace_final_stride_with_dilation is true (no basic-block ResNet has it)");
  }
  if (act.dim_model % act.n_heads !== 0 || act.dim_model % 2 !== 0) {
    problems.push(`dim_model ${act.dim_model} is odd or not divisible by n_heads ${act.n_heads}`);
  }
  if (act.n_obs_steps !== 1) problems.push(`n_obs_steps is ${act.n_obs_steps}, ACT reads 1`);
  for (const [key, feature] of Object.entries(config.inputFeatures)) {
    if (!validFeature(key, feature)) {
      problems.push(`input feature '${key}' (${feature.type} [${feature.shape}]) is not ACT's`);
    }
  }
  if (problems.length > 0) {
    throw new ExportError(modelDir, `its config.json cannot be exported: ${problems.join("; ")}`);
  }
}

function validFeature(key: string, feature: PolicyFeature): boolean {
  if (feature.type === "VISUAL") {
    return key.startsWith("observation.images.") && feature.shape.length === 3;
  }
  if (feature.type === "STATE") return key === "observation.state" && feature.shape.length === 1;
  if (feature.type === "ENV") {
    return key === "observation.environment_state" && feature.shape.length === 1;
  }
  return false;
}

export function actOnnxModel(config: PretrainedActConfig, weights: PolicyWeights): Buffer {
  const graph = new GraphBuilder("act_policy");
  buildActGraph(new LayerContext(graph, weights), config);
  const unexpected = weights.unusedKeys(TRAINING_ONLY_PREFIXES);
  if (unexpected.length > 0) {
    throw new PolicyWeightsError(weights.path, "the graph did not read every key", [], unexpected);
  }
  return encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: "robotrain",
    producerVersion: PACKAGE_VERSION,
    docString: "LeRobot ACT policy, evaluation mode: observations in, action chunk out",
    metadata: {
      policy: "act",
      chunk_size: String(config.act.chunk_size),
      n_action_steps: String(config.act.n_action_steps),
      input_features: JSON.stringify(config.inputFeatures),
      output_features: JSON.stringify(config.outputFeatures),
    },
    graph: graph.build(),
  });
}
