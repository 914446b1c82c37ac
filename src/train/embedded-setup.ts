/**
 * The embedded default job: ACT, in a configuration small enough for a CPU, trained for a few
 * hundred steps on the sample reach dataset, which is written once under the state folder the
 * first time it is needed. It needs no network and no dataset of one's own.
 */
import { randomBytes } from "node:crypto";
import { rename, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { writeSampleDataset } from "../dataset/sample/write-sample-dataset.js";
import type { ActConfig } from "./addon.js";

/** A few hundred steps at a small batch: the loss falls well below where it starts. */
export const EMBEDDED_STEPS = 300;
export const EMBEDDED_BATCH_SIZE = 8;

/**
 * ACT shrunk to train in minutes on a CPU; every other field keeps LeRobot's default but the
 * backbone's start: random weights, so that the default job fetches nothing from the Hub.
 */
export const EMBEDDED_ACT: Partial<ActConfig> = {
  pretrained_backbone_weights: null,
  chunk_size: 20,
  n_action_steps: 20,
  dim_model: 128,
  n_heads: 4,
  dim_feedforward: 512,
  n_encoder_layers: 2,
  n_vae_encoder_layers: 2,
  latent_dim: 16,
  optimizer_lr: 1e-4,
  optimizer_lr_backbone: 1e-4,
};

const SAMPLE = { episodes: 20, framesPerEpisode: 60, version: "v2.1", cameras: 1 } as const;

/** `$ROBOTRAIN_HOME/datasets/sample-reach`, or under `~/.robotrain`. */
export function embeddedDatasetDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.ROBOTRAIN_HOME ?? join(homedir(), ".robotrain"), "datasets", "sample-reach");
}

/** The sample dataset's folder, written (into a temporary folder, then renamed) when missing. */
export async function ensureEmbeddedDataset(dir = embeddedDatasetDir()): Promise<string> {
  const complete = await stat(join(dir, "meta", "info.json")).then(
    () => true,
    () => false,
  );
  if (complete) return dir;

  const partial = `${dir}.partial-${randomBytes(4).toString("hex")}`;
  try {
    await writeSampleDataset({ output: partial, ...SAMPLE });
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return dir;
}
