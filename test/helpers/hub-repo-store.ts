/**
 * The repos a test Hub serves: each one a chain of commits, each commit a full snapshot of its
 * files, kept in memory. Files are stored the way the Hub stores them, so listings can report
 * what the real Hub reports: a git blob id for every file and, for large or binary files, the
 * Git LFS pointer and the sha256 of the content.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";

export type HubRepoType = "dataset" | "model";

export interface HubLfsInfo {
  /** sha256 of the content, hex. */
  oid: string;
  /** Size of the content, in bytes. */
  size: number;
  /** Size of the pointer file git holds in its place, in bytes. */
  pointerSize: number;
}

export interface HubFile {
  path: string;
  content: Buffer;
  /** Git blob id (sha1) of what git holds: the content, or its LFS pointer. */
  oid: string;
  lfs?: HubLfsInfo;
}

export interface HubCommit {
  /** 40 hex digits, a function of the parent, the title and the files alone. */
  sha: string;
  parent?: string;
  title: string;
  date: Date;
  files: Map<string, HubFile>;
}

export interface HubRepo {
  type: HubRepoType;
  /** `owner/name`. */
  id: string;
  private: boolean;
  /** The bearer token that may read a private repo. */
  token?: string;
  /** Branch name to the sha of its head commit. */
  branches: Map<string, string>;
  commits: Map<string, HubCommit>;
  createdAt: Date;
}

/**
 * Extensions the Hub's default `.gitattributes` sends through Git LFS; the Hub also refuses
 * files over 10 MB outside LFS.
 */
const LFS_EXTENSIONS = new Set([
  ".7z",
  ".arrow",
  ".avi",
  ".bin",
  ".ckpt",
  ".gz",
  ".h5",
  ".jpeg",
  ".jpg",
  ".mkv",
  ".mov",
  ".mp4",
  ".npy",
  ".npz",
  ".onnx",
  ".parquet",
  ".pkl",
  ".png",
  ".pt",
  ".pth",
  ".safetensors",
  ".tar",
  ".webm",
  ".zip",
]);
const LFS_SIZE_THRESHOLD = 10 * 1024 * 1024;

export function isLfsPath(path: string, size: number): boolean {
  const dot = path.lastIndexOf(".");
  return size > LFS_SIZE_THRESHOLD || (dot >= 0 && LFS_EXTENSIONS.has(path.slice(dot)));
}

/** Git's id of a blob: sha1 over `blob <size>\0` and the bytes. */
export function gitBlobOid(bytes: Buffer): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

export function hubFile(path: string, content: Buffer, lfs = isLfsPath(path, content.length)) {
  if (!lfs) return { path, content, oid: gitBlobOid(content) } satisfies HubFile;

  const sha256 = createHash("sha256").update(content).digest("hex");
  const pointer = Buffer.from(
    `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${content.length}\n`,
  );
  return {
    path,
    content,
    oid: gitBlobOid(pointer),
    lfs: { oid: sha256, size: content.length, pointerSize: pointer.length },
  } satisfies HubFile;
}

/** Every file under `folder`, keyed by its path relative to it with `/` separators. */
export async function readFolderFiles(folder: string): Promise<Map<string, Buffer>> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = new Map<string, Buffer>();
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const absolute = join(entry.parentPath, entry.name);
    files.set(relative(folder, absolute).split(sep).join("/"), await readFile(absolute));
  }
  return files;
}

export class HubRepoStore {
  private readonly repos = new Map<string, HubRepo>();

  /** Creates an empty repo; a repo of the same type and id must not exist yet. */
  create(type: HubRepoType, id: string, access: { private?: boolean; token?: string } = {}) {
    const key = repoKey(type, id);
    if (this.repos.has(key)) throw new Error(`the test Hub already has ${type} repo ${id}`);

    const repo: HubRepo = {
      type,
      id,
      private: access.private ?? false,
      token: access.token,
      branches: new Map(),
      commits: new Map(),
      createdAt: new Date(),
    };
    this.repos.set(key, repo);
    return repo;
  }

  get(type: HubRepoType, id: string): HubRepo | undefined {
    return this.repos.get(repoKey(type, id));
  }

  delete(type: HubRepoType, id: string): boolean {
    return this.repos.delete(repoKey(type, id));
  }

  /**
   * Makes a commit on `branch` whose snapshot is its parent's files with `changes` applied
   * (a `null` content deletes the path), and moves the branch to it.
   */
  commit(
    repo: HubRepo,
    branch: string,
    changes: Map<string, HubFile | null>,
    title: string,
  ): HubCommit {
    const parent = repo.branches.get(branch);
    const files = new Map(parent === undefined ? [] : repo.commits.get(parent)?.files);
    for (const [path, file] of changes) {
      if (file === null) files.delete(path);
      else files.set(path, file);
    }

    const sha = commitSha(repo, parent, title, files);
    const commit: HubCommit = { sha, parent, title, date: new Date(), files };
    repo.commits.set(sha, commit);
    repo.branches.set(branch, sha);
    return commit;
  }

  /** The commit a revision names: a branch, a full commit sha, or `HEAD` (that of `main`). */
  resolve(repo: HubRepo, revision: string): HubCommit | undefined {
    const branch = revision === "HEAD" ? "main" : revision;
    const sha = repo.branches.get(branch) ?? revision;
    return repo.commits.get(sha);
  }

  /** The oldest commit, walking back from `commit`, since which `path` has not changed. */
  lastChange(repo: HubRepo, commit: HubCommit, path: string): HubCommit {
    const oid = commit.files.get(path)?.oid;
    let last = commit;
    for (;;) {
      const parent = last.parent === undefined ? undefined : repo.commits.get(last.parent);
      if (parent === undefined || parent.files.get(path)?.oid !== oid) return last;
      last = parent;
    }
  }
}

function repoKey(type: HubRepoType, id: string): string {
  return `${type}s/${id}`;
}

function commitSha(
  repo: HubRepo,
  parent: string | undefined,
  title: string,
  files: Map<string, HubFile>,
): string {
  const hash = createHash("sha1").update(`${repo.type}\n${repo.id}\n${parent ?? ""}\n${title}\n`);
  for (const path of [...files.keys()].sort()) hash.update(`${path}\0${files.get(path)?.oid}\n`);
  return hash.digest("hex");
}
