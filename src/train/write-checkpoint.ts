/**
 * Checkpoints under `<output>/checkpoints/<step, zero-padded to 6>/`: `pretrained_model/` (the
 * policy as LeRobot v0.3 and, through the processor files, v0.4 load it) and `training_state/`
 * (what resuming needs: the optimizer, step and random generators in LeRobot's layout, plus the
 * sampler's position). Each is written
 * into a temporary folder and renamed into place, then `checkpoints/last` pointed at it: a
 * crash mid-write never leaves a folder that looks like a complete checkpoint.
 */
import { mkdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { NativeTrainer } from "./addon.js";
import { writeCheckpointProcessorFiles } from "./checkpoint-processor-files.js";

export interface CheckpointParams {
  outputDir: string;
  step: number;
  trainer: NativeTrainer;
  /** The policy's own config, written as `config.json` beside its weights. */
  policyConfig: Record<string, unknown>;
  /** Where the batch sampler stands after this step's batch. */
  sampler: SamplerState;
}

/** The sampler's position, as `training_state/sampler_state.json` records it. */
export interface SamplerState {
  /** Samples drawn for the steps done so far: the resumed sampler skips to here. */
  samples_drawn: number;
  /** Frames in the dataset: a resumed run must see the same ones. */
  epoch_size: number;
  batch_size: number;
  seed: number;
}

export const PRETRAINED_MODEL = "pretrained_model";
export const TRAINING_STATE = "training_state";
export const SAMPLER_STATE = "sampler_state.json";

export interface CheckpointResult {
  dir: string;
  step: number;
}

export function checkpointName(step: number): string {
  return String(step).padStart(6, "0");
}

export async function writeCheckpoint(params: CheckpointParams): Promise<CheckpointResult> {
  const checkpoints = join(params.outputDir, "checkpoints");
  const name = checkpointName(params.step);
  const final = join(checkpoints, name);
  const partial = join(checkpoints, `.${name}.partial-${process.pid}`);

  await rm(partial, { recursive: true, force: true });
  const model = join(partial, PRETRAINED_MODEL);
  await mkdir(model, { recursive: true });
  await writeFile(join(model, "config.json"), `${JSON.stringify(params.policyConfig, null, 2)}\n`);
  await params.trainer.saveSafetensors(join(model, "model.safetensors"));
  if (params.policyConfig.type === "act") {
    await writeCheckpointProcessorFiles(model, params.policyConfig, params.trainer.stateDict());
  }

  const state = join(partial, TRAINING_STATE);
  await params.trainer.saveTrainingState(state);
  await writeFile(join(state, SAMPLER_STATE), `${JSON.stringify(params.sampler, null, 2)}\n`);

  // A checkpoint of this step written before is moved aside whole, never deleted in place, so a
  // crash at any moment leaves the old one or the new one under the step's name.
  const replaced = join(checkpoints, `.${name}.replaced-${process.pid}`);
  const hadOne = await rename(final, replaced).then(
    () => true,
    () => false,
  );
  await rename(partial, final);
  await pointLastAt(checkpoints, name);
  if (hadOne) await rm(replaced, { recursive: true, force: true });
  return { dir: final, step: params.step };
}

/** Swaps `checkpoints/last` to `name` with one rename, so readers see the old or the new one. */
async function pointLastAt(checkpoints: string, name: string): Promise<void> {
  const temporary = join(checkpoints, `.last-${process.pid}`);
  await rm(temporary, { force: true });
  await symlink(name, temporary);
  await rename(temporary, join(checkpoints, "last"));
}
