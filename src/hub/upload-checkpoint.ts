/**
 * One checkpoint to the Hub, on a branch of its own named after its step, holding what loads
 * it: the files of the checkpoint's pretrained_model (`config.json`, `model.safetensors` and
 * v0.4's processor files) at the repo root, as LeRobot's `from_pretrained(repo,
 * revision=branch)` reads them, and the run's `train_config.json`.
 * Uploading the same checkpoint again changes nothing and says so.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createBranch } from "@huggingface/hub";
import { checkpointName } from "../train/write-checkpoint.js";
import {
  type CommitChangedFilesResult,
  commitChangedFiles,
  type UploadFile,
  type UploadProgress,
} from "./commit-changed-files.js";
import { ensureModelRepo } from "./ensure-model-repo.js";
import { HubResponseError } from "./hub-response-error.js";
import {
  openUploadSession,
  retryUpload,
  type UploadSession,
  type UploadSessionParams,
} from "./upload-session.js";

export interface UploadCheckpointParams extends UploadSessionParams {
  /** The job's output folder, holding `checkpoints/` and `train_config.json`. */
  outputDir: string;
  step: number;
  onProgress?: (progress: UploadProgress) => void;
}

export interface UploadCheckpointResult extends CommitChangedFilesResult {
  branch: string;
  /** True when the branch held this checkpoint already and nothing was committed. */
  alreadyUploaded: boolean;
  repoUrl: string;
}

/**
 * The branch of a checkpoint, e.g. `step-000300`. Not the bare 6-digit name of its folder: a
 * revision made of hex digits alone, like `000300`, reads as an abbreviated commit sha to git
 * and to tools that resolve revisions, so the prefix keeps it a branch name everywhere.
 */
export function checkpointBranch(step: number): string {
  return `step-${checkpointName(step)}`;
}

export async function uploadCheckpoint(
  params: UploadCheckpointParams,
): Promise<UploadCheckpointResult> {
  const session = openUploadSession(params);
  const { repoUrl } = await ensureModelRepo(session);
  const branch = checkpointBranch(params.step);
  await ensureBranch(session, branch);

  const model = join(
    params.outputDir,
    "checkpoints",
    checkpointName(params.step),
    "pretrained_model",
  );
  const committed = await commitChangedFiles({
    session,
    branch,
    files: [
      ...(await pretrainedModelFiles(model)),
      { path: "train_config.json", localPath: join(params.outputDir, "train_config.json") },
    ],
    title: `Checkpoint at step ${params.step}`,
    onProgress: params.onProgress,
  });
  return { ...committed, branch, alreadyUploaded: committed.commit === undefined, repoUrl };
}

/**
 * Every file of a pretrained_model folder, at the repo root: config.json and model.safetensors
 * (LeRobot v0.3) and the processor files beside them (v0.4).
 */
export async function pretrainedModelFiles(model: string): Promise<UploadFile[]> {
  const names = (await readdir(model)).filter((name) => !name.endsWith(".partial")).sort();
  return names.map((name) => ({ path: name, localPath: join(model, name) }));
}

/** Creates the branch from `main`; one that exists already (a redelivered job's) is kept. */
async function ensureBranch(session: UploadSession, branch: string): Promise<void> {
  const { target } = session;
  await retryUpload(session, `creating the branch ${branch}`, async () => {
    try {
      await createBranch({
        repo: { type: "model", name: target.repoId },
        branch,
        revision: "main",
        hubUrl: target.hubUrl,
        accessToken: target.accessToken,
        fetch: session.fetch,
      });
    } catch (error) {
      if (!(error instanceof HubResponseError && error.httpStatus === 409)) throw error;
    }
  });
}
