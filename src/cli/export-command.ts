/**
 * `robotrain export`: a checkpoint to `policy.onnx`, verified by ONNX Runtime against the
 * native model; prints one JSON line with where it went and how close it came.
 */
import { exportPolicy } from "../export/export-policy.js";

export interface ExportOptions {
  checkpoint: string;
  onnx?: string;
}

export async function exportCommand(options: ExportOptions): Promise<void> {
  // Limitation: the command verifies on seeded random observations only — it loads no dataset;
  // a `--dataset` flag feeding a sampled batch to `inputSets` would lift it.
  const result = await exportPolicy({
    checkpoint: options.checkpoint,
    ...(options.onnx !== undefined && { onnxPath: options.onnx }),
  });
  const { verification } = result;
  const line = {
    onnx: result.onnxPath,
    verification: result.verificationPath,
    modelDir: result.modelDir,
    bytes: result.bytes,
    maxAbsDiff: verification.maxAbsDiff,
    tolerance: verification.tolerance,
    batchSizes: verification.inputSets.map((set) => set.batchSize),
    opset: verification.opset,
    onnxRuntimeVersion: verification.onnxRuntimeVersion,
    durationMs: Math.round(result.durationMs),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
