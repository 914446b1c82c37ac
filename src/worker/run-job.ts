/**
 * One job, start to end, as the worker's child process runs it: train (resuming from the
 * job's own newest checkpoint, so a redelivered job loses at most save_freq steps), upload each
 * checkpoint to its branch in the background, export and verify the policy, then upload the
 * model to `main`. Each step is one call.
 */
import type { JobMessage } from "../contract/index.js";
import { parseTrainingParams } from "../contract/index.js";
import { exportTrainedPolicy } from "../export/export-trained-policy.js";
import { CheckpointUploads } from "../hub/checkpoint-uploads.js";
import { uploadFinalModel } from "../hub/upload-final-model.js";
import { resolveUploadTarget } from "../hub/upload-target.js";
import type { Logger } from "../log.js";
import { loadAddon } from "../train/addon.js";
import { jobSettings } from "../train/job-settings.js";
import { runTrainJob } from "../train/train-job.js";
import type { FromJobProcess, GpuMemoryReading } from "./job-ipc.js";

const GPU_MEMORY_EVERY_MS = 5000;

export interface RunJobParams {
  job: JobMessage;
  outputDir: string;
  device: string;
  log: Logger;
  /** Stops training after the step in flight. */
  signal: AbortSignal;
  /** Why the signal fired, once it has. */
  stopReason: () => "cancel" | "shutdown" | undefined;
  report: (message: FromJobProcess) => void;
}

export async function runJob(params: RunJobParams): Promise<void> {
  const { job, log, report } = params;

  // The target first: a job that could never upload fails before an hour of training.
  const target = resolveUploadTarget({
    modelName: job.model_name,
    privateMode: job.private_mode,
    userHfToken: job.user_hf_token,
  });
  const uploads = new CheckpointUploads({
    target,
    outputDir: params.outputDir,
    signal: params.signal,
    onUploaded: (uploaded) =>
      report({
        type: "uploaded",
        step: uploaded.step,
        revision: uploaded.branch,
        alreadyUploaded: uploaded.alreadyUploaded,
      }),
  });

  const gpu = gpuMemoryReader(params.device);
  const settings = jobSettings(
    job.model_type,
    parseTrainingParams(job.model_type, job.training_params),
  );
  const trained = await runTrainJob({
    modelType: job.model_type,
    dataset: job.dataset_name,
    act: settings.act,
    datasetOptions: {
      imageSize: settings.imageSize,
      // A private_mode job reads with its own token; others with the worker's HF_TOKEN.
      ...(job.private_mode && { accessToken: job.user_hf_token ?? "" }),
    },
    steps: settings.steps,
    batchSize: settings.batchSize,
    saveFreq: settings.saveFreq,
    device: params.device,
    seed: 0,
    outputDir: params.outputDir,
    resume: true,
    job: { training_id: job.training_id, model_name: job.model_name, model_type: job.model_type },
    log,
    signal: params.signal,
    checkpointOnStop: true,
    onProgress: (progress) => report({ type: "progress", progress, gpuMemory: gpu.read() }),
    onCheckpoint: (checkpoint) => {
      report({ type: "checkpoint", step: checkpoint.step, dir: checkpoint.dir });
      if (!params.signal.aborted) uploads.add(checkpoint.step);
    },
  });

  const reason = params.stopReason();
  if (trained.stopped && reason) {
    report({ type: "stopped", reason, step: trained.stepsDone });
    return;
  }

  const exported = await exportTrainedPolicy({
    checkpointDir: trained.lastCheckpointDir,
    batch: trained.sampleBatch,
  });
  log.info("policy exported", {
    onnxPath: exported.onnxPath,
    maxAbsDiff: exported.verification.maxAbsDiff,
    durationMs: Math.round(exported.durationMs),
  });

  await uploads.drain();
  const uploaded = await uploadFinalModel({
    target,
    outputDir: params.outputDir,
    onnxPath: exported.onnxPath,
    job,
    checkpointDir: trained.lastCheckpointDir,
    signal: params.signal,
  });
  report({
    type: "succeeded",
    steps: trained.stepsDone,
    repoUrl: uploaded.repoUrl,
    revision: uploaded.commit ?? "main",
    lossAtEnd: trained.lossAtEnd,
  });
}

/** GPU memory every few seconds while training on CUDA; nothing on a CPU. */
function gpuMemoryReader(device: string) {
  const cuda = device === "auto" ? "cuda" : device;
  let usable = cuda.startsWith("cuda");
  let last: GpuMemoryReading | undefined;
  let readAt = 0;
  return {
    read(): GpuMemoryReading | undefined {
      if (!usable || Date.now() - readAt < GPU_MEMORY_EVERY_MS) return last;
      readAt = Date.now();
      try {
        const memory = loadAddon().cudaMemory(cuda);
        last = {
          device: cuda,
          usedBytes: memory.totalBytes - memory.freeBytes,
          totalBytes: memory.totalBytes,
        };
      } catch {
        usable = false; // trained on the CPU after all
      }
      return last;
    },
  };
}
