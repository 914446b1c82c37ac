/**
 * The Hugging Face cache on disk, laid out as huggingface_hub writes it, so that a box where
 * Python tools (or an earlier job) already fetched a dataset does not fetch it again:
 *
 *   <cacheDir>/datasets--<owner>--<name>/
 *     blobs/<etag>                    file contents, named by sha256 (LFS) or git blob id
 *     snapshots/<commit>/<path>       relative symlinks into blobs/
 *     refs/<revision>                 the commit a branch or tag pointed at, no newline
 */
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { homedir, hostname } from "node:os";
import { dirname, join, relative } from "node:path";

export type HubRepoType = "dataset" | "model";

/** Names this process in the partial files it writes. */
const OWNER = `${hostname()}-${process.pid}`;

/** The cache huggingface_hub would use with this environment. */
export function defaultHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return explicit;

  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(env.HF_HOME || join(cacheHome, "huggingface"), "hub");
}

/** One repo's corner of the cache. */
export class RepoCache {
  /** `<cacheDir>/<type>s--<owner>--<name>`. */
  readonly folder: string;

  constructor(cacheDir: string, type: HubRepoType, repoId: string) {
    this.folder = join(cacheDir, [`${type}s`, ...repoId.split("/")].join("--"));
  }

  snapshotFolder(commit: string): string {
    return join(this.folder, "snapshots", commit);
  }

  blobFile(etag: string): string {
    return join(this.folder, "blobs", etag);
  }

  /**
   * Where this process keeps a download in progress, so a retry can resume it. The name holds
   * the host and process id because workers on one box (one per GPU) share the cache and no
   * lock: each writes its own partial file.
   */
  incompleteFile(etag: string): string {
    return `${this.blobFile(etag)}.${OWNER}.incomplete`;
  }

  /**
   * Takes over a partial download of `etag` that a worker on this host left when it died, so a
   * requeued job resumes it instead of starting over; partials of live workers are left alone.
   */
  async adoptAbandonedPartial(etag: string): Promise<void> {
    const ours = this.incompleteFile(etag);
    const blobs = dirname(ours);
    const names = await readdir(blobs).catch(() => []);
    const pattern = new RegExp(`^${etag}\\.${escapeRegExp(hostname())}-(\\d+)\\.incomplete$`);
    for (const name of names) {
      const pid = Number(pattern.exec(name)?.[1]);
      if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;

      // Two workers may race for it; the rename lets one win, the loser starts afresh.
      if (!(await exists(ours, lstat))) await rename(join(blobs, name), ours).catch(() => {});
      await rm(join(blobs, name), { force: true });
    }
  }

  /** The commit `revision` pointed at when last resolved, if the cache remembers it. */
  async readRef(revision: string): Promise<string | undefined> {
    try {
      return (await readFile(join(this.folder, "refs", revision), "utf8")).trim();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async writeRef(revision: string, commit: string): Promise<void> {
    const refFile = join(this.folder, "refs", revision);
    await mkdir(dirname(refFile), { recursive: true });
    await writeFile(refFile, commit);
  }

  /** True when the snapshot of `commit` holds `path` and its blob is there. */
  async hasSnapshotFile(commit: string, path: string): Promise<boolean> {
    return exists(join(this.snapshotFolder(commit), path), stat);
  }

  async hasBlob(etag: string): Promise<boolean> {
    return exists(this.blobFile(etag), lstat);
  }

  /** Points `snapshots/<commit>/<path>` at `blobs/<etag>` with a relative link, as Python does. */
  async linkSnapshotFile(commit: string, path: string, etag: string): Promise<void> {
    const pointer = join(this.snapshotFolder(commit), path);
    await mkdir(dirname(pointer), { recursive: true });
    await rm(pointer, { force: true });
    try {
      await symlink(relative(dirname(pointer), this.blobFile(etag)), pointer);
    } catch (error) {
      // Another worker on this box linked the same file between the rm and here.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

async function exists(path: string, probe: typeof stat): Promise<boolean> {
  try {
    await probe(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** True when `pid` runs on this host (a process of another user counts). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
