/**
 * A LeRobot dataset made ready to sample from: found (folder) or fetched (Hub), its meta and
 * frames read and checked, each camera's frames decoded once into a frame cache, or taken from
 * the parquet where they are stored as images.
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { DatasetError } from "./dataset-error.js";
import { type DatasetSourceOptions, resolveDatasetSource } from "./dataset-source.js";
import type { FetchProgress } from "./fetch-dataset.js";
import {
  buildFrameCache,
  defaultFrameCacheDir,
  type FrameCacheProgress,
  type FrameSize,
} from "./frame-cache.js";
import { cameraKeys } from "./lerobot-info.js";
import { type FrameColumns, readFrames } from "./read-frames.js";
import { type DatasetMeta, readMeta } from "./read-meta.js";
import { resizeFrames } from "./resize-frames.js";

export interface LoadDatasetParams extends Omit<DatasetSourceOptions, "cameras" | "onProgress"> {
  /** A Hub repo id or a dataset folder. */
  source: string;
  /** Camera features to train on, in this order; default: every camera of the dataset. */
  cameras?: string[];
  /** Scale every camera's frames to this size; default: each camera's own size. */
  imageSize?: FrameSize;
  /** Folder of the frame caches; default `$ROBOTRAIN_HOME/frames` or `~/.robotrain/frames`. */
  framesDir?: string;
  minEpisodes?: number;
  /** ffmpeg processes decoding at once. */
  concurrency?: number;
  onFetchProgress?: (progress: FetchProgress) => void;
  onDecodeProgress?: (camera: string, progress: FrameCacheProgress) => void;
}

/** (frames, H, W, 3) RGB of one camera, rows aligned with the frames. */
export interface CameraFrames {
  key: string;
  pixels: Uint8Array;
  height: number;
  width: number;
  /** True when a frame cache from an earlier job was used and nothing was decoded. */
  reused: boolean;
}

export interface LoadedDataset {
  meta: DatasetMeta;
  frames: FrameColumns;
  cameras: CameraFrames[];
  /** `local` for a folder; the resolved commit for a Hub dataset. */
  revision: string;
  commit: string;
}

export async function loadDataset(params: LoadDatasetParams): Promise<LoadedDataset> {
  const { source, cameras: wanted, onFetchProgress, ...fetchOptions } = params;
  const found = await resolveDatasetSource(source, {
    ...fetchOptions,
    cameras: wanted,
    onProgress: onFetchProgress,
  });

  const meta = await readMeta(found.root, found.repoId);
  // resolveDatasetSource has checked that every wanted camera exists.
  const keys = wanted ?? cameraKeys(meta.info);
  const frames = await readFrames(meta, { minEpisodes: params.minEpisodes });

  // A folder has no commit to key its frame caches by: the identity of its video files stands in.
  const revision = found.commit === "local" ? await folderRevision(meta, keys) : found.commit;
  const cameras: CameraFrames[] = [];
  for (const key of keys) {
    const stored = frames.images.get(key);
    cameras.push(
      stored
        ? await imageCamera(key, stored, params.imageSize)
        : await videoCamera(meta, frames, key, revision, params),
    );
  }
  return { meta, frames, cameras, revision: found.revision, commit: found.commit };
}

async function videoCamera(
  meta: DatasetMeta,
  frames: FrameColumns,
  key: string,
  revision: string,
  params: LoadDatasetParams,
): Promise<CameraFrames> {
  const segments = meta.episodes.map((episode, position) => {
    const video = episode.videos[key];
    if (!video) {
      throw new DatasetError(
        { dataset: meta.name, episodeIndex: episode.episodeIndex, feature: key },
        `episode ${episode.episodeIndex} has no video for '${key}'`,
      );
    }
    const start = frames.episodeStarts[position] as number;
    const end = frames.episodeStarts[position + 1] as number;
    return {
      episodeIndex: episode.episodeIndex,
      path: join(meta.root, video.path),
      fromTimestamp: video.fromTimestamp,
      timestamps: frames.timestamp.subarray(start, end),
    };
  });

  const cache = await buildFrameCache({
    key: { repoId: meta.name, revision, camera: key },
    segments,
    fps: meta.info.fps,
    size: params.imageSize,
    cacheDir: params.framesDir ?? defaultFrameCacheDir(),
    concurrency: params.concurrency,
    onProgress: params.onDecodeProgress && ((progress) => params.onDecodeProgress?.(key, progress)),
  });
  return {
    key,
    pixels: cache.pixels,
    height: cache.height,
    width: cache.width,
    reused: cache.reused,
  };
}

/** `local-<hash>` of the size and modification time of every video file the cameras use. */
async function folderRevision(meta: DatasetMeta, keys: string[]): Promise<string> {
  const hash = createHash("sha256");
  const paths = new Set(
    meta.episodes.flatMap((episode) => keys.map((key) => episode.videos[key]?.path)),
  );
  for (const path of [...paths].filter((path) => path !== undefined).sort()) {
    const file = await stat(join(meta.root, path)).catch(() => undefined);
    hash.update(`${path}\0${file?.size}\0${file?.mtimeMs}\n`);
  }
  return `local-${hash.digest("hex").slice(0, 16)}`;
}

async function imageCamera(
  key: string,
  stored: { pixels: Uint8Array; height: number; width: number },
  size: FrameSize | undefined,
): Promise<CameraFrames> {
  if (!size || (size.width === stored.width && size.height === stored.height)) {
    return { key, ...stored, reused: false };
  }
  const pixels = await resizeFrames(
    stored.pixels,
    { width: stored.width, height: stored.height },
    size,
  );
  return { key, pixels, ...size, reused: false };
}
