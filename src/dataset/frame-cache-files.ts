/**
 * The frame cache on disk. For each key (repo id, revision, camera, target size) there are
 * two files in the cache folder, named after the key and a hash of it:
 *
 *   lerobot--pusht.observation.images.top.96x96.3f9a0c1d2e4b5a67.rgb   (frames, H, W, 3) uint8
 *   lerobot--pusht.observation.images.top.96x96.3f9a0c1d2e4b5a67.json  the sidecar
 *
 * The pixels are written to a temporary file beside them and renamed into place only once
 * every episode decoded and passed its timestamp check; the sidecar, written after, records
 * the inode of the pixel file it describes. A build killed at any point therefore leaves
 * either no cache or one whose sidecar does not match it, and the next build starts over.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  type FileHandle,
  open,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
  writeFile,
} from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { FrameSize, VideoSegment } from "./video-segment.js";

export const SIDECAR_FORMAT = "robotrain-frame-cache/1";

export interface FrameCacheKey {
  /** Hub repo id of the dataset, e.g. `lerobot/pusht`. */
  repoId: string;
  /** The dataset's commit or tag the videos come from. */
  revision: string;
  /** The video feature, e.g. `observation.images.top`. */
  camera: string;
}

export interface FrameCacheFiles {
  cacheDir: string;
  /** Key, size token and hash: the name of both files without extension. */
  baseName: string;
  /** (frames, H, W, 3) uint8 RGB */
  pixelsPath: string;
  sidecarPath: string;
}

export interface SidecarSegment {
  episodeIndex: number;
  /** Absolute path of the video at build time. */
  path: string;
  fromTimestamp: number;
  frames: number;
  /** Row of the cache holding the episode's first frame. */
  firstRow: number;
  /** sha256 of the timestamps as float64, hex. */
  timestampsSha256: string;
}

export interface FrameCacheSidecar {
  format: typeof SIDECAR_FORMAT;
  key: FrameCacheKey;
  /** The size frames were scaled to; null when they kept the videos' own size. */
  resize: FrameSize | null;
  layout: "(frames, height, width, 3) uint8 RGB, row-major";
  frames: number;
  height: number;
  width: number;
  fps: number;
  pixelsFile: string;
  pixelsBytes: number;
  /** Inode of the pixel file this sidecar describes: a file renamed over it has another. */
  pixelsInode: number;
  /** sha256 over fps and every segment's identity, hex: what a later build must match. */
  segmentsSha256: string;
  segments: SidecarSegment[];
  createdAt: string;
}

/** Characters safe in a file name on every filesystem we run on; the rest become `_`. */
function slug(text: string): string {
  return text
    .replaceAll("/", "--")
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .slice(0, 80);
}

export function frameCacheFiles(
  cacheDir: string,
  key: FrameCacheKey,
  resize: FrameSize | undefined,
): FrameCacheFiles {
  const sizeToken = resize ? `${resize.width}x${resize.height}` : "native";
  // The hash covers the whole key: names are truncated, and revisions are not in the name.
  const hash = createHash("sha256")
    .update(JSON.stringify([key.repoId, key.revision, key.camera, sizeToken]))
    .digest("hex")
    .slice(0, 16);
  const baseName = `${slug(key.repoId)}.${slug(key.camera)}.${sizeToken}.${hash}`;
  return {
    cacheDir,
    baseName,
    pixelsPath: join(cacheDir, `${baseName}.rgb`),
    sidecarPath: join(cacheDir, `${baseName}.json`),
  };
}

/** The segments as the sidecar records them, rows assigned in segment order. */
export function describeSegments(segments: readonly VideoSegment[]): SidecarSegment[] {
  let firstRow = 0;
  return segments.map((segment) => {
    const timestamps = Float64Array.from(segment.timestamps);
    const described = {
      episodeIndex: segment.episodeIndex,
      path: resolve(segment.path),
      fromTimestamp: segment.fromTimestamp,
      frames: segment.timestamps.length,
      firstRow,
      timestampsSha256: createHash("sha256")
        .update(new Uint8Array(timestamps.buffer))
        .digest("hex"),
    };
    firstRow += described.frames;
    return described;
  });
}

export function segmentsSha256(fps: number, segments: readonly SidecarSegment[]): string {
  return createHash("sha256").update(JSON.stringify({ fps, segments })).digest("hex");
}

/**
 * The sidecar of a complete cache for exactly this key, size and segments, or null when
 * there is none (missing, from an older format, for other segments, or not describing the
 * pixel file now in place).
 */
