/**
 * ACT on a LeRobot dataset: the dataset loaded (fetched, read, frames decoded once), the
 * policy's features and normalization stats taken from it, the batch and steps planned from
 * its cameras as the hosted service planned them.
 */
import { BatchSampler } from "../dataset/batch-sampler.js";
import { DatasetError } from "../dataset/dataset-error.js";
import type { FeatureStats as DatasetFeatureStats } from "../dataset/feature-stats.js";
import {
  type LoadDatasetParams,
  type LoadedDataset,
  loadDataset,
} from "../dataset/load-dataset.js";
import { ACTION, ENVIRONMENT_STATE, STATE } from "../dataset/read-frames.js";
import {
  ACT_DEFAULTS,
  IMAGENET_STATS,
  lerobotActConfigJson,
  type PolicyFeatures,
} from "./act-config.js";
import {
  type ActConfig,
  type ActTrainerConfig,
  createTrainer,
  type FeatureStats,
  type NativeTrainer,
  type Precision,
} from "./addon.js";
import type { BatchMemoryFit } from "./batch-memory-fit.js";
import { planTraining, type TrainingPlan } from "./plan.js";
import { probeBatchMemory } from "./probe-batch-memory.js";
import { TrainerSetupError } from "./train-errors.js";
import type { TrainingSetup } from "./training-setup.js";

export interface DatasetSetupParams extends Omit<LoadDatasetParams, "source"> {
  dataset: string;
  /** ACT fields the job sets; the rest keep LeRobot's defaults. */
  act?: Partial<ActConfig>;
  steps?: number | null;
  batchSize?: number | null;
  seed: number;
  device: string;
  /** @default "auto" */
  precision?: Precision;
  onLoaded?: (dataset: LoadedDataset) => void;
}

export async function prepareDatasetTraining(params: DatasetSetupParams): Promise<TrainingSetup> {
  const {
    dataset: source,
    act,
    steps,
    batchSize,
    seed,
    device,
    precision,
    onLoaded,
    ...loadParams
  } = params;
  const dataset = await loadDataset({ source, ...loadParams });
  onLoaded?.(dataset);

  // The backbone starts from random weights: ImageNet weights would have to come from outside.
  // A job that shortens the chunk but says nothing of n_action_steps runs the whole chunk, since
  // LeRobot's default of 100 would exceed it.
  const config: ActConfig = {
    ...ACT_DEFAULTS,
    pretrained_backbone_weights: null,
    ...(act?.chunk_size !== undefined && { n_action_steps: Math.min(100, act.chunk_size) }),
    ...act,
  };
  const features = policyFeatures(dataset);
  const trainer = createActTrainer({
    policy: "act",
    act: config,
    ...features,
    stats: policyStats(dataset),
    seed,
    device,
    precision: precision ?? "auto",
  });

  const { frames } = dataset;
  const samplerOf = (size: number) =>
    new BatchSampler(
      frames,
      { batchSize: size, chunkSize: config.chunk_size, seed },
      {
        cameras: dataset.cameras,
        environmentState: frames.environmentState && {
          values: frames.environmentState,
          width: frames.environmentStateDim,
        },
      },
    );
  const plan = await planWithMemory(trainer, { batchSize, steps }, dataset.cameras.length, (size) =>
    samplerOf(size).next(),
  );
  const sampler = samplerOf(plan.batchSize);

  return {
    trainer,
    sampler,
    plan,
    policyConfig: lerobotActConfigJson(config, features, trainer.device),
    dataset: {
      name: dataset.meta.name,
      revision: dataset.commit,
      episodes: dataset.meta.episodes.length,
      frames: frames.timestamp.length,
      cameras: dataset.cameras.map((camera) => camera.key),
    },
  };
}

/** The plan; on CUDA with the batch capped by a probe of the step's memory. */
async function planWithMemory(
  trainer: NativeTrainer,
  requested: { batchSize?: number | null; steps?: number | null },
  cameras: number,
  batchOf: Parameters<typeof probeBatchMemory>[1],
): Promise<TrainingPlan> {
  try {
    let memory: BatchMemoryFit | undefined;
    if (trainer.device.startsWith("cuda")) memory = await probeBatchMemory(trainer, batchOf);
    return planTraining(requested, cameras, memory);
  } catch (error) {
    throw new TrainerSetupError(error);
  }
}

function createActTrainer(config: ActTrainerConfig): NativeTrainer {
  try {
    return createTrainer(config);
  } catch (error) {
    throw new TrainerSetupError(error);
  }
}

/** LeRobot's `input_features` / `output_features` of the dataset's state, cameras and action. */
function policyFeatures(dataset: LoadedDataset): PolicyFeatures {
  const { frames } = dataset;
  const inputFeatures: PolicyFeatures["inputFeatures"] = {
    [STATE]: { type: "STATE", shape: [frames.stateDim] },
  };
  if (frames.environmentState) {
    inputFeatures[ENVIRONMENT_STATE] = { type: "ENV", shape: [frames.environmentStateDim] };
  }
  for (const camera of dataset.cameras) {
    inputFeatures[camera.key] = { type: "VISUAL", shape: [3, camera.height, camera.width] };
  }
  return {
    inputFeatures,
    outputFeatures: { [ACTION]: { type: "ACTION", shape: [frames.actionDim] } },
  };
}

/** Mean and std of state and action from the dataset; cameras get ImageNet's, as LeRobot does. */
function policyStats(dataset: LoadedDataset): Record<string, FeatureStats> {
  const stats: Record<string, FeatureStats> = {};
  const take = (key: string) => {
    const stored = dataset.meta.stats[key] as DatasetFeatureStats | undefined;
    if (!stored) {
      throw new DatasetError(
        { dataset: dataset.meta.name, feature: key },
        `has no stats for '${key}', which ACT normalizes with; recompute the dataset's stats`,
      );
    }
    stats[key] = { mean: stored.mean, std: stored.std, min: stored.min, max: stored.max };
  };
  take(STATE);
  take(ACTION);
  if (dataset.frames.environmentState) take(ENVIRONMENT_STATE);
  for (const camera of dataset.cameras) stats[camera.key] = IMAGENET_STATS;
  return stats;
}
