/**
 * The `config.json` of a LeRobot ACT `pretrained_model` (v0.3 or v0.4: the same fields), read
 * back into the ACT fields and the features, LeRobot's defaults filling the fields it omits.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ACT_DEFAULTS } from "../train/act-config.js";
import type { ActConfig, ActTrainerConfig, PolicyFeature } from "../train/addon.js";
import { CheckpointReadError } from "./export-errors.js";

export interface PretrainedActConfig {
  act: ActConfig;
  /** In the config's order: the camera order is the order of its VISUAL entries. */
  inputFeatures: Record<string, PolicyFeature>;
  outputFeatures: Record<string, PolicyFeature>;
}

export async function readPretrainedConfig(modelDir: string): Promise<PretrainedActConfig> {
  const path = join(modelDir, "config.json");
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new CheckpointReadError(
      modelDir,
      `its config.json cannot be read (${String(error)})`,
      error,
    );
  }
  // Limitation: only ACT exports — it is the only policy the native core trains; another
  // policy's graph builder would lift it.
  if (parsed.type !== "act") {
    throw new CheckpointReadError(
      modelDir,
      `config.json has type ${JSON.stringify(parsed.type)}; only "act" policies export`,
    );
  }
  const inputFeatures = parsed.input_features as Record<string, PolicyFeature> | undefined;
  const outputFeatures = parsed.output_features as Record<string, PolicyFeature> | undefined;
  if (!inputFeatures || !outputFeatures?.action) {
    throw new CheckpointReadError(
      modelDir,
      "config.json lacks input_features or an 'action' output",
    );
  }
  const act = { ...ACT_DEFAULTS };
  for (const field of Object.keys(ACT_DEFAULTS) as (keyof ActConfig)[]) {
    if (parsed[field] !== undefined) Object.assign(act, { [field]: parsed[field] });
  }
  return { act, inputFeatures, outputFeatures };
}

/**
 * A CPU trainer config for the same policy. The backbone's torchvision weights name is dropped:
 * the checkpoint's own weights are loaded over it.
 */
export function trainerConfigOf(config: PretrainedActConfig): ActTrainerConfig {
  return {
    policy: "act",
    act: { ...config.act, pretrained_backbone_weights: null },
    inputFeatures: config.inputFeatures,
    outputFeatures: config.outputFeatures,
    device: "cpu",
    seed: 0,
  };
}
