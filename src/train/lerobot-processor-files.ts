/**
 * LeRobot v0.4's processor files, written beside a `pretrained_model`'s config.json and
 * model.safetensors so that LeRobot v0.4 and later load the model as well as v0.3 does. From
 * v0.4 on, normalization lives outside the model, in two pipelines:
 *
 * - `policy_preprocessor.json`: rename_observations_processor, to_batch_processor,
 *   device_processor, normalizer_processor (step 3, inputs and action);
 * - `policy_postprocessor.json`: unnormalizer_processor (step 0, action), device_processor;
 *
 * and each normalizer's statistics in `<pipeline>_step_<i>_<registry name>.safetensors`, with
 * flat keys `<feature>.<stat>` (`observation.state.mean`; camera stats shaped (3, 1, 1)).
 */
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeSafetensors } from "../safetensors/write-safetensors.js";
import type {
  FeatureStats,
  FeatureType,
  NormalizationMode,
  PolicyFeature,
  TensorView,
} from "./addon.js";

export const PREPROCESSOR = "policy_preprocessor";
export const POSTPROCESSOR = "policy_postprocessor";
export const NORMALIZER = "normalizer_processor";
export const UNNORMALIZER = "unnormalizer_processor";
/** LeRobot's epsilon of (x - mean) / (std + eps). */
const EPS = 1e-8;
const STAT_NAMES = ["mean", "std", "min", "max"] as const;

export interface ProcessorConfig {
  inputFeatures: Record<string, PolicyFeature>;
  outputFeatures: Record<string, PolicyFeature>;
  normalizationMapping: Partial<Record<FeatureType, NormalizationMode>>;
  /** Where the preprocessor puts batches: "cpu" or "cuda". */
  device: string;
}

export interface ProcessorStep {
  registry_name: string;
  config: Record<string, unknown>;
  state_file?: string;
}

export interface ProcessorPipeline {
  name: string;
  steps: ProcessorStep[];
}

export function stateFileName(pipeline: string, index: number, registryName: string): string {
  return `${pipeline}_step_${index}_${registryName}.safetensors`;
}

function normalizerConfig(
  features: Record<string, PolicyFeature>,
  mapping: ProcessorConfig["normalizationMapping"],
) {
  return {
    eps: EPS,
    features: Object.fromEntries(
      Object.entries(features).map(([key, { type, shape }]) => [key, { type, shape }]),
    ),
    norm_map: mapping,
  };
}

/** The two pipelines, as LeRobot v0.4 builds them for ACT. */
export function lerobotProcessorPipelines(config: ProcessorConfig): ProcessorPipeline[] {
  const device = config.device.startsWith("cuda") ? "cuda" : "cpu";
  const allFeatures = { ...config.inputFeatures, ...config.outputFeatures };
  return [
    {
      name: PREPROCESSOR,
      steps: [
        { registry_name: "rename_observations_processor", config: { rename_map: {} } },
        { registry_name: "to_batch_processor", config: {} },
        { registry_name: "device_processor", config: { device, float_dtype: null } },
        {
          registry_name: NORMALIZER,
          config: normalizerConfig(allFeatures, config.normalizationMapping),
          state_file: stateFileName(PREPROCESSOR, 3, NORMALIZER),
        },
      ],
    },
    {
      name: POSTPROCESSOR,
      steps: [
        {
          registry_name: UNNORMALIZER,
          config: normalizerConfig(config.outputFeatures, config.normalizationMapping),
          state_file: stateFileName(POSTPROCESSOR, 0, UNNORMALIZER),
        },
        { registry_name: "device_processor", config: { device: "cpu", float_dtype: null } },
      ],
    },
  ];
}

/** `<feature>.<stat>` tensors of the features that have stats; camera stats as (3, 1, 1). */
export function flatStats(
  features: Record<string, PolicyFeature>,
  stats: Record<string, FeatureStats>,
): Record<string, TensorView> {
  const flat: Record<string, TensorView> = {};
  for (const [key, feature] of Object.entries(features)) {
    for (const stat of STAT_NAMES) {
      const values = stats[key]?.[stat];
      if (!values) continue;
      const data = Float32Array.from(values);
      const shape = feature.type === "VISUAL" ? [data.length, 1, 1] : [data.length];
      flat[`${key}.${stat}`] = { data, shape };
    }
  }
  return flat;
}

/**
 * Writes policy_preprocessor.json, policy_postprocessor.json and their normalizer state files
 * into `dir` (a pretrained_model folder).
 */
export async function writeLerobotProcessorFiles(
  dir: string,
  config: ProcessorConfig,
  stats: Record<string, FeatureStats>,
): Promise<string[]> {
  const written: string[] = [];
  const featuresOf = (name: string) =>
    name === PREPROCESSOR
      ? { ...config.inputFeatures, ...config.outputFeatures }
      : config.outputFeatures;
  for (const pipeline of lerobotProcessorPipelines(config)) {
    for (const step of pipeline.steps) {
      if (!step.state_file) continue;
      await writeSafetensors(
        join(dir, step.state_file),
        flatStats(featuresOf(pipeline.name), stats),
      );
      written.push(step.state_file);
    }
    const file = `${pipeline.name}.json`;
    await writeFile(join(dir, `${file}.partial`), `${JSON.stringify(pipeline, null, 2)}\n`);
    await rename(join(dir, `${file}.partial`), join(dir, file));
    written.push(file);
  }
  return written;
}
