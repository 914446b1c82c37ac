/**
 * Batch size and step count for a job that leaves them unset, planned the way the hosted
 * training service did: `batch_size = 120 // cameras` (100 without cameras) and
 * `steps = min(800000 // batch_size, 8000)`.
 */
export interface TrainingPlan {
  batchSize: number;
  steps: number;
  /** Which values came from the job and which were planned, for the log. */
  planned: { batchSize: boolean; steps: boolean };
}

export function planTraining(
  requested: { batchSize?: number | null; steps?: number | null },
  cameras: number,
): TrainingPlan {
  const batchSize = requested.batchSize ?? (cameras > 0 ? Math.floor(120 / cameras) : 100);
  const steps = requested.steps ?? Math.min(Math.floor(800_000 / batchSize), 8000);
  return {
    batchSize,
    steps,
    planned: { batchSize: requested.batchSize == null, steps: requested.steps == null },
  };
}
