/**
 * One training job, start to end, with no broker: set up the trainer and its batches, record
 * the run's config, resume from a checkpoint when asked, train with checkpoints, record the
 * losses. Each step is one call.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LoadedDataset } from "../dataset/load-dataset.js";
import { NotAvailableError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ActConfig, BatchViews, Precision } from "./addon.js";
import { type DatasetSetupParams, prepareDatasetTraining } from "./dataset-setup.js";
import {
  EMBEDDED_ACT,
  EMBEDDED_BATCH_SIZE,
  EMBEDDED_STEPS,
  embeddedDatasetDir,
  ensureEmbeddedDataset,
} from "./embedded-setup.js";
import { findNewestCheckpoint, removeUnfinishedCheckpoints } from "./find-checkpoint.js";
import { renderLossCurve } from "./loss-curve.js";
import { writeMetrics } from "./metrics-file.js";
import { type ResumeResult, resumeTraining } from "./resume-training.js";
import { runTrainLoop, type TrainProgress } from "./train-loop.js";
import type { TrainingSetup } from "./training-setup.js";
import { type CheckpointResult, writeCheckpoint } from "./write-checkpoint.js";

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
  /** A LeRobot ACT pretrained_model (folder or Hub model id) to fine-tune. */
  initFrom?: string;
  steps?: number | null;
  batchSize?: number | null;
  saveFreq: number;
  device: string;
  /** @default "auto" */
  precision?: Precision;
  seed: number;
  outputDir: string;
  /**
   * Continue from the newest complete checkpoint in outputDir, if there is one (a job with none
   * starts at step 0). The checkpoint must be of this same job.
   */
  resume?: boolean;
  /** The job as it was asked for, recorded in train_config.json (never with its tokens). */
  job?: Record<string, unknown>;
  log: Logger;
  onProgress?: (progress: TrainProgress) => void;
  /** Called once each checkpoint is complete on disk. */
  onCheckpoint?: (checkpoint: CheckpointResult) => void;
  /** Stops training after the step in flight (a cancel, a shutdown). */
  signal?: AbortSignal;
  /** On a stop, checkpoint the steps done since the last checkpoint, so none is trained twice. */
  checkpointOnStop?: boolean;
}

export interface TrainJobResult {
  outputDir: string;
  lastCheckpointDir: string;
  stepsDone: number;
  /** The step this run started from: 0, or the checkpoint's when it resumed. */
  resumedFromStep: number;
  /** Mean loss of the first and of the last tenth of the steps (at least one step each). */
  lossAtStart: number;
  lossAtEnd: number;
  device: string;
  durationMs: number;
  samplesPerSecond: number;
  /** True when the signal stopped training before the planned steps. */
  stopped: boolean;
  /** A batch of the dataset's samples drawn after training, to verify an export on. */
  sampleBatch: BatchViews;
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
  const resumed = params.resume ? await resume(params, setup) : undefined;

  const losses: number[] = resumed?.losses ?? [];
  let lastCheckpoint = resumed?.step ?? 0;
  let lastCheckpointDir = resumed ? join(params.outputDir, "checkpoints", "last") : "";
  const checkpoint = async (step: number) => {
    // The losses first: a checkpoint on disk always has its steps' losses recorded.
    await writeMetrics(params.outputDir, losses);
    const written = await writeCheckpoint({
      outputDir: params.outputDir,
      step,
      trainer,
      policyConfig: setup.policyConfig,
      sampler: {
        samples_drawn: step * plan.batchSize,
        epoch_size: sampler.epochSize,
        batch_size: plan.batchSize,
        seed: params.seed,
      },
    });
    lastCheckpoint = step;
    lastCheckpointDir = written.dir;
    log.info("checkpoint written", { step, dir: written.dir });
    params.onCheckpoint?.(written);
  };

  const result = await runTrainLoop({
    trainer,
    sampler,
    batchSize: plan.batchSize,
    steps: plan.steps,
    firstStep: resumed?.step ?? 0,
    saveFreq: params.saveFreq,
    signal: params.signal,
    onProgress: (progress) => {
      losses.push(progress.loss);
      params.onProgress?.(progress);
    },
    onCheckpoint: checkpoint,
  });
  if (result.aborted && params.checkpointOnStop && result.stepsDone > lastCheckpoint) {
    await checkpoint(result.stepsDone);
  }

  await writeMetrics(params.outputDir, losses);
  await writeFile(
    join(params.outputDir, "loss_curve.png"),
    renderLossCurve({ losses: Float64Array.from(losses) }).png,
  );
  const tenth = Math.max(1, Math.floor(losses.length / 10));
  return {
    outputDir: params.outputDir,
    lastCheckpointDir,
    stepsDone: result.stepsDone,
    resumedFromStep: resumed?.step ?? 0,
    lossAtStart: finiteMean(losses.slice(0, tenth)),
    lossAtEnd: finiteMean(losses.slice(losses.length - tenth)),
    device: trainer.device,
    durationMs: result.durationMs,
    samplesPerSecond: result.samplesPerSecond,
    stopped: result.aborted,
    sampleBatch: sampler.next(),
  };
}

/** Puts the newest complete checkpoint back into the trainer and sampler, if there is one. */
async function resume(
  params: TrainJobParams,
  setup: TrainingSetup,
): Promise<ResumeResult | undefined> {
  const { log, outputDir, seed } = params;
  await removeUnfinishedCheckpoints(outputDir);
  const checkpoint = await findNewestCheckpoint(outputDir);
  if (!checkpoint) {
    log.info("no checkpoint to resume from", { outputDir });
    return undefined;
  }
  const resumed = await resumeTraining({ checkpoint, setup, seed, outputDir });
  log.info("training resumed", { step: resumed.step, dir: checkpoint.dir });
  return resumed;
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
    // A pretrained policy brings its own architecture; the embedded job's shrinking would not fit.
    act: embedded && !params.initFrom ? { ...EMBEDDED_ACT, ...params.act } : params.act,
    initFrom: params.initFrom,
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
    ...(params.job && { job: params.job }),
    model_type: params.modelType,
    dataset: setup.dataset,
    init_from: params.initFrom ?? null,
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

/** The mean of the finite values: steps of a resumed run without a recorded loss are NaN. */
function finiteMean(values: number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.reduce((sum, value) => sum + value, 0) / finite.length;
}
