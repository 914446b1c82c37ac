/**
 * Batch size and step count for a job that leaves them unset, planned the way the hosted
 * training service did: `batch_size = 120 // cameras` (100 without cameras) and
 * `steps = min(800000 // batch_size, 8000)`. On CUDA a planned batch is also capped by what fits
 * in device memory, as measured by a probe (see batch-memory-fit.ts).
 */
import type { BatchMemoryFit } from "./batch-memory-fit.js";

export interface TrainingPlan {
  batchSize: number;
  steps: number;
  /** Which values came from the job and which were planned, for the log. */
  planned: { batchSize: boolean; steps: boolean };
  /** Set when device memory was probed: whether it lowered the batch, and why. */
  memoryCap?: { capped: boolean; maxBatchSize: number; reason: string };
}

const GIB = 1024 ** 3;

export function planTraining(
  requested: { batchSize?: number | null; steps?: number | null },
  cameras: number,
  memory?: BatchMemoryFit,
): TrainingPlan {
  const planned = requested.batchSize ?? (cameras > 0 ? Math.floor(120 / cameras) : 100);
  const memoryCap = memory && capOf(planned, requested.batchSize == null, memory);
  const batchSize = memoryCap?.capped ? memoryCap.maxBatchSize : planned;
  const steps = requested.steps ?? Math.min(Math.floor(800_000 / batchSize), 8000);
  return {
    batchSize,
    steps,
    planned: { batchSize: requested.batchSize == null, steps: requested.steps == null },
    ...(memoryCap && { memoryCap }),
  };
}

/** Only a planned batch is lowered; a batch the job set is kept, and the reason warns of it. */
function capOf(
  batchSize: number,
  isPlanned: boolean,
  memory: BatchMemoryFit,
): NonNullable<TrainingPlan["memoryCap"]> {
  const { maxBatchSize } = memory;
  const stepGiB = (batch: number) =>
    ((memory.fixedBytes + memory.bytesPerSample * batch) / GIB).toFixed(1);
  const budget =
    `${(memory.budgetBytes / GIB).toFixed(1)} GiB ` +
    `(the safe share of ${(memory.availableBytes / GIB).toFixed(1)} GiB available)`;
  if (maxBatchSize < 1) {
    throw new RangeError(
      `a step of batch 1 needs about ${stepGiB(1)} GiB and the device has ${budget}; ` +
        "free device memory or shrink the model or its images (image_size)",
    );
  }
  if (batchSize <= maxBatchSize) {
    return {
      capped: false,
      maxBatchSize,
      reason: `batch ${batchSize} needs about ${stepGiB(batchSize)} GiB of ${budget}`,
    };
  }
  if (!isPlanned) {
    return {
      capped: false,
      maxBatchSize,
      reason:
        `the job's batch ${batchSize} needs about ${stepGiB(batchSize)} GiB, more than ${budget}; ` +
        `it may run out of memory (batch ${maxBatchSize} fits)`,
    };
  }
  return {
    capped: true,
    maxBatchSize,
    reason:
      `the planned batch ${batchSize} needs about ${stepGiB(batchSize)} GiB, more than ${budget}; ` +
      `batch ${maxBatchSize} needs about ${stepGiB(maxBatchSize)} GiB`,
  };
}
