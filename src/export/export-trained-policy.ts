/**
 * The export step of a job: the run's last checkpoint to `<output>/export/policy.onnx`,
 * verified by ONNX Runtime against the native model on a batch of the job's own training
 * samples as well as on seeded random observations.
 */
import { join } from "node:path";
import type { BatchViews } from "../train/addon.js";
import { type ExportPolicyResult, exportPolicy } from "./export-policy.js";
import { readPretrainedConfig } from "./pretrained-config.js";
import { inputSetFromBatch } from "./verify-export.js";

export interface ExportTrainedPolicyParams {
  /** The checkpoint folder the job ended with. */
  checkpointDir: string;
  /** A batch the sampler drew from the dataset; its observations verify the export. */
  batch?: BatchViews;
}

export async function exportTrainedPolicy(
  params: ExportTrainedPolicyParams,
): Promise<ExportPolicyResult> {
  const config = await readPretrainedConfig(join(params.checkpointDir, "pretrained_model"));
  return exportPolicy({
    checkpoint: params.checkpointDir,
    inputSets: params.batch ? [inputSetFromBatch("dataset samples", config, params.batch)] : [],
  });
}
