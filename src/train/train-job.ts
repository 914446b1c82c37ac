/**
 * One training job, start to end, with no broker: set up the trainer and its batches, record
 * the run's config, train with checkpoints, record the losses. Each step is one call.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LoadedDataset } from "../dataset/load-dataset.js";
import { NotAvailableError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ActConfig, Precision } from "./addon.js";
import { type DatasetSetupParams, prepareDatasetTraining } from "./dataset-setup.js";
import {
  EMBEDDED_ACT,
  EMBEDDED_BATCH_SIZE,
  EMBEDDED_STEPS,
  embeddedDatasetDir,
  ensureEmbeddedDataset,
} from "./embedded-setup.js";
import { runTrainLoop, type TrainProgress } from "./train-loop.js";
import type { TrainingSetup } from "./training-setup.js";
import { writeCheckpoint } from "./write-checkpoint.js";

export interface TrainJobParams {
  modelType: string;
  /** A Hub repo id or a LeRobot dataset folder; undefined runs the embedded default job. */
  dataset?: string;
  /** Where a Hub dataset is read from, with which token; see DatasetSetupParams. */
  datasetOptions?: Omit<
    DatasetSetupParams,
    "dataset" | "act" | "steps" | "batchSize" | "seed" | "device" | "precision"
  >;
  act?: Partial<ActConfig>;
  steps?: number | null;
  batchSize?: number | null;
  saveFreq: number;
  device: string;
  /** @default "auto" */
  precision?: Precision;
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
  const setup = await prepareTraining(params);
  const { trainer, sampler, plan } = setup;
  log.info("training planned", {
    batchSize: plan.batchSize,
    steps: plan.steps,
    planned: plan.planned,
    ...(plan.memoryCap && { memoryCap: plan.memoryCap }),
    ...setup.dataset,
  });
  if (plan.memoryCap?.capped) {
    log.warn("batch capped by device memory", {
      batchSize: plan.batchSize,
      reason: plan.memoryCap.reason,
    });
  }
  if (trainer.deviceFallback) log.warn("training on cpu", { reason: trainer.deviceFallback });
  if (trainer.precisionFallback) {
    log.warn("training in fp32", { reason: trainer.precisionFallback });
  }
  log.info("trainer ready", {
    device: trainer.device,
    precision: trainer.precision,
    parameters: trainer.parameterCount,
  });

  await mkdir(params.outputDir, { recursive: true });
  await writeTrainConfig(params, setup);

  let lastCheckpointDir = "";
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
        policyConfig: setup.policyConfig,
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
  // Limitation: only ACT trains — gr00t, pi0, ACT_BBOX and custom need models robotrain does
  // not have; each is refused here, before any data is fetched.
  if (modelType !== "ACT") {
    throw new NotAvailableError(
      `training model type '${modelType}'`,
      "robotrain trains ACT policies; submit the job with model_type 'ACT'",
    );
  }
}

async function prepareTraining(params: TrainJobParams): Promise<TrainingSetup> {
  const { seed, device, precision, log } = params;
  const embedded = params.dataset === undefined;
  if (embedded) log.info("embedded job", { dataset: embeddedDatasetDir(), steps: EMBEDDED_STEPS });

  return prepareDatasetTraining({
    ...params.datasetOptions,
    dataset: params.dataset ?? (await ensureEmbeddedDataset()),
    act: embedded ? { ...EMBEDDED_ACT, ...params.act } : params.act,
    steps: params.steps ?? (embedded ? EMBEDDED_STEPS : null),
    batchSize: params.batchSize ?? (embedded ? EMBEDDED_BATCH_SIZE : null),
    seed,
    device,
    precision: precision ?? "auto",
    onLoaded: (dataset: LoadedDataset) => {
      for (const camera of dataset.cameras) {
        const msg = camera.reused ? "frame cache reused" : "frame cache built";
        log.info(msg, { camera: camera.key, height: camera.height, width: camera.width });
      }
    },
  });
}

async function writeTrainConfig(params: TrainJobParams, setup: TrainingSetup): Promise<void> {
  // Only what reproduces the run: no tokens or keys ever reach this file.
  const config = {
    model_type: params.modelType,
    dataset: setup.dataset,
    policy: setup.policyConfig,
    steps: setup.plan.steps,
    batch_size: setup.plan.batchSize,
    save_freq: params.saveFreq,
    seed: params.seed,
    device: setup.trainer.device,
    precision: setup.trainer.precision,
    param_groups: setup.trainer.paramGroups.map(({ name, lr, weightDecay }) => ({
      name,
      lr,
      weightDecay,
    })),
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
