/**
 * `robotrain train`: one job from flags or a request file, trained here with no broker.
 */
import { join } from "node:path";
import type { Command } from "commander";
import { hubRepoIdProblem, parseTrainingParams } from "../contract/index.js";
import { UsageError } from "../errors.js";
import { exportTrainedPolicy } from "../export/export-trained-policy.js";
import { CheckpointUploads } from "../hub/checkpoint-uploads.js";
import type { ModelCardJob } from "../hub/model-card.js";
import { uploadFinalModel } from "../hub/upload-final-model.js";
import { resolveUploadTarget, type UploadTarget } from "../hub/upload-target.js";
import { createLogger } from "../log.js";
import type { Precision } from "../train/addon.js";
import { jobSettings } from "../train/job-settings.js";
import { runTrainJob } from "../train/train-job.js";
import { readJson } from "./options.js";
import { createDecodeProgress, createProgressBar } from "./progress-bar.js";

export interface TrainOptions {
  dataset?: string;
  modelType?: string;
  params?: string;
  request?: string;
  steps?: number;
  batchSize?: number;
  saveFreq?: number;
  device: string;
  precision: Precision;
  output?: string;
  seed: number;
  resume?: boolean;
  initFrom?: string;
  pushToHub?: string;
}

/** What a run was asked to train: recorded in train_config.json, so `--resume` can rerun it. */
interface RecordedJob {
  model_type: string;
  /** Absent for the embedded default job. */
  dataset_name?: string;
  /** As given, before defaults: parsing them again gives the same job. */
  training_params: Record<string, unknown>;
  seed: number;
  /** The pretrained_model it fine-tunes, if any. */
  init_from?: string;
}

/** Flags that define the job, which a resumed run takes from train_config.json instead. */
const JOB_FLAGS: [keyof TrainOptions, string][] = [
  ["dataset", "--dataset"],
  ["modelType", "--model-type"],
  ["params", "--params"],
  ["request", "--request"],
  ["steps", "--steps"],
  ["batchSize", "--batch-size"],
  ["saveFreq", "--save-freq"],
  ["initFrom", "--init-from"],
];

export async function trainCommand(options: TrainOptions, command?: Command): Promise<void> {
  const request = options.request ? await readRequest(options.request) : {};
  const job = options.resume
    ? await recordedJob(options, command)
    : await jobFromFlags(options, request);
  const { model_type: modelType, dataset_name: dataset } = job;
  const params = parseTrainingParams(modelType, job.training_params);

  const outputDir = options.output ?? defaultOutputDir(modelType);
  const log = createLogger().child({ jobId: "local" });
  const progressBar = createProgressBar();
  const decodeBar = createDecodeProgress();
  log.info("job running", { modelType, dataset: dataset ?? "embedded", outputDir });

  const settings = jobSettings(modelType, params);
  const token = stringField(request, "user_hf_token");
  // The Hub target is checked (repo id, token) before training, not after it.
  const target = options.pushToHub ? pushTarget(options.pushToHub) : undefined;
  const uploads = target && new CheckpointUploads({ target, outputDir });
  const result = await runTrainJob({
    modelType,
    dataset,
    act: settings.act,
    initFrom: job.init_from,
    datasetOptions: {
      imageSize: settings.imageSize,
      ...(token !== undefined && { accessToken: token }),
      onDecodeProgress: (camera, progress) => decodeBar.update(camera, progress),
    },
    steps: settings.steps,
    batchSize: settings.batchSize,
    saveFreq: settings.saveFreq,
    device: options.device,
    precision: options.precision,
    seed: job.seed,
    outputDir,
    resume: options.resume,
    job: { ...job },
    log,
    onProgress: (progress) => progressBar.update(progress),
    onCheckpoint: (checkpoint) => uploads?.add(checkpoint.step),
  });
  const exported = await exportTrainedPolicy({
    checkpointDir: result.lastCheckpointDir,
    batch: result.sampleBatch,
  });
  log.info("policy exported", {
    onnxPath: exported.onnxPath,
    maxAbsDiff: exported.verification.maxAbsDiff,
    bytes: exported.bytes,
    durationMs: Math.round(exported.durationMs),
  });
  if (target && uploads) {
    await uploads.drain();
    const uploaded = await uploadFinalModel({
      target,
      outputDir,
      onnxPath: exported.onnxPath,
      job: {
        model_name: target.repoId,
        dataset_name: dataset ?? "local",
        // Validated by parseTrainingParams, and only ACT trains.
        model_type: modelType as ModelCardJob["model_type"],
      },
      checkpointDir: result.lastCheckpointDir,
    });
    log.info("model uploaded", { repoUrl: uploaded.repoUrl, commit: uploaded.commit ?? null });
  }

  log.info("job succeeded", {
    steps: result.stepsDone,
    resumedFromStep: result.resumedFromStep,
    lossAtStart: result.lossAtStart,
    lossAtEnd: result.lossAtEnd,
    device: result.device,
    durationMs: Math.round(result.durationMs),
    samplesPerSecond: Math.round(result.samplesPerSecond),
    outputDir: result.outputDir,
    checkpointDir: result.lastCheckpointDir,
  });
  process.stderr.write(
    `robotrain: trained ${result.stepsDone} steps on ${result.device}, loss ` +
      `${result.lossAtStart.toFixed(4)} -> ${result.lossAtEnd.toFixed(4)}; ` +
      `output written to ${result.outputDir}\n`,
  );
}

