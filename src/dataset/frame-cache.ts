/**
 * A camera's frames decoded once into a memory-mapped uint8 file that later jobs reuse:
 * training reads images from it in place and never decodes video on the hot path.
 *
 * buildFrameCache reads like its steps: check the parameters, reuse a complete cache with the
 * same key and segments, otherwise size the rows, decode every episode with ffmpeg into its
 * rows of a temporary file (episodes in parallel), check each decoded frame's timestamp, and
 * only then rename the file into place and map it. The layout on disk is in
 * frame-cache-files.ts.
 */
import { constants as bufferConstants } from "node:buffer";
import { mkdir, stat } from "node:fs/promises";
import { availableParallelism, homedir } from "node:os";
import { join } from "node:path";
import { CHANNELS, decodeSegment } from "./decode-video.js";
import type { SpawnProcess } from "./ffmpeg-process.js";
import { forEachConcurrently } from "./for-each-concurrently.js";
import {
  commitFrameCache,
  createTempPixelsFile,
  describeSegments,
  discardTempPixelsFile,
  type FrameCacheFiles,
  type FrameCacheKey,
  type FrameCacheSidecar,
  findReusableFrameCache,
  frameCacheFiles,
  removeAbandonedTempFiles,
  SIDECAR_FORMAT,
  type SidecarSegment,
  segmentsSha256,
  type TempPixelsFile,
} from "./frame-cache-files.js";
import { type FrameCacheProgress, FrameProgressMeter } from "./frame-progress.js";
import { mapFile } from "./mapped-file.js";
import { probeVideo } from "./probe-video.js";
import { FrameCacheError, VideoNotFoundError } from "./video-errors.js";
import type { FrameSize, VideoSegment } from "./video-segment.js";

export type { FrameCacheKey } from "./frame-cache-files.js";
export type { FrameCacheProgress } from "./frame-progress.js";
export type { FrameSize, VideoSegment } from "./video-segment.js";

/** LeRobot's own tolerance between a frame's timestamp and its video frame's, in seconds. */
export const DEFAULT_TOLERANCE_S = 1e-4;

export interface BuildFrameCacheParams {
  key: FrameCacheKey;
  /** The episodes to cache; their frames become the cache's rows in this order. */
  segments: VideoSegment[];
  /** The dataset's frames per second. */
  fps: number;
  /** Scale every frame to this size while decoding. @default the videos' own size */
  size?: FrameSize;
  /** Folder of the cache files; callers default it to defaultFrameCacheDir(). */
  cacheDir: string;
  /** Episodes decoded at once, one ffmpeg each. @default os.availableParallelism() */
  concurrency?: number;
  /** Largest accepted |video pts - dataset timestamp|, in seconds. @default 1e-4 */
  toleranceS?: number;
  onProgress?: (progress: FrameCacheProgress) => void;
  /** @default "ffmpeg" on the PATH */
  ffmpegPath?: string;
  /** @default "ffprobe" on the PATH */
  ffprobePath?: string;
  /** Starts the ffmpeg and ffprobe processes. @default child_process.spawn */
  spawnProcess?: SpawnProcess;
}

export interface FrameCache {
  /** The pixel file, mapped read-only into `pixels`. */
  path: string;
  /** Rows: every segment's frames, in segment order. */
  frames: number;
  height: number;
  width: number;
  /** (frames, height, width, 3) uint8 RGB, the mapped file. Read-only: a write is a SIGSEGV. */
  pixels: Uint8Array;
  /** True when a complete cache from an earlier build was used and nothing was decoded. */
  reused: boolean;
  /** The row of the episode's first frame. */
  episodeStart(episodeIndex: number): number;
  /** The episode's number of rows. */
  episodeFrames(episodeIndex: number): number;
}

/** `$ROBOTRAIN_HOME/frames`, or `~/.robotrain/frames`. */
export function defaultFrameCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.ROBOTRAIN_HOME ?? join(homedir(), ".robotrain"), "frames");
}

