/**
 * Continues a job from one of its checkpoints: the weights, the optimizer, the step, the random
 * generators and the sampler's position are put back as they were right after that step, so
 * the steps that follow are the ones an uninterrupted run would have taken.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FoundCheckpoint } from "./find-checkpoint.js";
import { readMetrics } from "./metrics-file.js";
import { ResumeError } from "./train-errors.js";
import type { TrainingSetup } from "./training-setup.js";
import {
  PRETRAINED_MODEL,
  SAMPLER_STATE,
  type SamplerState,
  TRAINING_STATE,
} from "./write-checkpoint.js";

export interface ResumeParams {
  checkpoint: FoundCheckpoint;
  setup: TrainingSetup;
  seed: number;
  outputDir: string;
}

export interface ResumeResult {
  step: number;
  /** The losses of the steps before, from the job's metrics (NaN where none was recorded). */
  losses: number[];
}

export async function resumeTraining(params: ResumeParams): Promise<ResumeResult> {
  const { checkpoint, setup } = params;
  const { trainer, sampler, plan } = setup;
  const fail = (message: string, cause?: unknown) =>
    new ResumeError(checkpoint.dir, message, cause);

  // The checkpoint must be of this very job: same policy, same dataset frames, same plan.
  const saved = await readJsonFile(join(checkpoint.dir, PRETRAINED_MODEL, "config.json"));
  const differing = differingKeys(saved, setup.policyConfig, ["device"]);
  if (differing.length > 0) {
    throw fail(
      `its policy config differs from this job's in ${differing.join(", ")}; ` +
        "train into a new output folder, or resume with the job's original parameters",
    );
  }
  const position = (await readJsonFile(
    join(checkpoint.dir, TRAINING_STATE, SAMPLER_STATE),
  )) as unknown as SamplerState;
  const expected: SamplerState = {
    samples_drawn: checkpoint.step * plan.batchSize,
    epoch_size: sampler.epochSize,
    batch_size: plan.batchSize,
    seed: params.seed,
  };
  const mismatch = differingKeys(position, expected, []);
  if (mismatch.length > 0) {
    const seen = mismatch.map((key) => `${key} ${position[key as keyof SamplerState]}`);
    const wanted = mismatch.map((key) => `${key} ${expected[key as keyof SamplerState]}`);
    throw fail(
      `it was trained with ${seen.join(", ")}; this job has ${wanted.join(", ")} ` +
        "(another dataset revision, batch size or seed); train into a new output folder",
    );
  }

  try {
    await trainer.loadSafetensors(join(checkpoint.dir, PRETRAINED_MODEL, "model.safetensors"));
    await trainer.loadTrainingState(join(checkpoint.dir, TRAINING_STATE));
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error), error);
  }
  if (trainer.stepsDone !== checkpoint.step) {
    throw fail(
      `its training state is at step ${trainer.stepsDone}, its folder says ${checkpoint.step}`,
    );
  }
  sampler.skipTo(position.samples_drawn);

  const recorded = await readMetrics(params.outputDir);
  const losses = Array.from({ length: checkpoint.step }, (_, i) => recorded[i] ?? Number.NaN);
  return { step: checkpoint.step, losses };
}

async function readJsonFile(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
}

/** Top-level keys whose values differ (compared as JSON), but for those ignored. */
function differingKeys(a: object, b: object, ignored: string[]): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const value = (source: object, key: string) =>
    JSON.stringify((source as Record<string, unknown>)[key]);
  return [...keys].filter((key) => !ignored.includes(key) && value(a, key) !== value(b, key));
}
