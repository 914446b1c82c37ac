/**
 * ACT on a LeRobot dataset: the dataset loaded (fetched, read, frames decoded once), the
 * policy's features and normalization stats taken from it, the batch and steps planned from
 * its cameras as the hosted service planned them, and the weights it starts from: ImageNet's
 * for the backbone, as LeRobot starts, or a whole pretrained ACT when the job fine-tunes one.
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
import { backboneWeightsSource, fetchBackboneWeights } from "./backbone-weights.js";
import type { BatchMemoryFit } from "./batch-memory-fit.js";
import { planTraining, type TrainingPlan } from "./plan.js";
import {
  type PretrainedPolicy,
  PretrainedPolicyError,
  readPretrainedPolicy,
} from "./pretrained-policy.js";
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
  /** A LeRobot ACT pretrained_model (folder or Hub model id) to fine-tune. */
  initFrom?: string;
  onLoaded?: (dataset: LoadedDataset) => void;
}

export async function prepareDatasetTraining(params: DatasetSetupParams): Promise<TrainingSetup> {
  // Everything that can be refused is, before the dataset is fetched.
  const hub = hubParams(params);
  const pretrained =
    params.initFrom === undefined
      ? undefined
      : await readPretrainedPolicy(params.initFrom, { ...hub, accessToken: params.accessToken });
  try {
    return await setUp(params, pretrained);
  } finally {
    await pretrained?.cleanUp();
  }
}

async function setUp(
  params: DatasetSetupParams,
  pretrained: PretrainedPolicy | undefined,
): Promise<TrainingSetup> {
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
  const { initFrom: _initFrom, ...datasetParams } = loadParams;
  const config = actConfigOf(act, pretrained);
  backboneWeightsSource(config, 1);

  const dataset = await loadDataset({ source, ...datasetParams });
  onLoaded?.(dataset);
  const features = policyFeatures(dataset);
  if (pretrained) checkPretrainedFeatures(pretrained, features);

  const trainer = createActTrainer({
    policy: "act",
    act: config,
    ...features,
    stats: policyStats(dataset),
    seed,
    device,
    precision: precision ?? "auto",
  });
  await loadStartingWeights(trainer, config, pretrained, dataset.cameras.length, hubParams(params));

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

/** The pretrained policy's weights, or ImageNet's for the backbone, or none (random). */
async function loadStartingWeights(
  trainer: NativeTrainer,
  config: ActConfig,
  pretrained: PretrainedPolicy | undefined,
  cameras: number,
  hub: ReturnType<typeof hubParams>,
): Promise<void> {
  if (pretrained) {
    // LeRobot's fine-tuning keeps the pretrained normalization stats with the weights.
    await trainer.loadSafetensors(pretrained.weightsPath).catch((error: unknown) => {
      throw new PretrainedPolicyError(pretrained.source, String((error as Error).message), error);
    });
    return;
  }
  const weights = backboneWeightsSource(config, cameras);
  if (!weights) return;
  const path = await fetchBackboneWeights({ ...hub, source: weights });
  await trainer.loadBackboneSafetensors(path).catch((error: unknown) => {
    throw new TrainerSetupError(error);
  });
}

/** How the job reaches the Hub, for what it fetches beside the dataset. */
function hubParams(params: DatasetSetupParams) {
  const { hubUrl, cacheDir, retries, retryDelayMs, sleep, signal, fetch } = params;
  return { hubUrl, cacheDir, retries, retryDelayMs, sleep, signal, fetch };
}

/**
 * LeRobot's defaults, then the pretrained policy's fields, then the job's. A job that shortens
 * the chunk but says nothing of n_action_steps runs the whole chunk, since LeRobot's default of
 * 100 would exceed it.
 */
function actConfigOf(
  act: Partial<ActConfig> | undefined,
  pretrained: PretrainedPolicy | undefined,
): ActConfig {
  return {
    ...ACT_DEFAULTS,
    ...pretrained?.act,
    ...(act?.chunk_size !== undefined && { n_action_steps: Math.min(100, act.chunk_size) }),
    ...act,
  };
}

/** The dataset must give the pretrained policy its inputs and targets, by name and width. */
function checkPretrainedFeatures(pretrained: PretrainedPolicy, features: PolicyFeatures): void {
  const describe = (all: Record<string, { type: string; shape: number[] }>) =>
    Object.entries(all)
      // Camera images may change size: the backbone and its position embedding follow it.
      .map(([key, { type, shape }]) => (type === "VISUAL" ? key : `${key} [${shape.join(", ")}]`))
      .sort()
      .join(", ");
  const theirs = describe({ ...pretrained.inputFeatures, ...pretrained.outputFeatures });
  const ours = describe({ ...features.inputFeatures, ...features.outputFeatures });
  if (theirs !== ours) {
    throw new PretrainedPolicyError(
      pretrained.source,
      `it reads and predicts ${theirs}; the dataset gives ${ours}: fine-tune on a dataset ` +
        "with the same cameras, state and action",
    );
  }
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
