/**
 * Failures of an export: a checkpoint that cannot be read as an ACT policy, or an ONNX graph
 * whose outputs differ from the native model's. Permanent: the same checkpoint fails the same
 * way on a retry.
 */
import { RobotrainError } from "../errors.js";

/** The checkpoint folder, its config or its weights do not describe an exportable ACT. */
export class ExportError extends RobotrainError {
  readonly path: string;

  constructor(path: string, message: string, cause?: unknown) {
    super(`export of ${path} failed: ${message}`, { retryable: false, cause });
    this.name = "ExportError";
    this.path = path;
  }
}

/** A checkpoint folder that holds no readable ACT pretrained_model. */
export class CheckpointReadError extends RobotrainError {
  readonly path: string;

  constructor(path: string, message: string, cause?: unknown) {
    super(`the checkpoint ${path} cannot be used: ${message}`, { retryable: false, cause });
    this.name = "CheckpointReadError";
    this.path = path;
  }
}

/** ONNX Runtime's actions differ from the native model's by more than the limit. */
export class ExportVerificationError extends RobotrainError {
  readonly onnxPath: string;
  readonly inputSet: string;
  readonly maxAbsDiff: number;
  readonly limit: number;

  constructor(onnxPath: string, inputSet: string, maxAbsDiff: number, limit: number) {
    super(
      `the ONNX export ${onnxPath} does not match the native model: on ${inputSet} its actions ` +
        `differ by up to ${maxAbsDiff.toExponential(3)} (limit ${limit.toExponential(0)}, ` +
        "float32); do not use the file — export the checkpoint again, and if it still differs, " +
        "report it with the checkpoint's config.json",
      { retryable: false },
    );
    this.name = "ExportVerificationError";
    this.onnxPath = onnxPath;
    this.inputSet = inputSet;
    this.maxAbsDiff = maxAbsDiff;
    this.limit = limit;
  }
}

/** A state dict that is not the ACT its config describes: missing or unexpected keys, shapes. */
export class PolicyWeightsError extends RobotrainError {
  readonly path: string;
  readonly missing: string[];
  readonly unexpected: string[];

  constructor(path: string, problem: string, missing: string[] = [], unexpected: string[] = []) {
    const listed = [
      missing.length > 0 && `missing keys (${missing.length}): ${missing.join(", ")}`,
      unexpected.length > 0 && `unexpected keys (${unexpected.length}): ${unexpected.join(", ")}`,
    ].filter(Boolean);
    super(
      `${path} is not an ACT of the shape its config.json describes: ${problem}` +
        `${listed.length > 0 ? `; ${listed.join("; ")}` : ""}; export from the checkpoint the ` +
        "weights were trained with",
      { retryable: false },
    );
    this.name = "PolicyWeightsError";
    this.path = path;
    this.missing = missing;
    this.unexpected = unexpected;
  }
}
