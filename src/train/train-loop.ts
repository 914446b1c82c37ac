/**
 * The training loop over the addon's async step. It reads top to bottom: take the batch
 * assembled during the previous step, start the step, assemble the next batch while libtorch
 * works, then report. Progress goes to a callback; the loop itself never logs.
 */
import type { BatchSampler } from "../dataset/batch-sampler.js";
import type { BatchViews, NativeTrainer, StepResult } from "./addon.js";
import { TrainingStepError } from "./train-errors.js";

export interface TrainProgress extends StepResult {
  totalSteps: number;
  samplesPerSecond: number;
  etaSeconds: number;
  elapsedMs: number;
}

export interface TrainLoopParams {
  trainer: NativeTrainer;
  sampler: BatchSampler;
  batchSize: number;
  /** The step to train up to. */
  steps: number;
  /** Steps done before this run (a resumed job); the loop goes on from there. @default 0 */
  firstStep?: number;
  /** Called after every step. */
  onProgress?: (progress: TrainProgress) => void;
  /** Checkpoints every `saveFreq` steps and after the last one. */
  saveFreq?: number;
  onCheckpoint?: (step: number) => Promise<void>;
  /** Stops the loop after the step in flight. */
  signal?: AbortSignal;
}

export interface TrainLoopResult {
  /** Steps done in all, those before firstStep included. */
  stepsDone: number;
  /** Loss of each step this run took, in order. */
  losses: Float64Array;
  durationMs: number;
  samplesPerSecond: number;
  aborted: boolean;
}

export async function runTrainLoop(params: TrainLoopParams): Promise<TrainLoopResult> {
  const { trainer, sampler, batchSize, steps, saveFreq } = params;
  const firstStep = params.firstStep ?? 0;
  const losses = new Float64Array(Math.max(0, steps - firstStep));
  const started = performance.now();
  let batch = sampler.next();
  let stepsDone = firstStep;

  while (stepsDone < steps && !params.signal?.aborted) {
    const pending = startStep(trainer, batch, stepsDone + 1);
    // Assembled into the other buffer set while the step runs off the JavaScript thread.
    const nextBatch = stepsDone + 1 < steps ? sampler.next() : batch;
    const result = await pending.catch((error: unknown) => {
      throw error instanceof TrainingStepError
        ? error
        : new TrainingStepError(stepsDone + 1, error);
    });
    batch = nextBatch;
    losses[stepsDone - firstStep] = result.loss;
    stepsDone += 1;

    // Rates count this run's steps only: a resumed run did not take the earlier ones.
    const elapsedMs = performance.now() - started;
    const taken = stepsDone - firstStep;
    const samplesPerSecond = (taken * batchSize * 1000) / elapsedMs;
    params.onProgress?.({
      ...result,
      totalSteps: steps,
      samplesPerSecond,
      etaSeconds: ((steps - stepsDone) * elapsedMs) / taken / 1000,
      elapsedMs,
    });

    const isLast = stepsDone === steps;
    if (params.onCheckpoint && (isLast || (saveFreq && stepsDone % saveFreq === 0))) {
      await params.onCheckpoint(stepsDone);
    }
  }

  const durationMs = performance.now() - started;
  return {
    stepsDone,
    losses: losses.subarray(0, stepsDone - firstStep),
    durationMs,
    samplesPerSecond: ((stepsDone - firstStep) * batchSize * 1000) / Math.max(durationMs, 1),
    aborted: stepsDone < steps,
  };
}

/** Starts a step now, so the next batch is assembled while it runs; failures name the step. */
function startStep(trainer: NativeTrainer, batch: BatchViews, step: number): Promise<StepResult> {
  try {
    return trainer.step(batch);
  } catch (error) {
    // Bad shapes and types are refused before the step is queued.
    return Promise.reject(new TrainingStepError(step, error));
  }
}
