/**
 * The model repo an upload writes to, created when it is missing. An existing repo is fine (a
 * redelivered job finds the one its first delivery made), as long as its visibility is the one
 * asked for: a private_mode job never uploads into a public repo.
 */
import { createRepo, modelInfo } from "@huggingface/hub";
import { HubResponseError } from "./hub-response-error.js";
import { UploadTargetError } from "./upload-errors.js";
import { retryUpload, type UploadSession } from "./upload-session.js";

export interface EnsureModelRepoResult {
  /** False when the repo was there already. */
  created: boolean;
  /** The repo's page on the Hub, e.g. `https://huggingface.co/owner/name`. */
  repoUrl: string;
}

export async function ensureModelRepo(session: UploadSession): Promise<EnsureModelRepoResult> {
  const { target } = session;
  const repoUrl = `${target.hubUrl}/${target.repoId}`;
  const created = await retryUpload(session, "creating the repo", async () => {
    try {
      await createRepo({
        repo: { type: "model", name: target.repoId },
        visibility: target.private ? "private" : "public",
        hubUrl: target.hubUrl,
        accessToken: target.accessToken,
        fetch: session.fetch,
      });
      return true;
    } catch (error) {
      // 409: the repo exists. A retry after a lost answer lands here too, which is right.
      if (error instanceof HubResponseError && error.httpStatus === 409) return false;
      throw error;
    }
  });
  // Only a private_mode job minds what the existing repo's visibility is.
  if (created || !target.private) return { created, repoUrl };

  const info = await retryUpload(session, "reading the existing repo", () =>
    modelInfo({
      name: target.repoId,
      hubUrl: target.hubUrl,
      accessToken: target.accessToken,
      fetch: session.fetch,
    }),
  );
  if (!info.private) {
    throw new UploadTargetError({
      repoId: target.repoId,
      hubUrl: target.hubUrl,
      what: "uploading a private_mode job's model",
      reason: "the repo already exists and is public",
      hint: "make the repo private on the Hub, or submit the job under another model_name",
    });
  }
  return { created, repoUrl };
}