async function jobFromFlags(
  options: TrainOptions,
  request: Record<string, unknown>,
): Promise<RecordedJob> {
  const dataset = options.dataset ?? stringField(request, "dataset_name");
  return {
    model_type: options.modelType ?? stringField(request, "model_type") ?? "ACT",
    ...(dataset !== undefined && { dataset_name: dataset }),
    training_params: {
      ...objectField(request, "training_params"),
      ...(options.params
        ? asObject("--params", await readJson("--params", options.params, "inline"))
        : {}),
      ...(options.steps !== undefined && { steps: options.steps }),
      ...(options.batchSize !== undefined && { batch_size: options.batchSize }),
      ...(options.saveFreq !== undefined && { save_freq: options.saveFreq }),
    },
    seed: options.seed,
    ...(options.initFrom !== undefined && { init_from: options.initFrom }),
  };
}

/** The job of the run in --output, which --resume continues; flags may not change it. */
async function recordedJob(options: TrainOptions, command?: Command): Promise<RecordedJob> {
  if (!options.output) {
    throw new UsageError("--resume", "give --output, the folder of the run to continue");
  }
  const given = JOB_FLAGS.filter(([key]) => options[key] !== undefined).map(([, flag]) => flag);
  if (command?.getOptionValueSource("seed") === "cli") given.push("--seed");
  if (given.length > 0) {
    throw new UsageError(
      "--resume",
      `it continues the job recorded in ${options.output}/train_config.json; drop ${given.join(", ")}`,
    );
  }

  const path = join(options.output, "train_config.json");
  const config = await readJson("--resume", path, "file").catch((error: unknown) => {
    throw new UsageError(
      "--resume",
      `nothing to resume in ${options.output}: ${error instanceof Error ? error.message : error}`,
    );
  });
  const job = objectField(asObject("--resume", config), "job") as Partial<RecordedJob>;
  if (typeof job.model_type !== "string" || typeof job.seed !== "number") {
    throw new UsageError(
      "--resume",
      `${path} records no job (model_type, training_params, seed); it was not written by ` +
        "`robotrain train`, so train into a new output folder",
    );
  }
  return { ...job, training_params: job.training_params ?? {} } as RecordedJob;
}

/** The repo --push-to-hub names, written with the worker's way of choosing a token (HF_TOKEN). */
function pushTarget(repo: string): UploadTarget {
  const problem = hubRepoIdProblem(repo);
  if (problem !== undefined) throw new UsageError("--push-to-hub", problem);
  return resolveUploadTarget({ modelName: repo, privateMode: false });
}

async function readRequest(path: string): Promise<Record<string, unknown>> {
  return asObject("--request", await readJson("--request", path, "file"));
}

function asObject(flag: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(flag, "expected a JSON object");
  }
  return value as Record<string, unknown>;
}

function stringField(source: Record<string, unknown>, key: string): string | undefined {
  const value = source[key];
  return typeof value === "string" ? value : undefined;
}

function objectField(source: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = source[key];
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

/** `outputs/train/<date>/<time>_<model type>`, as LeRobot lays out its runs. */
function defaultOutputDir(modelType: string): string {
  const now = new Date().toISOString();
  const date = now.slice(0, 10);
  const time = now.slice(11, 19).replaceAll(":", "-");
  return join("outputs", "train", date, `${time}_${modelType.toLowerCase()}`);
}
