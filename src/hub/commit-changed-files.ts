/**
 * One idempotent commit: the files a branch does not already hold byte for byte, and nothing
 * when it holds them all. Each try first lists the branch and compares content hashes (the
 * sha256 an LFS file is stored under, the git blob id of any other), so a redelivered job, or a
 * retry after a commit whose answer was lost, never commits the same files twice.
 */
import { createHash } from "node:crypto";
import { createReadStream, openAsBlob } from "node:fs";
import { type CommitOperation, commitIter, type ListFileEntry } from "@huggingface/hub";
import { listRepoFiles } from "./list-repo-files.js";
import { MissingRunFileError } from "./upload-errors.js";
import { retryUpload, type UploadSession } from "./upload-session.js";

export interface UploadFile {
  /** Where the file goes in the repo, `/`-separated. */
  path: string;
  /** Where it is on this machine. */
  localPath: string;
}

export type UploadProgress =
  | { phase: "preuploading" | "uploadingLargeFiles" | "committing" }
  | { path: string; state: "hashing" | "uploading"; fraction: number };

export interface CommitChangedFilesParams {
  session: UploadSession;
  branch: string;
  files: UploadFile[];
  /** The commit's title. */
  title: string;
  onProgress?: (progress: UploadProgress) => void;
}

export interface CommitChangedFilesResult {
  /** Sha of the commit made; undefined when the branch held every file already. */
  commit?: string;
  /** Repo paths sent in the commit. */
  uploaded: string[];
  /** Repo paths the branch held with the same content. */
  unchanged: string[];
}

/** A file to upload, with its size and the two digests the Hub may know it by. */
interface LocalFile {
  path: string;
  localPath: string;
  size: number;
  sha256: string;
  gitBlobOid: string;
}

export async function commitChangedFiles(
  params: CommitChangedFilesParams,
): Promise<CommitChangedFilesResult> {
  const { session, branch } = params;
  const local = await Promise.all(params.files.map((file) => hashLocalFile(session, file)));

  return retryUpload(session, `committing to ${branch}`, async () => {
    const remote = await listBranch(session, branch);
    const changed = local.filter((file) => !sameContent(file, remote.get(file.path)));
    const unchanged = local.filter((file) => !changed.includes(file)).map((file) => file.path);
    if (changed.length === 0) return { uploaded: [], unchanged };

    const commit = await commitFiles(params, changed);
    return { commit, uploaded: changed.map((file) => file.path), unchanged };
  });
}

/** Reads the file once, streaming, for its size, sha256 and git blob id. */
async function hashLocalFile(session: UploadSession, file: UploadFile): Promise<LocalFile> {
  const { size } = await openAsBlob(file.localPath).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    const { repoId, hubUrl } = session.target;
    const what = `uploading ${file.path}`;
    throw new MissingRunFileError({ repoId, hubUrl, what, path: file.localPath, cause: error });
  });
  const sha256 = createHash("sha256");
  const gitBlob = createHash("sha1").update(`blob ${size}\0`);
  for await (const chunk of createReadStream(file.localPath)) {
    sha256.update(chunk as Buffer);
    gitBlob.update(chunk as Buffer);
  }
  return {
    path: file.path,
    localPath: file.localPath,
    size,
    sha256: sha256.digest("hex"),
    gitBlobOid: gitBlob.digest("hex"),
  };
}

/** Every file on the branch, by path. */
async function listBranch(
  session: UploadSession,
  branch: string,
): Promise<Map<string, ListFileEntry>> {
  const { target } = session;
  const files = await listRepoFiles({
    repo: { type: "model", name: target.repoId },
    revision: branch,
    hubUrl: target.hubUrl,
    accessToken: target.accessToken,
    fetch: session.fetch,
  });
  return new Map(files.map((file) => [file.path, file]));
}

function sameContent(file: LocalFile, remote: ListFileEntry | undefined): boolean {
  if (remote === undefined) return false;
  if (remote.lfs !== undefined) {
    return remote.lfs.oid === file.sha256 && remote.lfs.size === file.size;
  }
  return remote.oid === file.gitBlobOid;
}

/** Commits `files` on the branch and returns the new commit's sha. */
async function commitFiles(params: CommitChangedFilesParams, files: LocalFile[]): Promise<string> {
  const { session, branch, onProgress } = params;
  const { target } = session;
  // Blobs backed by the files: the bytes are read from disk as they are sent.
  const operations: CommitOperation[] = await Promise.all(
    files.map(async (file) => ({
      operation: "addOrUpdate" as const,
      path: file.path,
      content: await openAsBlob(file.localPath),
    })),
  );

  const events = commitIter({
    repo: { type: "model", name: target.repoId },
    operations,
    title: params.title,
    branch,
    hubUrl: target.hubUrl,
    accessToken: target.accessToken,
    fetch: session.fetch,
  });
  for (;;) {
    const next = await events.next();
    if (next.done) return next.value?.commit.oid ?? "";

    const event = next.value;
    if (event.event === "phase") onProgress?.({ phase: event.phase });
    else if (event.state !== "error") {
      onProgress?.({ path: event.path, state: event.state, fraction: event.progress });
    }
  }
}
