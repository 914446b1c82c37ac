/**
 * Small ACT checkpoints of any shape, made the way a run makes them: a seeded native trainer
 * built with dataset-like stats, written by writeCheckpoint with LeRobot's config.json.
 */
import { ACT_DEFAULTS, IMAGENET_STATS, lerobotActConfigJson } from "../../src/train/act-config.js";
import {
  type ActConfig,
  createTrainer,
  type FeatureStats,
  type NativeTrainer,
  type PolicyFeature,
} from "../../src/train/addon.js";
import { writeCheckpoint } from "../../src/train/write-checkpoint.js";

/** Small enough to export and verify in about a second on a CPU. */
export const SMALL_ACT: Partial<ActConfig> = {
  dim_model: 32,
  n_heads: 4,
  dim_feedforward: 64,
  n_encoder_layers: 2,
  n_decoder_layers: 1,
  n_vae_encoder_layers: 1,
  latent_dim: 8,
  chunk_size: 5,
  n_action_steps: 5,
  pretrained_backbone_weights: null,
};

export interface ActCheckpointSpec {
  act?: Partial<ActConfig>;
  inputFeatures: Record<string, PolicyFeature>;
  actionDim: number;
  seed?: number;
}

export interface ActCheckpoint {
  dir: string;
  trainer: NativeTrainer;
  stats: Record<string, FeatureStats>;
  act: ActConfig;
}

/** Stats with every statistic, so MEAN_STD and MIN_MAX both find theirs. */
export function statsFor(
  features: Record<string, PolicyFeature>,
  seed: number,
): Record<string, FeatureStats> {
  const stats: Record<string, FeatureStats> = {};
  for (const [key, feature] of Object.entries(features)) {
    if (feature.type === "VISUAL") {
      stats[key] = { ...IMAGENET_STATS, min: [0, 0, 0], max: [1, 1, 1] };
      continue;
    }
    const width = feature.shape[0] as number;
    const mean = Array.from({ length: width }, (_, i) => ((i + seed) % 5) * 0.3 - 0.6);
    const std = Array.from({ length: width }, (_, i) => 0.5 + ((i * 7 + seed) % 4) * 0.25);
    stats[key] = {
      mean,
      std,
      min: mean.map((m, i) => m - 2 * (std[i] as number)),
      max: mean.map((m, i) => m + 2 * (std[i] as number)),
    };
  }
  return stats;
}

export async function writeActCheckpoint(
  outputDir: string,
  spec: ActCheckpointSpec,
): Promise<ActCheckpoint> {
  const act = { ...ACT_DEFAULTS, ...SMALL_ACT, ...spec.act };
  const outputFeatures = { action: { type: "ACTION" as const, shape: [spec.actionDim] } };
  const stats = statsFor({ ...spec.inputFeatures, ...outputFeatures }, spec.seed ?? 0);
  const trainer = createTrainer({
    policy: "act",
    act,
    inputFeatures: spec.inputFeatures,
    outputFeatures,
    stats,
    seed: spec.seed ?? 0,
    device: "cpu",
  });
  const features = { inputFeatures: spec.inputFeatures, outputFeatures };
  const policyConfig = lerobotActConfigJson(act, features, "cpu");
  // A checkpoint as after one step of a batch of 8 from a 100-frame dataset.
  const sampler = { samples_drawn: 8, epoch_size: 100, batch_size: 8, seed: spec.seed ?? 0 };
  const { dir } = await writeCheckpoint({ outputDir, step: 1, trainer, policyConfig, sampler });
  return { dir, trainer, stats, act };
}

export function camera(height: number, width: number): PolicyFeature {
  return { type: "VISUAL", shape: [3, height, width] };
}

export function vector(type: "STATE" | "ENV", width: number): PolicyFeature {
  return { type, shape: [width] };
}
