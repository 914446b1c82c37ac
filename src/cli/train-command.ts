/**
 * `robotrain train`: one job from flags or a request file, trained here with no broker.
 */
import { join } from "node:path";
import { actPolicyParams, parseTrainingParams } from "../contract/index.js";
import { NotAvailableError, UsageError } from "../errors.js";
import { createLogger } from "../log.js";
import type { Precision } from "../train/addon.js";
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

export async function trainCommand(options: TrainOptions): Promise<void> {
  refuseUnbuilt(options);
  const request = options.request ? await readRequest(options.request) : {};

  const modelType = options.modelType ?? stringField(request, "model_type") ?? "ACT";
  const dataset = options.dataset ?? stringField(request, "dataset_name");
  const params = parseTrainingParams(modelType, {
    ...objectField(request, "training_params"),
    ...(options.params
      ? asObject("--params", await readJson("--params", options.params, "inline"))
      : {}),
    ...(options.steps !== undefined && { steps: options.steps }),
    ...(options.batchSize !== undefined && { batch_size: options.batchSize }),
    ...(options.saveFreq !== undefined && { save_freq: options.saveFreq }),
  });

  const outputDir = options.output ?? defaultOutputDir(modelType);
  const log = createLogger().child({ jobId: "local" });
  const progressBar = createProgressBar();
  const decodeBar = createDecodeProgress();
  log.info("job running", { modelType, dataset: dataset ?? "embedded", outputDir });

  const { image_size: imageSize, ...act } = modelType === "ACT" ? actPolicyParams(params) : {};
  const token = stringField(request, "user_hf_token");
  const result = await runTrainJob({
    modelType,
    dataset,
    act,
    datasetOptions: {
      imageSize: imageSize && { height: imageSize[0], width: imageSize[1] },
      ...(token !== undefined && { accessToken: token }),
      onDecodeProgress: (camera, progress) => decodeBar.update(camera, progress),
    },
    steps: numberField(params, "steps"),
    batchSize: numberField(params, "batch_size"),
    saveFreq: numberField(params, "save_freq") ?? 5000,
    device: options.device,
    precision: options.precision,
    seed: options.seed,
    outputDir,
    log,
    onProgress: (progress) => progressBar.update(progress),
  });

  log.info("job succeeded", {
    steps: result.stepsDone,
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

function refuseUnbuilt(options: TrainOptions): void {
  // Limitation: --resume, --init-from and --push-to-hub are refused — they need the
  // checkpoint reader and the Hub client, which are not built yet; each fails here, loudly.
  const unbuilt: [unknown, string][] = [
    [options.resume, "--resume"],
    [options.initFrom, "--init-from"],
    [options.pushToHub, "--push-to-hub"],
  ];
  for (const [value, flag] of unbuilt) {
    if (value) throw new NotAvailableError(flag, "train without it for now");
  }
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

function numberField(source: object, key: string): number | undefined {
  const value = (source as Record<string, unknown>)[key];
  return typeof value === "number" ? value : undefined;
}

/** `outputs/train/<date>/<time>_<model type>`, as LeRobot lays out its runs. */
function defaultOutputDir(modelType: string): string {
  const now = new Date().toISOString();
  const date = now.slice(0, 10);
  const time = now.slice(11, 19).replaceAll(":", "-");
  return join("outputs", "train", date, `${time}_${modelType.toLowerCase()}`);
}
