/**
 * Export: a checkpoint's `pretrained_model` becomes `policy.onnx`, which is then verified
 * against the native model it came from. Steps: find the model, read its config and weights,
 * build the graph, write the file, verify it.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { readSafetensors } from "../safetensors/read-safetensors.js";
import { createTrainer, type NativeTrainer } from "../train/addon.js";
import { actOnnxModel, checkExportable } from "./act-onnx-model.js";
import { defaultOnnxPath, findPretrainedModel } from "./checkpoint-folder.js";
import { ExportError } from "./export-errors.js";
import { PolicyWeights } from "./policy-weights.js";
import { readPretrainedConfig, trainerConfigOf } from "./pretrained-config.js";
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
  const weightsPath = join(modelDir, "model.safetensors");
  const weights = new PolicyWeights(weightsPath, (await readSafetensors(weightsPath)).tensors);

  const onnxPath = resolve(params.onnxPath ?? defaultOnnxPath(modelDir));
  const model = actOnnxModel(config, weights);
  await mkdir(dirname(onnxPath), { recursive: true });
  await writeFile(`${onnxPath}.partial`, model);
  await rename(`${onnxPath}.partial`, onnxPath);

  const trainer = await nativePolicy(modelDir, weightsPath, config);
  const seed = params.seed ?? 0;
  const inputSets = [
    ...(params.inputSets ?? []),
    ...(params.randomBatchSizes ?? [1, 3]).map((size, i) =>
      randomInputSet(config, weights, size, seed + i),
    ),
  ];
  const verification = await verifyExport({
    onnxPath,
    trainer,
    inputSets,
    ...(params.tolerance !== undefined && { tolerance: params.tolerance }),
  });
  return {
    modelDir,
    onnxPath,
    verificationPath: verificationPath(onnxPath),
    bytes: model.length,
    verification,
    durationMs: performance.now() - started,
  };
}

/** The same checkpoint in the native core, on the CPU: the reference the export must match. */
export async function nativePolicy(
  modelDir: string,
  weightsPath: string,
  config: Awaited<ReturnType<typeof readPretrainedConfig>>,
): Promise<NativeTrainer> {
  try {
    const trainer = createTrainer(trainerConfigOf(config));
    await trainer.loadSafetensors(weightsPath);
    return trainer;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ExportError(modelDir, `the native model does not load it (${reason})`, error);
  }
}
