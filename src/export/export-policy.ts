/**
 * Export: a checkpoint's `pretrained_model` becomes `policy.onnx`, which is then verified
 * against the native model it came from. Steps: find the model, read its config and weights,
 * build the graph, write the file, verify it.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { readSafetensors } from "../safetensors/read-safetensors.js";
import { createTrainer, type NativeTrainer } from "../train/addon.js";
import { PREPROCESSOR } from "../train/lerobot-processor-files.js";
import { readLerobotV04Model, writeV03Weights } from "../train/read-lerobot-v04-model.js";
import { actOnnxModel, checkExportable } from "./act-onnx-model.js";
import { defaultOnnxPath, findPretrainedModel } from "./checkpoint-folder.js";
import { datasetInputSet } from "./dataset-input-set.js";
import { CheckpointReadError, ExportVerificationError } from "./export-errors.js";
import { PolicyWeights } from "./policy-weights.js";
import {
  type PretrainedActConfig,
  readPretrainedConfig,
  trainerConfigOf,
} from "./pretrained-config.js";
import {
  type InputSet,
  randomInputSet,
  type VerificationReport,
  verificationPath,
  verifyExport,
} from "./verify-export.js";

export interface ExportPolicyParams {
  /** A pretrained_model folder, a checkpoint folder, `checkpoints/last` or a run's output. */
  checkpoint: string;
  /** @default `<output>/export/policy.onnx`, or policy.onnx beside the model (see README) */
  onnxPath?: string;
  /** Observations from the dataset, when the caller has them. */
  inputSets?: InputSet[];
  /** A LeRobot dataset (Hub repo id or folder) to draw a batch of samples from. */
  dataset?: string;
  /** Batch sizes of the seeded random observations. @default [1, 3] */
  randomBatchSizes?: number[];
  /** @default 0 */
  seed?: number;
  tolerance?: number;
}

export interface ExportPolicyResult {
  modelDir: string;
  onnxPath: string;
  verificationPath: string;
  bytes: number;
  verification: VerificationReport;
  durationMs: number;
}

export async function exportPolicy(params: ExportPolicyParams): Promise<ExportPolicyResult> {
  const started = performance.now();
  const modelDir = await findPretrainedModel(params.checkpoint);
  const config = await readPretrainedConfig(modelDir);
  checkExportable(modelDir, config);
  const { weights, nativeWeightsPath, cleanUp } = await loadCheckpointWeights(modelDir);
  try {
    return await exportWith(params, { modelDir, config, weights, nativeWeightsPath, started });
  } finally {
    await cleanUp();
  }
}

interface LoadedCheckpoint {
  modelDir: string;
  config: PretrainedActConfig;
  weights: PolicyWeights;
  /** A v0.3 model.safetensors the native model loads. */
  nativeWeightsPath: string;
  started: number;
}

async function exportWith(
  params: ExportPolicyParams,
  { modelDir, config, weights, nativeWeightsPath, started }: LoadedCheckpoint,
): Promise<ExportPolicyResult> {
  // The file gets its name only once verified: before that it is `.partial`, after a failed
  // check `.rejected`, so whatever reads policy.onnx next never finds an unverified one.
  const onnxPath = resolve(params.onnxPath ?? defaultOnnxPath(modelDir));
  const partial = `${onnxPath}.partial`;
  const model = actOnnxModel(config, weights);
  await mkdir(dirname(onnxPath), { recursive: true });
  await writeFile(partial, model);

  let verification: VerificationReport;
  try {
    const trainer = await nativePolicy(modelDir, nativeWeightsPath, config);
    verification = await verifyExport({
      onnxPath: partial,
      finalPath: onnxPath,
      trainer,
      inputSets: await inputSetsFor(params, config, weights),
      ...(params.tolerance !== undefined && { tolerance: params.tolerance }),
    });
  } catch (error) {
    if (!(error instanceof ExportVerificationError)) {
      await rm(partial, { force: true });
      throw error;
    }
    const rejected = `${onnxPath}.rejected`;
    await rename(partial, rejected);
    throw new ExportVerificationError(rejected, error.inputSet, error.maxAbsDiff, error.limit);
  }
  await rename(partial, onnxPath);
  return {
    modelDir,
    onnxPath,
    verificationPath: verificationPath(onnxPath),
    bytes: model.length,
    verification,
    durationMs: performance.now() - started,
  };
}

/** The caller's input sets, a batch of the dataset's samples, then seeded random batches. */
async function inputSetsFor(
  params: ExportPolicyParams,
  config: PretrainedActConfig,
  weights: PolicyWeights,
): Promise<InputSet[]> {
  const seed = params.seed ?? 0;
  const samples = params.dataset
    ? [await datasetInputSet({ dataset: params.dataset, config, seed })]
    : [];
  const random = (params.randomBatchSizes ?? [1, 3]).map((size, i) =>
    randomInputSet(config, weights, size, seed + i),
  );
  return [...(params.inputSets ?? []), ...samples, ...random];
}

/**
 * The checkpoint's state dict in v0.3's form. A LeRobot v0.4 model (its statistics in the
 * processor files, none in model.safetensors) is converted, and written to a temporary v0.3
 * file for the native model.
 */
export async function loadCheckpointWeights(modelDir: string) {
  const weightsPath = join(modelDir, "model.safetensors");
  const { tensors } = await readSafetensors(weightsPath);
  const hasBuffers = [...tensors.keys()].some((key) => key.startsWith("unnormalize_outputs."));
  if (hasBuffers || !existsSync(join(modelDir, `${PREPROCESSOR}.json`))) {
    const weights = new PolicyWeights(weightsPath, tensors);
    return { weights, nativeWeightsPath: weightsPath, cleanUp: async () => {} };
  }
  const v04 = await readLerobotV04Model(modelDir);
  const scratch = await mkdtemp(join(tmpdir(), "robotrain-v04-"));
  const nativeWeightsPath = join(scratch, "model.safetensors");
  await writeV03Weights(nativeWeightsPath, v04.tensors);
  return {
    weights: new PolicyWeights(weightsPath, v04.tensors),
    nativeWeightsPath,
    cleanUp: () => rm(scratch, { recursive: true, force: true }),
  };
}

/** The same checkpoint in the native core, on the CPU: the reference the export must match. */
export async function nativePolicy(
  modelDir: string,
  weightsPath: string,
  config: PretrainedActConfig,
): Promise<NativeTrainer> {
  try {
    const trainer = createTrainer(trainerConfigOf(config));
    await trainer.loadSafetensors(weightsPath);
    return trainer;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CheckpointReadError(modelDir, `the native model does not load it (${reason})`, error);
  }
}
