/**
 * A LeRobot ACT `pretrained_model` a job starts from (fine-tuning): a folder on this machine
 * (the `pretrained_model` itself, a checkpoint folder holding one, or a run's output) or a Hub
 * model id, read as its `config.json` and the state dict the native core loads. Both LeRobot
 * generations are read: v0.3 keeps the normalization stats in `model.safetensors`, v0.4 in its
 * processor files, from which the same state dict is put together.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hubRepoIdProblem } from "../contract/hub-repo-id.js";
import { RobotrainError } from "../errors.js";
import { findPretrainedModel } from "../export/checkpoint-folder.js";
import { CheckpointReadError } from "../export/export-errors.js";
import { fetchModelFiles } from "../hub/fetch-model-files.js";
import type { RetryParams } from "../hub/retry-transient.js";
import { readSafetensors } from "../safetensors/read-safetensors.js";
import { ACT_CONFIG_KEYS, type PolicyFeatures } from "./act-config.js";
import type { ActConfig } from "./addon.js";
import { PREPROCESSOR } from "./lerobot-processor-files.js";
import { readLerobotV04Model, writeV03Weights } from "./read-lerobot-v04-model.js";

export interface PretrainedPolicy extends PolicyFeatures {
  /** As the job named it. */
  source: string;
  /** Its ACT fields, as its config.json gives them. */
  act: Partial<ActConfig>;
  /** A v0.3 model.safetensors: the weights and the normalization buffers. */
  weightsPath: string;
  /** Removes what reading it left behind (the v0.3 weights put together from a v0.4 model). */
  cleanUp(): Promise<void>;
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
/** v0.4's processor pipelines and their state files. */
const isProcessorFile = (path: string) =>
  /^policy_[a-z_]*processor[\w.-]*\.(json|safetensors)$/.test(path);

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
    ...(await v03Weights(source, dir)),
  };
}

/** The folder holding config.json and model.safetensors: found here, or fetched. */
async function pretrainedFolder(source: string, params: ReadPretrainedParams): Promise<string> {
  try {
    return await findPretrainedModel(source);
  } catch (error) {
    if (!(error instanceof CheckpointReadError)) throw error;
    const isFolder = await stat(source).then(
      (found) => found.isDirectory(),
      () => false,
    );
    if (isFolder) throw new PretrainedPolicyError(source, error.message, error);
  }
  const problem = hubRepoIdProblem(source);
  if (problem !== undefined) {
    throw new PretrainedPolicyError(source, `it is no folder here, and ${problem}`);
  }
  const fetched = await fetchModelFiles({
    ...params,
    repoId: source,
    files: FILES,
    alsoFiles: isProcessorFile,
  });
  return fetched.root;
}

/** v0.3's weights as they are; v0.4's with the stats of its processor files put back in. */
async function v03Weights(
  source: string,
  dir: string,
): Promise<Pick<PretrainedPolicy, "weightsPath" | "cleanUp">> {
  const weightsPath = join(dir, "model.safetensors");
  const keys = [...(await readSafetensors(weightsPath)).tensors.keys()];
  const hasProcessor = await stat(join(dir, `${PREPROCESSOR}.json`)).then(
    () => true,
    () => false,
  );
  if (keys.some((key) => key.startsWith("normalize_inputs.")) || !hasProcessor) {
    return { weightsPath, cleanUp: async () => {} };
  }

  const model = await readLerobotV04Model(dir).catch((error: unknown) => {
    throw new PretrainedPolicyError(source, (error as Error).message, error);
  });
  const scratch = await mkdtemp(join(tmpdir(), "robotrain-v04-"));
  const converted = join(scratch, "model.safetensors");
  await writeV03Weights(converted, model.tensors);
  return { weightsPath: converted, cleanUp: () => rm(scratch, { recursive: true, force: true }) };
}
