/**
 * Fetching a LeRobot dataset from the Hugging Face Hub into the Hugging Face cache: resolve the
 * revision to a commit, list the commit's files, check `meta/info.json`, then fetch what training
 * reads (see training-files.ts). A file whose snapshot link for that commit is already in the
 * cache is not fetched again, whoever put it there, this worker or the Python tools.
 *
 * @huggingface/hub resolves the revision and lists the files. The content is fetched here, not
 * by its `downloadFileToCacheDir`: that one prints a line to stdout per file (our stdout carries
 * JSON log lines only), asks `paths-info` and probes each file before the download, reports no
 * bytes as they come and writes no `refs/`.
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { datasetInfo } from "@huggingface/hub";
import { resolveHubEndpoint } from "../hub/hub-endpoint.js";
import { strictFetch } from "../hub/hub-response-error.js";
import { listRepoFiles } from "../hub/list-repo-files.js";
import { type RetryParams, type RetryPolicy, retryPolicy } from "../hub/retry-transient.js";
import { checkDatasetInfo } from "./check-dataset-info.js";
import { type BlobDownload, downloadBlob, type ListedFile } from "./download-blob.js";
import {
  CacheWriteError,
  DatasetAccessError,
  DatasetFetchError,
  NotLeRobotDatasetError,
} from "./fetch-errors.js";
import { type FetchProgress, ProgressTally } from "./fetch-progress.js";
import { forEachConcurrently } from "./for-each-concurrently.js";
import { defaultHubCacheDir, RepoCache } from "./hub-cache.js";
import { type HubCallContext, retryHubRequest } from "./retry-hub-request.js";
import { isTrainingFile, unsafePathReason } from "./training-files.js";

export type { FetchProgress } from "./fetch-progress.js";

export interface FetchDatasetParams extends RetryParams {
  /** `owner/name` of a dataset repo. */
  repoId: string;
  /** Branch, tag or commit sha. @default "main" */
  revision?: string;
  /** Video feature keys in use, e.g. `observation.images.main`; undefined fetches every camera. */
  cameras?: string[];
  /** @default process.env.HF_ENDPOINT, else https://huggingface.co */
  hubUrl?: string;
  /** The job's token; `""` sends none. @default process.env.HF_TOKEN */
  accessToken?: string;
  /** @default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub */
  cacheDir?: string;
  onProgress?: (progress: FetchProgress) => void;
  /** Files downloaded at once. @default 8 */
  concurrency?: number;
  /** The `fetch` requests go through. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface FetchDatasetResult {
  /** The snapshot folder to read the dataset from. */
  root: string;
  repoId: string;
  revision: string;
  /** The commit sha the revision resolved to. */
  commit: string;
  /** Repo-relative paths of the files fetched or found in the cache, sorted. */
  files: string[];
}

/** One fetch's settings, resolved from the params and the environment. */
interface HubSession {
  repoId: string;
  revision: string;
  hubUrl: string;
  accessToken?: string;
  cache: RepoCache;
  policy: RetryPolicy;
  /** The caller's fetch, made strict and abortable by the job's signal. */
  fetch: typeof fetch;
  baseFetch: typeof fetch;
  signal?: AbortSignal;
  concurrency: number;
}

export async function fetchDataset(params: FetchDatasetParams): Promise<FetchDatasetResult> {
  const session = openSession(params);
  try {
    return await fetchIntoCache(session, params);
  } catch (error) {
    throw cacheWriteFailure(error, session) ?? error;
  }
}

async function fetchIntoCache(
  session: HubSession,
  params: FetchDatasetParams,
): Promise<FetchDatasetResult> {
  const commit = await resolveCommit(session);
  if (session.revision !== commit) await session.cache.writeRef(session.revision, commit);

  // The listing says which files exist; info.json is fetched and checked before any data.
  const listed = await listCommitFiles(session, commit);
  const infoFile = listed.find((file) => file.path === "meta/info.json");
  if (infoFile === undefined) {
    throw new NotLeRobotDatasetError({
      ...failureContext(session),
      reason: "the repo has no meta/info.json",
    });
  }
  await fetchFile(session, commit, infoFile, () => {});
  const root = session.cache.snapshotFolder(commit);
  const infoText = await readFile(join(root, "meta/info.json"), "utf8");
  checkDatasetInfo(infoText, session.repoId, params.cameras);

  const wanted = listed.filter((file) => isTrainingFile(file.path, params.cameras));
  await fetchFiles(session, commit, wanted, params.onProgress);
  return {
    root,
    repoId: session.repoId,
    revision: session.revision,
    commit,
    files: wanted.map((file) => file.path).sort(),
  };
}