export async function findReusableFrameCache(
  files: FrameCacheFiles,
  expected: { key: FrameCacheKey; resize: FrameSize | null; segmentsSha256: string },
): Promise<FrameCacheSidecar | null> {
  let sidecar: FrameCacheSidecar;
  try {
    sidecar = JSON.parse(await readFile(files.sidecarPath, "utf8")) as FrameCacheSidecar;
  } catch {
    // Absent or half-written: either way there is nothing to reuse.
    return null;
  }
  const sameKey =
    sidecar.format === SIDECAR_FORMAT &&
    JSON.stringify(sidecar.key) ===
      JSON.stringify({
        repoId: expected.key.repoId,
        revision: expected.key.revision,
        camera: expected.key.camera,
      }) &&
    JSON.stringify(sidecar.resize) === JSON.stringify(expected.resize) &&
    sidecar.segmentsSha256 === expected.segmentsSha256;
  if (!sameKey) return null;

  try {
    const pixels = await stat(files.pixelsPath);
    if (pixels.ino !== sidecar.pixelsInode || pixels.size !== sidecar.pixelsBytes) return null;
  } catch {
    return null;
  }
  return sidecar;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// `<baseName>.rgb.<pid>-<random>.tmp` and `<baseName>.json.<pid>-<random>.tmp`
const TEMP_NAME = /\.(\d+)-[0-9a-f]+\.tmp$/;

/** Deletes temporary files of this key left by builds whose process has died. */
export async function removeAbandonedTempFiles(files: FrameCacheFiles): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(files.cacheDir)) {
    const match = TEMP_NAME.exec(name);
    if (!name.startsWith(`${files.baseName}.`) || !match) continue;
    if (processIsAlive(Number(match[1]))) continue;
    await unlink(join(files.cacheDir, name)).catch(() => {});
    removed.push(name);
  }
  return removed;
}

function tempPathFor(path: string): string {
  return `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
}

/**
 * Pushes pixels already written to disk while later episodes still decode, so the fsync
 * before the rename has little left to do (the kernel alone would start only once gigabytes
 * are dirty). Its errors are left to that final fsync, which reports them.
 */
export class BackgroundFlush {
  private inFlight: Promise<void> | null = null;

  constructor(private readonly handle: FileHandle) {}

  /** Starts a flush of everything written so far, unless one is already running. */
  request(): void {
    if (this.inFlight) return;
    this.inFlight = this.handle
      .datasync()
      .catch(() => {})
      .finally(() => {
        this.inFlight = null;
      });
  }

  async settle(): Promise<void> {
    await this.inFlight;
  }
}

export interface TempPixelsFile {
  path: string;
  handle: FileHandle;
  inode: number;
  flush: BackgroundFlush;
}

/** A new, sparse temporary pixel file of `bytes` bytes, to be written at row offsets. */
export async function createTempPixelsFile(
  files: FrameCacheFiles,
  bytes: number,
): Promise<TempPixelsFile> {
  const path = tempPathFor(files.pixelsPath);
  const handle = await open(path, "wx");
  try {
    await handle.truncate(bytes);
    const { ino } = await handle.stat();
    return { path, handle, inode: ino, flush: new BackgroundFlush(handle) };
  } catch (error) {
    await handle.close();
    await unlink(path).catch(() => {});
    throw error;
  }
}

/** Removes a temporary pixel file after a failed build; never throws over the build's error. */
export async function discardTempPixelsFile(temp: TempPixelsFile): Promise<void> {
  await temp.flush.settle();
  await temp.handle.close().catch(() => {});
  await unlink(temp.path).catch(() => {});
}

/**
 * Makes a complete build the cache: flushes the pixels to disk (a rename that lands before
 * its data could leave zeros behind a valid-looking sidecar after a power cut), renames them
 * into place, then writes the sidecar the same way.
 */
export async function commitFrameCache(
  files: FrameCacheFiles,
  temp: TempPixelsFile,
  sidecar: Omit<FrameCacheSidecar, "pixelsFile" | "pixelsInode" | "createdAt">,
): Promise<FrameCacheSidecar> {
  await temp.flush.settle();
  await temp.handle.sync();
  await temp.handle.close();
  await rename(temp.path, files.pixelsPath);

  const complete: FrameCacheSidecar = {
    ...sidecar,
    pixelsFile: basename(files.pixelsPath),
    pixelsInode: temp.inode,
    createdAt: new Date().toISOString(),
  };
  const sidecarTemp = tempPathFor(files.sidecarPath);
  await writeFile(sidecarTemp, `${JSON.stringify(complete, null, 2)}\n`);
  await rename(sidecarTemp, files.sidecarPath);
  return complete;
}
