/**
 * A LeRobot v0.4 `pretrained_model` (model.safetensors without normalization buffers, the
 * statistics in the processor files) read into the state dict of v0.3, the one the native
 * model and the export load: `normalize_inputs.buffer_<key>.*`, `normalize_targets.buffer_action.*`
 * and `unnormalize_outputs.buffer_action.*` are rebuilt from the normalizer state files. The
 * result is checked key for key and shape for shape against the ACT its config.json describes.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PolicyWeightsError } from "../export/export-errors.js";
import {
  type PretrainedActConfig,
  readPretrainedConfig,
  trainerConfigOf,
} from "../export/pretrained-config.js";
import { floatsOf, readSafetensors, type StoredTensor } from "../safetensors/read-safetensors.js";
import { writeSafetensors } from "../safetensors/write-safetensors.js";
import { createTrainer, type PolicyFeature } from "./addon.js";
import {
  NORMALIZER,
  POSTPROCESSOR,
  PREPROCESSOR,
  type ProcessorPipeline,
  UNNORMALIZER,
} from "./lerobot-processor-files.js";

export interface V04Model {
  config: PretrainedActConfig;
  /** The v0.3 state dict: model weights and normalization buffers. */
  tensors: Map<string, StoredTensor>;
}

async function normalizerState(
  dir: string,
  pipeline: string,
  registryName: string,
): Promise<Map<string, StoredTensor>> {
  const path = join(dir, `${pipeline}.json`);
  const parsed = JSON.parse(await readFile(path, "utf8")) as ProcessorPipeline;
  const step = parsed.steps?.find((candidate) => candidate.registry_name === registryName);
  if (!step?.state_file) {
    throw new PolicyWeightsError(path, `it has no ${registryName} step with a state_file`);
  }
  return (await readSafetensors(join(dir, step.state_file))).tensors;
}

function buffersOf(
  module: string,
  features: Record<string, PolicyFeature>,
  config: PretrainedActConfig,
  state: Map<string, StoredTensor>,
  into: Map<string, StoredTensor>,
): void {
  for (const [key, feature] of Object.entries(features)) {
    const mode = config.act.normalization_mapping[feature.type] ?? "IDENTITY";
    if (mode === "IDENTITY") continue;
    const shape = feature.type === "VISUAL" ? [feature.shape[0] as number, 1, 1] : feature.shape;
    for (const stat of mode === "MEAN_STD" ? ["mean", "std"] : ["min", "max"]) {
      const tensor = state.get(`${key}.${stat}`);
      if (!tensor) continue; // reported as a missing buffer below
      into.set(`${module}.buffer_${key.replaceAll(".", "_")}.${stat}`, { ...tensor, shape });
    }
  }
}

export async function readLerobotV04Model(dir: string): Promise<V04Model> {
  const config = await readPretrainedConfig(dir);
  const weightsPath = join(dir, "model.safetensors");
  const tensors = new Map((await readSafetensors(weightsPath)).tensors);
  const pre = await normalizerState(dir, PREPROCESSOR, NORMALIZER);
  const post = await normalizerState(dir, POSTPROCESSOR, UNNORMALIZER);
  buffersOf("normalize_inputs", config.inputFeatures, config, pre, tensors);
  buffersOf("normalize_targets", config.outputFeatures, config, pre, tensors);
  buffersOf("unnormalize_outputs", config.outputFeatures, config, post, tensors);
  checkAgainstConfig(weightsPath, config, tensors);
  return { config, tensors };
}

/** Every key and shape of the ACT the config describes, as the native model builds it. */
function checkAgainstConfig(
  path: string,
  config: PretrainedActConfig,
  tensors: Map<string, StoredTensor>,
): void {
  const expected = createTrainer(trainerConfigOf(config)).stateDict();
  const missing = Object.keys(expected).filter((key) => !tensors.has(key));
  const unexpected = [...tensors.keys()].filter((key) => !(key in expected));
  const misshapen = Object.entries(expected)
    .filter(([key, tensor]) => {
      const stored = tensors.get(key);
      return stored && stored.shape.join(",") !== tensor.shape.join(",");
    })
    .map(([key, tensor]) => `${key} [${tensors.get(key)?.shape}] vs [${tensor.shape}]`);
  if (missing.length > 0 || unexpected.length > 0 || misshapen.length > 0) {
    const problem =
      misshapen.length > 0 ? `shapes differ: ${misshapen.join(", ")}` : "its keys differ";
    throw new PolicyWeightsError(path, problem, missing, unexpected);
  }
}

/** The state dict as a v0.3 model.safetensors, which the native model loads. */
export async function writeV03Weights(
  path: string,
  tensors: Map<string, StoredTensor>,
): Promise<void> {
  const views = Object.fromEntries(
    [...tensors].map(([key, tensor]) => [
      key,
      { data: floatsOf(key, tensor), shape: tensor.shape },
    ]),
  );
  await writeSafetensors(path, views, { format: "pt" });
}
