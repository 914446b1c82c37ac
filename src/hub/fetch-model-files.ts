/**
 * Named files of a Hub model repo (a LeRobot `pretrained_model`, ImageNet backbone weights)
 * into the Hugging Face cache, at one commit: the revision is resolved, the files are looked up
 * in the commit's listing, and each is downloaded once, checked against its size and digest.
 * A file already linked in the cache for that commit is not fetched again.
 */
import { join } from "node:path";
import { modelInfo } from "@huggingface/hub";
import { downloadBlob, type ListedFile } from "../dataset/download-blob.js";
import { defaultHubCacheDir, RepoCache } from "../dataset/hub-cache.js";
import { HubCallError, type HubFailureContext } from "./hub-call-error.js";
import { resolveHubEndpoint } from "./hub-endpoint.js";
import { HubResponseError, strictFetch } from "./hub-response-error.js";
import { listRepoFiles } from "./list-repo-files.js";
import { type RetryParams, retryPolicy, retryTransient } from "./retry-transient.js";

export interface FetchModelFilesParams extends RetryParams {
  /** `owner/name` of a model repo. */
  repoId: string;
  /** Repo-relative paths of the files wanted; each must exist. */
  files: string[];
  /** Also fetches the files of the commit this accepts, if there are any. */
  alsoFiles?: (path: string) => boolean;
  /** Branch, tag or commit sha. @default "main" */
  revision?: string;
  /** @default process.env.HF_ENDPOINT, else https://huggingface.co */
  hubUrl?: string;
  /** `""` sends none. @default process.env.HF_TOKEN */
  accessToken?: string;
  /** @default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub */
  cacheDir?: string;
  fetch?: typeof fetch;
}

export interface FetchModelFilesResult {
  /** The snapshot folder the files are in, under their repo paths. */
  root: string;
  commit: string;
}

/** A model repo or one of its files that could not be fetched. */
export class ModelFetchError extends HubCallError {
  constructor(
    repoId: string,
    message: string,
    options: Omit<HubFailureContext, "repoId"> & { retryable: boolean },
  ) {
    const { retryable, ...context } = options;
    super(`model ${repoId}: ${message}`, { ...context, repoId }, retryable);
    this.name = "ModelFetchError";
  }
}

export async function fetchModelFiles(
  params: FetchModelFilesParams,
): Promise<FetchModelFilesResult> {
  const { repoId } = params;
  const hubUrl = resolveHubEndpoint(params.hubUrl);
  const accessToken = (params.accessToken ?? process.env.HF_TOKEN) || undefined;
  const revision = params.revision ?? "main";
  const baseFetch = params.fetch ?? fetch;
  const hubFetch = strictFetch(baseFetch, params.signal);
  const policy = retryPolicy(params);
  const cache = new RepoCache(params.cacheDir ?? defaultHubCacheDir(), "model", repoId);
  const retry = <T>(what: string, request: () => Promise<T>) =>
    retryTransient(request, policy, {
      permanent: (error) => explain(error, repoId, what, accessToken !== undefined),
      exhausted: (error, attempts) =>
        new ModelFetchError(repoId, `${what} failed ${attempts} times; try again later`, {
          retryable: true,
          cause: error,
        }),
    });

  const info = await retry(`resolving revision '${revision}'`, () =>
    modelInfo({
      name: repoId,
      revision,
      additionalFields: ["sha"],
      hubUrl,
      accessToken,
      fetch: hubFetch,
    }),
  );
  const commit = info.sha;
  if (typeof commit !== "string" || !/^[0-9a-f]{40}$/.test(commit)) {
    throw new ModelFetchError(repoId, `revision '${revision}' has no commit to read`, {
      retryable: false,
    });
  }
  if (revision !== commit) await cache.writeRef(revision, commit);

  const listed = await retry("listing its files", async () => {
    const found = new Map<string, ListedFile>();
    const entries = await listRepoFiles({
      repo: { type: "model", name: repoId },
      revision: commit,
      hubUrl,
      accessToken,
      fetch: hubFetch,
    });
    for (const entry of entries) {
      // The etag names a file in blobs/: nothing but the hex digest the Hub gives will do.
      const etag = entry.lfs?.oid ?? entry.oid ?? "";
      if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(etag)) {
        throw new ModelFetchError(repoId, `the Hub listed ${entry.path} with no usable oid`, {
          retryable: true,
        });
      }
      found.set(entry.path, { path: entry.path, size: entry.size, etag, lfs: !!entry.lfs });
    }
    return found;
  });

  const missing = params.files.filter((path) => !listed.has(path));
  if (missing.length > 0) {
    throw new ModelFetchError(
      repoId,
      `has no ${missing.join(", ")} at ${commit.slice(0, 8)}; name a repo that holds them`,
      { retryable: false },
    );
  }

  const extra = [...listed.keys()].filter(
    (path) => !params.files.includes(path) && params.alsoFiles?.(path),
  );
  for (const path of [...params.files, ...extra]) {
    const file = listed.get(path) as ListedFile;
    if (await cache.hasSnapshotFile(commit, path)) continue;
    if (!(await cache.hasBlob(file.etag))) {
      const encoded = path.split("/").map(encodeURIComponent).join("/");
      await retry(`downloading ${path}`, () =>
        downloadBlob({
          cache,
          file,
          url: `${hubUrl}/${repoId}/resolve/${commit}/${encoded}`,
          accessToken,
          fetch: strictFetch(baseFetch, params.signal),
          onBytes: () => {},
        }),
      );
    }
    await cache.linkSnapshotFile(commit, path, file.etag);
  }
  return { root: cache.snapshotFolder(commit), commit };
}

/** A permanent answer, said with what to do about it. */
function explain(error: unknown, repoId: string, what: string, tokenGiven: boolean): unknown {
  if (!(error instanceof HubResponseError)) return error;
  const { httpStatus, requestId } = error;
  const access = tokenGiven
    ? "the token given may not read it"
    : "set HF_TOKEN to a token that may read it";
  let reason = `the Hub answered ${httpStatus}${error.hubMessage ? `: ${error.hubMessage}` : ""}`;
  if (httpStatus === 401 || httpStatus === 403) reason = `it is private or gated: ${access}`;
  if (httpStatus === 404) reason = `no such repo or revision (if it is private, ${access})`;
  return new ModelFetchError(repoId, `${what} failed: ${reason}`, {
    retryable: false,
    cause: error,
    httpStatus,
    requestId,
  });
}

/** The local path of a fetched file. */
export function fetchedPath(result: FetchModelFilesResult, path: string): string {
  return join(result.root, ...path.split("/"));
}
