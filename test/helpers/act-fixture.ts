/**
 * The golden ACT fixture made by LeRobot v0.3.3 itself (../shared/fixtures/act-golden-small,
 * see its README.md): its config as an ACT trainer config, its batch as addon views, and its
 * expected tensors. It is read in place, never copied into the repo.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors, type StoredTensor } from "../../src/safetensors/read-safetensors.js";
import type { ActConfig, ActTrainerConfig, BatchViews, TensorView } from "../../src/train/addon.js";
import { REPO_ROOT } from "./paths.js";

export const SHARED_DIR = process.env.ROBOTRAIN_SHARED_DIR ?? join(REPO_ROOT, "..", "shared");
export const ACT_FIXTURE_DIR = join(SHARED_DIR, "fixtures", "act-golden-small");
export const ACT_FIXTURE_MODEL = join(ACT_FIXTURE_DIR, "model.safetensors");

/** A stored tensor as an addon view: F32 as Float32Array, U8 as Uint8Array (copies). */
export function viewOf(name: string, stored: StoredTensor): TensorView {
  const bytes = new Uint8Array(stored.bytes); // a copy, aligned for any element type
  if (stored.dtype === "F32") return { data: new Float32Array(bytes.buffer), shape: stored.shape };
  if (stored.dtype === "U8") return { data: bytes, shape: stored.shape };
  throw new Error(`fixture tensor '${name}' has dtype ${stored.dtype}; expected F32 or U8`);
}

interface LeRobotConfig extends Partial<ActConfig> {
  input_features: ActTrainerConfig["inputFeatures"];
  output_features: ActTrainerConfig["outputFeatures"];
  [field: string]: unknown;
}

export interface ActFixture {
  config: LeRobotConfig;
  /** The fixture's policy as a CPU trainer config (weights still to be loaded). */
  trainerConfig: ActTrainerConfig;
  /** Every tensor of batch.safetensors, `vae_eps` included. */
  batch: BatchViews;
  expected: Map<string, TensorView & { data: Float32Array }>;
}

/** Fields of LeRobot's PreTrainedConfig base that are no ACT model fields. */
const BASE_FIELDS = [
  "type",
  "input_features",
  "output_features",
  "device",
  "use_amp",
  "push_to_hub",
  "repo_id",
  "private",
  "tags",
  "license",
];

export async function loadActFixture(): Promise<ActFixture> {
  let configText: string;
  try {
    configText = await readFile(join(ACT_FIXTURE_DIR, "config.json"), "utf8");
  } catch (error) {
    throw new Error(
      `the ACT golden fixture is missing at ${ACT_FIXTURE_DIR}; set ROBOTRAIN_SHARED_DIR to the ` +
        `folder holding fixtures/act-golden-small (${String(error)})`,
    );
  }
  const config = JSON.parse(configText) as LeRobotConfig;
  const act = Object.fromEntries(
    Object.entries(config).filter(([field]) => !BASE_FIELDS.includes(field)),
  ) as Partial<ActConfig>;

  const batch: BatchViews = {};
  for (const [name, stored] of (await readSafetensors(join(ACT_FIXTURE_DIR, "batch.safetensors")))
    .tensors) {
    batch[name] = viewOf(name, stored);
  }
  const expected = new Map<string, TensorView & { data: Float32Array }>();
  for (const [name, stored] of (
    await readSafetensors(join(ACT_FIXTURE_DIR, "expected.safetensors"))
  ).tensors) {
    expected.set(name, viewOf(name, stored) as TensorView & { data: Float32Array });
  }

  return {
    config,
    trainerConfig: {
      policy: "act",
      act,
      inputFeatures: config.input_features,
      outputFeatures: config.output_features,
      seed: 0,
      device: "cpu",
    },
    batch,
    expected,
  };
}

/** The batch without its targets and noise: what inference reads. */
export function observationsOf(batch: BatchViews): BatchViews {
  return Object.fromEntries(
    Object.entries(batch).filter(([name]) => name.startsWith("observation.")),
  );
}