export async function buildFrameCache(params: BuildFrameCacheParams): Promise<FrameCache> {
  checkParams(params);
  const key = {
    repoId: params.key.repoId,
    revision: params.key.revision,
    camera: params.key.camera,
  };
  const resize = params.size ? { width: params.size.width, height: params.size.height } : null;

  // A complete cache for the same key and the same episodes is used as it is.
  await mkdir(params.cacheDir, { recursive: true });
  const files = frameCacheFiles(params.cacheDir, key, params.size);
  const segments = describeSegments(params.segments);
  const fingerprint = segmentsSha256(params.fps, segments);
  const reusable = await findReusableFrameCache(files, {
    key,
    resize,
    segmentsSha256: fingerprint,
  });
  if (reusable) return openFrameCache(files, reusable, true);

  await checkVideosExist(params);
  const frameSize = resize ?? (await nativeFrameSize(params));
  const frames = segments.reduce((total, segment) => total + segment.frames, 0);
  const frameBytes = frameSize.width * frameSize.height * CHANNELS;
  checkAddressable(frames, frameSize);

  // Decode into a temporary file; it becomes the cache only if every episode succeeds.
  await removeAbandonedTempFiles(files);
  const temp = await createTempPixelsFile(files, frames * frameBytes);
  try {
    await decodeEpisodes(params, { temp, frameSize, resize: resize !== null, segments });

    const sidecar = await commitFrameCache(files, temp, {
      format: SIDECAR_FORMAT,
      key,
      resize,
      layout: "(frames, height, width, 3) uint8 RGB, row-major",
      frames,
      height: frameSize.height,
      width: frameSize.width,
      fps: params.fps,
      pixelsBytes: frames * frameBytes,
      segmentsSha256: fingerprint,
      segments,
    });
    return openFrameCache(files, sidecar, false);
  } catch (error) {
    await discardTempPixelsFile(temp);
    throw error;
  }
}

/** Decodes every segment into its rows of the temporary file, `concurrency` ffmpegs at once. */
async function decodeEpisodes(
  params: BuildFrameCacheParams,
  target: {
    /** (frames, H, W, 3) the whole cache, being written. */
    temp: TempPixelsFile;
    frameSize: FrameSize;
    resize: boolean;
    segments: readonly SidecarSegment[];
  },
): Promise<void> {
  const { temp, frameSize, segments } = target;
  const frameBytes = frameSize.width * frameSize.height * CHANNELS;
  const frames = segments.reduce((total, segment) => total + segment.frames, 0);
  const progress = new FrameProgressMeter(frames, params.onProgress);
  const episodes = params.segments.map((segment, index) => ({
    segment,
    rows: segments[index] as SidecarSegment,
  }));

  await forEachConcurrently(
    episodes,
    params.concurrency ?? availableParallelism(),
    ({ segment, rows }, signal) =>
      decodeSegment({
        dataset: params.key.repoId,
        segment,
        frameSize,
        resize: target.resize,
        output: { handle: temp.handle, offset: rows.firstRow * frameBytes },
        fps: params.fps,
        toleranceS: params.toleranceS ?? DEFAULT_TOLERANCE_S,
        ffmpegPath: params.ffmpegPath,
        spawnProcess: params.spawnProcess,
        signal,
        onFrames: (count) => progress.add(count),
      }).then(() => temp.flush.request()),
  );
}

/** Maps a complete cache read-only and indexes its episodes. */
function openFrameCache(
  files: FrameCacheFiles,
  sidecar: FrameCacheSidecar,
  reused: boolean,
): FrameCache {
  const pixels = new Uint8Array(mapFile(files.pixelsPath));
  if (pixels.length !== sidecar.frames * sidecar.height * sidecar.width * CHANNELS) {
    throw new FrameCacheError(
      `frame cache ${files.pixelsPath} holds ${pixels.length} bytes but its sidecar describes ` +
        `${sidecar.frames} frames of ${sidecar.width}x${sidecar.height}; delete both files ` +
        "and build again",
    );
  }
  const rows = new Map(sidecar.segments.map((segment) => [segment.episodeIndex, segment]));
  const segmentOf = (episodeIndex: number) => {
    const segment = rows.get(episodeIndex);
    if (!segment) {
      throw new FrameCacheError(
        `episode ${episodeIndex} is not in the frame cache ${files.pixelsPath} (it holds ` +
          `${rows.size} episodes); build the cache with a segment for it`,
        { episodeIndex },
      );
    }
    return segment;
  };
  return {
    path: files.pixelsPath,
    frames: sidecar.frames,
    height: sidecar.height,
    width: sidecar.width,
    pixels,
    reused,
    episodeStart: (episodeIndex) => segmentOf(episodeIndex).firstRow,
    episodeFrames: (episodeIndex) => segmentOf(episodeIndex).frames,
  };
}

