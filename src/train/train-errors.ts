/**
 * Failures of the native trainer, with the libtorch message and where in the job it came.
 * Permanent: the same config and batches fail the same way on a retry.
 */
import { RobotrainError } from "../errors.js";

export class TrainerSetupError extends RobotrainError {
  constructor(cause: unknown) {
    super(`the trainer could not be built: ${messageOf(cause)}`, { retryable: false, cause });
    this.name = "TrainerSetupError";
  }
}

export class TrainingStepError extends RobotrainError {
  readonly step: number;

  constructor(step: number, cause: unknown) {
    super(`training step ${step} failed: ${messageOf(cause)}`, { retryable: false, cause });
    this.name = "TrainingStepError";
    this.step = step;
  }
}

/** A checkpoint that cannot be continued by this job: another config, dataset or plan. */
export class ResumeError extends RobotrainError {
  readonly checkpointDir: string;

  constructor(checkpointDir: string, message: string, cause?: unknown) {
    super(`cannot resume from ${checkpointDir}: ${message}`, { retryable: false, cause });
    this.name = "ResumeError";
    this.checkpointDir = checkpointDir;
  }
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
