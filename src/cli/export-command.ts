/**
 * `robotrain export`: a checkpoint to `policy.onnx`, verified by ONNX Runtime against the
 * native model; prints one JSON line with where it went and how close it came.
 */
import { exportPolicy } from "../export/export-policy.js";

export interface ExportOptions {
  checkpoint: string;
  onnx?: string;
  dataset?: string;
}

export async function exportCommand(options: ExportOptions): Promise<void> {
  const result = await exportPolicy({
    checkpoint: options.checkpoint,
    ...(options.onnx !== undefined && { onnxPath: options.onnx }),
    ...(options.dataset !== undefined && { dataset: options.dataset }),
  });
  const { verification } = result;
  const line = {
    onnx: result.onnxPath,
    verification: result.verificationPath,
    modelDir: result.modelDir,
    bytes: result.bytes,
    maxAbsDiff: verification.maxAbsDiff,
    tolerance: verification.tolerance,
    inputSets: verification.inputSets.map(({ name, batchSize, maxAbsDiff }) => ({
      name,
      batchSize,
      maxAbsDiff,
    })),
    opset: verification.opset,
    onnxRuntimeVersion: verification.onnxRuntimeVersion,
    durationMs: Math.round(result.durationMs),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
