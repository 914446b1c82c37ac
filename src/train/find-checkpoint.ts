/**
 * The newest complete checkpoint of an output folder: the one a resumed job continues from.
 * `checkpoints/last` is a convenience for people; this looks at the folders themselves, so a
 * checkpoint whose write was cut short (a crash, a full disk) is passed over.
 */
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { PRETRAINED_MODEL, SAMPLER_STATE, TRAINING_STATE } from "./write-checkpoint.js";

export interface FoundCheckpoint {
  dir: string;
  step: number;
}

/** What a checkpoint must hold, none of it empty, to be resumed from. */
const REQUIRED_FILES = [
  join(PRETRAINED_MODEL, "config.json"),
  join(PRETRAINED_MODEL, "model.safetensors"),
  join(TRAINING_STATE, "training_step.json"),
  join(TRAINING_STATE, "optimizer_state.safetensors"),
  join(TRAINING_STATE, "optimizer_param_groups.json"),
  join(TRAINING_STATE, "rng_state.safetensors"),
  join(TRAINING_STATE, SAMPLER_STATE),
];

export async function findNewestCheckpoint(
  outputDir: string,
): Promise<FoundCheckpoint | undefined> {
  const checkpoints = join(outputDir, "checkpoints");
  const names = await readdir(checkpoints).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [] as string[];
    throw error;
  });

  const steps = names
    .filter((name) => /^\d{6,}$/.test(name))
    .map(Number)
    .sort((a, b) => b - a);
  for (const step of steps) {
    const dir = join(checkpoints, names.find((name) => Number(name) === step) as string);
    if (await isComplete(dir)) return { dir, step };
  }
  return undefined;
}

/** Removes the temporary folders of checkpoint writes that never finished. */
export async function removeUnfinishedCheckpoints(outputDir: string): Promise<void> {
  const checkpoints = join(outputDir, "checkpoints");
  const names = await readdir(checkpoints).catch(() => [] as string[]);
  for (const name of names.filter((entry) =>
    /^\.(\d+\.(partial|replaced)|last)-\d+$/.test(entry),
  )) {
    await rm(join(checkpoints, name), { recursive: true, force: true });
  }
}

async function isComplete(dir: string): Promise<boolean> {
  for (const file of REQUIRED_FILES) {
    const size = await stat(join(dir, file)).then(
      (found) => (found.isFile() ? found.size : 0),
      () => 0,
    );
    if (size === 0) return false;
  }
  return true;
}
