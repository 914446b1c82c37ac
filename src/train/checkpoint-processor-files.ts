/**
 * LeRobot v0.4's processor files for a checkpoint's pretrained_model, beside the v0.3 files,
 * so both generations of LeRobot load it. Their statistics are read from the policy's own
 * normalization buffers, so the two layouts always agree, fine-tuned policies included.
 */
import type { FeatureStats, FloatTensor, PolicyFeature } from "./addon.js";
import { type ProcessorConfig, writeLerobotProcessorFiles } from "./lerobot-processor-files.js";

/** The fields of a LeRobot ACT config.json the processor files are made from. */
interface ActConfigJson {
  input_features: Record<string, PolicyFeature>;
  output_features: Record<string, PolicyFeature>;
  normalization_mapping: ProcessorConfig["normalizationMapping"];
  device: string;
}

const STATS = ["mean", "std", "min", "max"] as const;

export async function writeCheckpointProcessorFiles(
  modelDir: string,
  policyConfig: Record<string, unknown>,
  stateDict: Record<string, FloatTensor>,
): Promise<void> {
  const config = policyConfig as unknown as ActConfigJson;
  const stats: Record<string, FeatureStats> = {};
  const collect = (module: string, features: Record<string, PolicyFeature>) => {
    for (const key of Object.keys(features)) {
      const prefix = `${module}.buffer_${key.replaceAll(".", "_")}`;
      for (const stat of STATS) {
        const buffer = stateDict[`${prefix}.${stat}`];
        if (buffer) stats[key] = { ...stats[key], [stat]: Array.from(buffer.data) };
      }
    }
  };
  collect("normalize_inputs", config.input_features);
  collect("normalize_targets", config.output_features);

  await writeLerobotProcessorFiles(
    modelDir,
    {
      inputFeatures: config.input_features,
      outputFeatures: config.output_features,
      normalizationMapping: config.normalization_mapping,
      device: config.device,
    },
    stats,
  );
}
