/**
 * A LeRobot ACT `pretrained_model` a job starts from (fine-tuning): a folder on this machine
 * (the `pretrained_model` itself, or a checkpoint folder holding one) or a Hub model id, read
 * as its `config.json` and the path of its `model.safetensors`.
 */
import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { hubRepoIdProblem } from "../contract/hub-repo-id.js";
import { RobotrainError } from "../errors.js";
import { fetchModelFiles } from "../hub/fetch-model-files.js";
import type { RetryParams } from "../hub/retry-transient.js";
import { ACT_CONFIG_KEYS, type PolicyFeatures } from "./act-config.js";
import type { ActConfig } from "./addon.js";

export interface PretrainedPolicy extends PolicyFeatures {
  /** As the job named it. */
  source: string;
  /** Its ACT fields, as its config.json gives them. */
  act: Partial<ActConfig>;
  weightsPath: string;
}

/** A starting point that is not a LeRobot ACT pretrained_model. */
export class PretrainedPolicyError extends RobotrainError {
  readonly source: string;

  constructor(source: string, message: string, cause?: unknown) {
    super(`cannot start from ${source}: ${message}`, { retryable: false, cause });
    this.name = "PretrainedPolicyError";
    this.source = source;
  }
}

const FILES = ["config.json", "model.safetensors"];

export interface ReadPretrainedParams extends RetryParams {
  hubUrl?: string;
  accessToken?: string;
  cacheDir?: string;
}

export async function readPretrainedPolicy(
  source: string,
  params: ReadPretrainedParams = {},
): Promise<PretrainedPolicy> {
  const dir = await pretrainedFolder(source, params);
  const text = await readFile(join(dir, "config.json"), "utf8");
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new PretrainedPolicyError(source, "its config.json is not JSON", error);
  }
  if (config.type !== "act") {
    throw new PretrainedPolicyError(
      source,
      `it is a '${String(config.type)}' policy; only ACT policies can be trained on`,
    );
  }
  const { input_features: inputs, output_features: outputs } = config;
  if (typeof inputs !== "object" || inputs === null || typeof outputs !== "object" || !outputs) {
    throw new PretrainedPolicyError(
      source,
      "its config.json has no input_features/output_features",
    );
  }

  const act = Object.fromEntries(
    Object.entries(config).filter(([key]) => (ACT_CONFIG_KEYS as string[]).includes(key)),
  ) as Partial<ActConfig>;
  return {
    source,
    act,
    inputFeatures: inputs as PolicyFeatures["inputFeatures"],
    outputFeatures: outputs as PolicyFeatures["outputFeatures"],
    weightsPath: join(dir, "model.safetensors"),
  };
}

/** The folder holding config.json and model.safetensors: found here, or fetched. */
async function pretrainedFolder(source: string, params: ReadPretrainedParams): Promise<string> {
  for (const dir of [source, join(source, "pretrained_model")]) {
    const found = await Promise.all(FILES.map((file) => isFile(join(dir, file))));
    if (found.every(Boolean)) return resolve(dir);
  }
  if (await isFolder(source)) {
    throw new PretrainedPolicyError(
      source,
      "the folder holds no config.json and model.safetensors (nor a pretrained_model/ with them)",
    );
  }
  const problem = hubRepoIdProblem(source);
  if (problem !== undefined) {
    throw new PretrainedPolicyError(source, `it is no folder here, and ${problem}`);
  }
  const fetched = await fetchModelFiles({ ...params, repoId: source, files: FILES });
  return fetched.root;
}

function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (found) => found.isFile(),
    () => false,
  );
}

function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (found) => found.isDirectory(),
    () => false,
  );
}
