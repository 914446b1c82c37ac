/**
 * One training job, start to end, with no broker: load the episodes, plan, build the
 * trainer, train with checkpoints, write the run's record. Each step is one call.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BatchSampler } from "../dataset/batch-sampler.js";
import { type EpisodeTable, episodeCount, frameCount } from "../dataset/episode-table.js";
import { generateReachTask, REACH_TASK_DEFAULTS } from "../dataset/reach-task.js";
import { NotAvailableError } from "../errors.js";
import type { Logger } from "../log.js";
import { createTrainer, type NativeTrainer } from "./addon.js";
import { planTraining, type TrainingPlan } from "./plan.js";
import { runTrainLoop, type TrainProgress } from "./train-loop.js";
import { writeCheckpoint } from "./write-checkpoint.js";

/** Chunk and width of the addon's MLP policy on the embedded task. */
const MLP_CHUNK_SIZE = 10;
const MLP_HIDDEN_DIM = 256;
const MLP_LR = 1e-3;
/** "A few hundred steps": enough for the loss to fall well below where it starts. */
const EMBEDDED_STEPS = 500;

export interface TrainJobParams {
  modelType: string;
  /** A Hub repo id or a local folder; undefined trains on the embedded reach task. */
  dataset?: string;
  steps?: number | null;
  batchSize?: number | null;
  saveFreq: number;
  device: string;
  seed: number;
  outputDir: string;
  log: Logger;
  onProgress?: (progress: TrainProgress) => void;
}

export interface TrainJobResult {
  outputDir: string;
  lastCheckpointDir: string;
  stepsDone: number;
  /** Mean loss of the first and of the last tenth of the steps (at least one step each). */
  lossAtStart: number;
  lossAtEnd: number;
  device: string;
  durationMs: number;
  samplesPerSecond: number;
}

export async function runTrainJob(params: TrainJobParams): Promise<TrainJobResult> {
  const { log } = params;
  checkModelType(params.modelType);
  const table = loadEpisodes(params.dataset);

  const plan = planJob(params);
  log.info("training planned", {
    batchSize: plan.batchSize,
    steps: plan.steps,
    planned: plan.planned,
    episodes: episodeCount(table),
    frames: frameCount(table),
  });

  const policyConfig = {
    type: "mlp",
    state_dim: table.stateDim,
    action_dim: table.actionDim,
    chunk_size: MLP_CHUNK_SIZE,
    hidden_dim: MLP_HIDDEN_DIM,
  };
  const trainer = createTrainer({
    stateDim: table.stateDim,
    actionDim: table.actionDim,
    chunkSize: MLP_CHUNK_SIZE,
    hiddenDim: MLP_HIDDEN_DIM,
    lr: MLP_LR,
    seed: params.seed,
    device: params.device,
  });
  reportDevice(trainer, log);

  await mkdir(params.outputDir, { recursive: true });
  await writeTrainConfig(params, plan, policyConfig, trainer);

  let lastCheckpointDir = "";
  const sampler = new BatchSampler(table, {
    batchSize: plan.batchSize,
    chunkSize: MLP_CHUNK_SIZE,
    seed: params.seed,
  });
  const result = await runTrainLoop({
    trainer,
    sampler,
    batchSize: plan.batchSize,
    steps: plan.steps,
    saveFreq: params.saveFreq,
    onProgress: params.onProgress,
    onCheckpoint: async (step) => {
      const checkpoint = await writeCheckpoint({
        outputDir: params.outputDir,
        step,
        trainer,
        policyConfig,
      });
      lastCheckpointDir = checkpoint.dir;
      log.info("checkpoint written", { step, dir: checkpoint.dir });
    },
  });

  await writeMetrics(params.outputDir, result.losses);
  const tenth = Math.max(1, Math.floor(result.stepsDone / 10));
  return {
    outputDir: params.outputDir,
    lastCheckpointDir,
    stepsDone: result.stepsDone,
    lossAtStart: mean(result.losses.subarray(0, tenth)),
    lossAtEnd: mean(result.losses.subarray(result.stepsDone - tenth)),
    device: trainer.device,
    durationMs: result.durationMs,
    samplesPerSecond: result.samplesPerSecond,
  };
}

function checkModelType(modelType: string): void {
  // Limitation: every ACT job trains the addon's MLP policy — the ACT model itself (ResNet
  // backbone, transformer, VAE) is being built in native/core; jobs keep their contract.
  if (modelType !== "ACT") {
    throw new NotAvailableError(
      `training model type '${modelType}'`,
      "robotrain trains ACT policies; submit the job with model_type 'ACT'",
    );
  }
}

function loadEpisodes(dataset: string | undefined): EpisodeTable {
  // Limitation: only the embedded reach task trains — LeRobot datasets (Hub or folder) need
  // the Parquet and video readers; they arrive with src/dataset's LeRobot reader.
  if (dataset !== undefined) {
    throw new NotAvailableError(
      `training on dataset '${dataset}'`,
      "reading LeRobot datasets is not built yet; omit --dataset to train on the embedded task",
    );
  }
  return generateReachTask(REACH_TASK_DEFAULTS);
}

function planJob(params: TrainJobParams): TrainingPlan {
  // The embedded task has no cameras; it trains for a few hundred steps unless told otherwise.
  const steps = params.steps ?? (params.dataset === undefined ? EMBEDDED_STEPS : null);
  return planTraining({ batchSize: params.batchSize, steps }, 0);
}

function reportDevice(trainer: NativeTrainer, log: Logger): void {
  if (trainer.deviceFallback) {
    log.warn("training on cpu", { reason: trainer.deviceFallback });
  }
  log.info("trainer ready", { device: trainer.device, parameters: trainer.parameterCount });
}

async function writeTrainConfig(
  params: TrainJobParams,
  plan: TrainingPlan,
  policyConfig: Record<string, unknown>,
  trainer: NativeTrainer,
): Promise<void> {
  // Only what reproduces the run: no tokens or keys ever reach this file.
  const config = {
    model_type: params.modelType,
    dataset: params.dataset ?? "embedded:reach",
    policy: policyConfig,
    steps: plan.steps,
    batch_size: plan.batchSize,
    save_freq: params.saveFreq,
    seed: params.seed,
    device: trainer.device,
    lr: MLP_LR,
  };
  await writeFile(
    join(params.outputDir, "train_config.json"),
    `${JSON.stringify(config, null, 2)}\n`,
  );
}

async function writeMetrics(outputDir: string, losses: Float64Array): Promise<void> {
  const lines = Array.from(losses, (loss, i) => JSON.stringify({ step: i + 1, loss }));
  await writeFile(join(outputDir, "metrics.jsonl"), `${lines.join("\n")}\n`);
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}