function openSession(params: FetchDatasetParams): HubSession {
  const hubUrl = resolveHubEndpoint(params.hubUrl);
  const accessToken = (params.accessToken ?? process.env.HF_TOKEN) || undefined;
  const session: HubSession = {
    repoId: params.repoId,
    revision: params.revision ?? "main",
    hubUrl,
    accessToken,
    cache: new RepoCache(params.cacheDir ?? defaultHubCacheDir(), "dataset", params.repoId),
    policy: retryPolicy(params),
    fetch: strictFetch(params.fetch ?? fetch, params.signal),
    baseFetch: params.fetch ?? fetch,
    signal: params.signal,
    concurrency: Math.max(1, params.concurrency ?? 8),
  };

  // @huggingface/hub throws a bare TypeError for such a token; this says what to do instead.
  if (accessToken !== undefined && !accessToken.startsWith("hf_")) {
    throw new DatasetAccessError({
      ...failureContext(session),
      reason: "the token given is not a Hub token (Hub tokens start with 'hf_')",
    });
  }
  return session;
}

function failureContext(session: HubSession, what = ""): HubCallContext {
  return {
    repoId: session.repoId,
    hubUrl: session.hubUrl,
    revision: session.revision,
    tokenGiven: session.accessToken !== undefined,
    what,
  };
}

async function resolveCommit(session: HubSession): Promise<string> {
  const context = failureContext(session, `resolving revision '${session.revision}'`);
  const info = await retryHubRequest(
    () =>
      datasetInfo({
        name: session.repoId,
        revision: session.revision,
        additionalFields: ["sha"],
        hubUrl: session.hubUrl,
        accessToken: session.accessToken,
        fetch: session.fetch,
      }),
    session.policy,
    context,
  );
  if (typeof info.sha !== "string" || !/^[0-9a-f]{40}$/.test(info.sha)) {
    throw new NotLeRobotDatasetError({ ...context, reason: "the repo has no commit to read" });
  }
  return info.sha;
}

async function listCommitFiles(session: HubSession, commit: string): Promise<ListedFile[]> {
  const context = failureContext(session, "listing its files");
  const entries = await retryHubRequest(
    () =>
      listRepoFiles({
        repo: { type: "dataset", name: session.repoId },
        revision: commit,
        hubUrl: session.hubUrl,
        accessToken: session.accessToken,
        fetch: session.fetch,
      }),
    session.policy,
    context,
  );

  return entries.map((entry) => {
    const unsafe = unsafePathReason(entry.path);
    if (unsafe !== undefined) {
      const reason = `its listing holds the path '${entry.path}', which is unsafe: ${unsafe}`;
      throw new NotLeRobotDatasetError({ ...context, reason });
    }
    // The etag names a file in blobs/, so it must be the hex digest the Hub gives, nothing else.
    const etag = entry.lfs?.oid ?? entry.oid ?? "";
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(etag)) {
      const message = `dataset ${session.repoId}: the Hub listed ${entry.path} with no usable oid`;
      throw new DatasetFetchError(
        `${message} (${JSON.stringify(etag)}); try again later`,
        context,
        true,
      );
    }
    return { path: entry.path, size: entry.size, etag, lfs: entry.lfs !== undefined };
  });
}

/** Fetches `files` a few at a time; the first failure stops the others and is thrown. */
async function fetchFiles(
  session: HubSession,
  commit: string,
  files: ListedFile[],
  onProgress: ((progress: FetchProgress) => void) | undefined,
): Promise<void> {
  const progress = new ProgressTally(files, onProgress);
  await forEachConcurrently(files, session.concurrency, async (file, laneSignal) => {
    // A failed file cancels the downloads in flight beside it, not only those not yet begun.
    const signal = session.signal ? AbortSignal.any([session.signal, laneSignal]) : laneSignal;
    await fetchFile(session, commit, file, (bytes) => progress.bytes(file, bytes), signal);
    progress.done(file);
  });
}

/** Makes `snapshots/<commit>/<path>` point at the file's blob, downloading it if need be. */
async function fetchFile(
  session: HubSession,
  commit: string,
  file: ListedFile,
  onBytes: (bytesOnDisk: number) => void,
  signal = session.signal,
): Promise<void> {
  const { cache } = session;
  if (await cache.hasSnapshotFile(commit, file.path)) return;

  if (!(await cache.hasBlob(file.etag))) {
    const download: BlobDownload = {
      cache,
      file,
      url: resolveUrl(session, commit, file.path),
      accessToken: session.accessToken,
      fetch: strictFetch(session.baseFetch, signal),
      onBytes,
    };
    const context = failureContext(session, `downloading ${file.path}`);
    await retryHubRequest(() => downloadBlob(download), session.policy, context);
  }
  await cache.linkSnapshotFile(commit, file.path, file.etag);
}

/** A full, read-only or foreign cache folder, said with where it is and what to do. */
function cacheWriteFailure(error: unknown, session: HubSession): CacheWriteError | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== "ENOSPC" && code !== "EACCES" && code !== "EROFS" && code !== "EPERM") return;
  return new CacheWriteError({
    repoId: session.repoId,
    folder: session.cache.folder,
    cause: error,
  });
}

function resolveUrl(session: HubSession, commit: string, path: string): string {
  const encodedPath = path.split("/").map(encodeURIComponent).join("/");
  return `${session.hubUrl}/datasets/${session.repoId}/resolve/${commit}/${encodedPath}`;
}