function checkParams(params: BuildFrameCacheParams): void {
  const fail = (message: string, episodeIndex?: number) => {
    throw new FrameCacheError(`frame cache of ${params.key.repoId}: ${message}`, { episodeIndex });
  };
  if (!(params.fps > 0) || !Number.isFinite(params.fps)) {
    fail(`got ${params.fps} for \`fps\`; pass the dataset's frames per second`);
  }
  if (params.segments.length === 0) fail("got no segments; pass at least one episode's video");
  const { size, concurrency, toleranceS } = params;
  if (
    size &&
    !(
      Number.isInteger(size.width) &&
      Number.isInteger(size.height) &&
      size.width > 0 &&
      size.height > 0
    )
  ) {
    fail(`got ${size.width}x${size.height} for \`size\`; pass positive whole pixels`);
  }
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    fail(`got ${concurrency} for \`concurrency\`; pass a whole number of 1 or more`);
  }
  if (toleranceS !== undefined && !(toleranceS >= 0)) {
    fail(`got ${toleranceS} for \`toleranceS\`; pass seconds, 0 or more`);
  }

  const seen = new Set<number>();
  for (const segment of params.segments) {
    if (seen.has(segment.episodeIndex)) {
      fail(
        `episode ${segment.episodeIndex} has two segments; pass each episode once`,
        segment.episodeIndex,
      );
    }
    seen.add(segment.episodeIndex);
    if (segment.timestamps.length === 0) {
      fail(
        `episode ${segment.episodeIndex} has 0 frames; re-export the dataset`,
        segment.episodeIndex,
      );
    }
    if (!(segment.fromTimestamp >= 0)) {
      fail(
        `episode ${segment.episodeIndex} has from_timestamp ${segment.fromTimestamp}; ` +
          "it must be seconds, 0 or more, into its video",
        segment.episodeIndex,
      );
    }
  }
}

async function checkVideosExist(params: BuildFrameCacheParams): Promise<void> {
  for (const segment of params.segments) {
    try {
      if ((await stat(segment.path)).isFile()) continue;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    throw new VideoNotFoundError({
      dataset: params.key.repoId,
      episodeIndex: segment.episodeIndex,
      videoPath: segment.path,
    });
  }
}

/** The first video's frame size; decoding checks that every other video has it too. */
async function nativeFrameSize(params: BuildFrameCacheParams): Promise<FrameSize> {
  const first = params.segments[0] as VideoSegment;
  const stream = await probeVideo({
    path: first.path,
    episodeIndex: first.episodeIndex,
    ffprobePath: params.ffprobePath,
    spawnProcess: params.spawnProcess,
  });
  return { width: stream.width, height: stream.height };
}

function checkAddressable(frames: number, size: FrameSize): void {
  const bytes = frames * size.width * size.height * CHANNELS;
  // Limitation: one cache is at most buffer.constants.MAX_LENGTH bytes (4 GiB on Node 20), the
  // longest Uint8Array V8 allows; mapping episodes as separate views would lift it.
  if (bytes > bufferConstants.MAX_LENGTH) {
    throw new FrameCacheError(
      `a frame cache of ${frames} frames of ${size.width}x${size.height} needs ${bytes} bytes, ` +
        `more than the ${bufferConstants.MAX_LENGTH} one mapped Uint8Array can hold; pass a ` +
        "smaller size or cache fewer episodes per build",
    );
  }
}
