/**
 * Writes the reach task as a real LeRobot dataset, codebase v2.0, v2.1 or v3.0: parquet written
 * through Arrow, camera streams encoded to MP4 by ffmpeg (or PNG images inside the parquet), and
 * the meta files and stats each version has. Tests and the README's main job train on it.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  Binary,
  Field,
  Float64,
  List,
  makeVector,
  Struct,
  Table,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import { PNG } from "pngjs";
import {
  computeImageStats,
  computeStats,
  type DatasetStats,
  type FeatureStats,
} from "../feature-stats.js";
import { forEachConcurrently } from "../for-each-concurrently.js";
import { type CodebaseVersion, formatPathTemplate } from "../lerobot-info.js";
import { fixedSizeListVector, writeParquetTable } from "../parquet.js";
import { encodeVideo, type VideoCodec } from "./encode-video.js";
import { type Recording, recordReachEpisodes } from "./record-reach-episodes.js";
import type { CameraView } from "./render-reach-scene.js";

export interface SampleDatasetParams {
  output: string;
  episodes: number;
  version: CodebaseVersion;
  framesPerEpisode?: number;
  /** 1 (front) or 2 (front and top). */
  cameras?: number;
  width?: number;
  height?: number;
  fps?: number;
  codec?: VideoCodec;
  /** Camera frames as MP4 videos, or as PNG images inside the parquet. */
  storage?: "video" | "image";
  seed?: number;
}

export interface SampleDatasetResult {
  output: string;
  version: CodebaseVersion;
  episodes: number;
  frames: number;
  cameras: string[];
}

export const TASK = "Move the hand onto the red target.";
const JOINT_NAMES = ["shoulder", "elbow"];

type Spec = Required<Omit<SampleDatasetParams, "cameras">> & { views: CameraView[] };

export async function writeSampleDataset(
  params: SampleDatasetParams,
): Promise<SampleDatasetResult> {
  const spec = withDefaults(params);
  const recording = recordReachEpisodes({ ...spec, cameras: spec.views });

  await rm(spec.output, { recursive: true, force: true });
  await mkdir(join(spec.output, "meta"), { recursive: true });
  if (spec.version === "v3.0") {
    await writeFilesV3(spec, recording);
  } else {
    await writeFilesV2(spec, recording);
  }

  return {
    output: spec.output,
    version: spec.version,
    episodes: spec.episodes,
    frames: recording.frames,
    cameras: spec.views.map(cameraKey),
  };
}

function withDefaults(params: SampleDatasetParams): Spec {
  const cameras = params.cameras ?? 1;
  if (cameras !== 1 && cameras !== 2)
    throw new RangeError(`cameras must be 1 or 2, got ${cameras}`);
  if (!Number.isInteger(params.episodes) || params.episodes < 1) {
    throw new RangeError(`episodes must be a positive integer, got ${params.episodes}`);
  }
  return {
    output: params.output,
    episodes: params.episodes,
    version: params.version,
    framesPerEpisode: params.framesPerEpisode ?? 60,
    width: params.width ?? 128,
    height: params.height ?? 96,
    fps: params.fps ?? 30,
    codec: params.codec ?? "h264",
    storage: params.storage ?? "video",
    seed: params.seed ?? 0,
    views: (["front", "top"] as const).slice(0, cameras),
  };
}

function cameraKey(view: CameraView): string {
  return `observation.images.${view}`;
}

// ---------------------------------------------------------------------------------------------
// v2.0 and v2.1: a parquet file and an MP4 per episode, JSON-lines meta.

const V2_DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet";
const V2_VIDEO_PATH =
  "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4";

async function writeFilesV2(spec: Spec, recording: Recording): Promise<void> {
  for (let episode = 0; episode < spec.episodes; episode++) {
    const [from, to] = episodeSpan(recording, episode);
    const values = { episode_chunk: 0, episode_index: episode };
    await writeParquet(
      join(spec.output, formatPathTemplate(V2_DATA_PATH, values)),
      dataTable(spec, recording, from, to),
    );
  }
  if (spec.storage === "video") {
    await forEachConcurrently(videoJobs(spec), 2, async ({ view, episode }) => {
      const [from, to] = episodeSpan(recording, episode);
      const values = { episode_chunk: 0, episode_index: episode, video_key: cameraKey(view) };
      await encodeFrames(
        spec,
        recording,
        view,
        from,
        to,
        formatPathTemplate(V2_VIDEO_PATH, values),
      );
    });
  }

  const episodes = Array.from({ length: spec.episodes }, (_, episode) => ({
    episode_index: episode,
    tasks: [TASK],
    length: spec.framesPerEpisode,
  }));
  await writeJsonLines(join(spec.output, "meta/episodes.jsonl"), episodes);
  await writeJsonLines(join(spec.output, "meta/tasks.jsonl"), [{ task_index: 0, task: TASK }]);

  if (spec.version === "v2.0") {
    await writeJson(
      join(spec.output, "meta/stats.json"),
      statsJson(spec, datasetStats(spec, recording)),
    );
  } else {
    const perEpisode = Array.from({ length: spec.episodes }, (_, episode) => ({
      episode_index: episode,
      stats: statsJson(spec, datasetStats(spec, recording, episodeSpan(recording, episode))),
    }));
    await writeJsonLines(join(spec.output, "meta/episodes_stats.jsonl"), perEpisode);
  }

  await writeJson(join(spec.output, "meta/info.json"), {
    ...infoCommon(spec, recording),
    total_videos: spec.storage === "video" ? spec.episodes * spec.views.length : 0,
    total_chunks: 1,
    chunks_size: 1000,
    data_path: V2_DATA_PATH,
    video_path: spec.storage === "video" ? V2_VIDEO_PATH : null,
    features: features(spec),
  });
}

// ---------------------------------------------------------------------------------------------
// v3.0: episodes share files; parquet meta says where each one starts.

const V3_DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet";
const V3_VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4";
const V3_EPISODES_PATH = "meta/episodes/chunk-000/file-000.parquet";

async function writeFilesV3(spec: Spec, recording: Recording): Promise<void> {
  const file = { chunk_index: 0, file_index: 0 };
  await writeParquet(
    join(spec.output, formatPathTemplate(V3_DATA_PATH, file)),
    dataTable(spec, recording, 0, recording.frames),
  );
  if (spec.storage === "video") {
    await forEachConcurrently(spec.views, 2, async (view) => {
      const path = formatPathTemplate(V3_VIDEO_PATH, { ...file, video_key: cameraKey(view) });
      await encodeFrames(spec, recording, view, 0, recording.frames, path);
    });
  }

  await writeParquet(join(spec.output, V3_EPISODES_PATH), episodesTableV3(spec, recording));
  await writeParquet(
    join(spec.output, "meta/tasks.parquet"),
    new Table({
      task_index: makeVector(BigInt64Array.from([0n])),
      task: vectorFromArray([TASK], new Utf8()),
    }),
  );
  await writeJson(
    join(spec.output, "meta/stats.json"),
    statsJson(spec, datasetStats(spec, recording)),
  );
  await writeJson(join(spec.output, "meta/info.json"), {
    ...infoCommon(spec, recording),
    chunks_size: 1000,
    data_files_size_in_mb: 100,
    video_files_size_in_mb: 500,
    data_path: V3_DATA_PATH,
    video_path: spec.storage === "video" ? V3_VIDEO_PATH : null,
    features: features(spec),
  });
}

function episodesTableV3(spec: Spec, recording: Recording): Table {
  const count = spec.episodes;
  const ints = (value: (episode: number) => number) =>
    makeVector(BigInt64Array.from({ length: count }, (_, episode) => BigInt(value(episode))));
  const floats = (value: (episode: number) => number) =>
    makeVector(Float64Array.from({ length: count }, (_, episode) => value(episode)));
  const start = (episode: number) => recording.episodeStarts[episode] as number;
  const end = (episode: number) => recording.episodeStarts[episode + 1] as number;

  const columns: Record<string, Vector> = {
    episode_index: ints((episode) => episode),
    tasks: vectorFromArray(
      Array.from({ length: count }, () => [TASK]),
      new List(new Field("item", new Utf8(), true)),
    ),
    length: ints((episode) => end(episode) - start(episode)),
    "data/chunk_index": ints(() => 0),
    "data/file_index": ints(() => 0),
    dataset_from_index: ints(start),
    dataset_to_index: ints(end),
  };
  if (spec.storage === "video") {
    for (const view of spec.views) {
      const key = cameraKey(view);
      columns[`videos/${key}/chunk_index`] = ints(() => 0);
      columns[`videos/${key}/file_index`] = ints(() => 0);
      columns[`videos/${key}/from_timestamp`] = floats((episode) => start(episode) / spec.fps);
      columns[`videos/${key}/to_timestamp`] = floats((episode) => end(episode) / spec.fps);
    }
  }
  columns["meta/episodes/chunk_index"] = ints(() => 0);
  columns["meta/episodes/file_index"] = ints(() => 0);
  for (const [feature, stats] of Object.entries(perEpisodeNumericStats(spec, recording))) {
    for (const stat of ["min", "max", "mean", "std"] as const) {
      columns[`stats/${feature}/${stat}`] = vectorFromArray(
        stats.map((episode) => episode[stat]),
        new List(new Field("item", new Float64(), true)),
      );
    }
    columns[`stats/${feature}/count`] = vectorFromArray(
      stats.map((episode) => [episode.count]),
      new List(new Field("item", new Float64(), true)),
    );
  }
  return new Table(columns);
}

// ---------------------------------------------------------------------------------------------
// Pieces every version shares.

function infoCommon(spec: Spec, recording: Recording) {
  return {
    codebase_version: spec.version,
    robot_type: "sim_two_joint_arm",
    total_episodes: spec.episodes,
    total_frames: recording.frames,
    total_tasks: 1,
    fps: spec.fps,
    splits: { train: `0:${spec.episodes}` },
  };
}

function features(spec: Spec): Record<string, unknown> {
  const cameras = Object.fromEntries(
    spec.views.map((view) => [
      cameraKey(view),
      spec.storage === "video"
        ? {
            dtype: "video",
            shape: [spec.height, spec.width, 3],
            names: ["height", "width", "channels"],
            info: {
              "video.height": spec.height,
              "video.width": spec.width,
              "video.codec": spec.codec,
              "video.pix_fmt": "yuv420p",
              "video.is_depth_map": false,
              "video.fps": spec.fps,
              "video.channels": 3,
              has_audio: false,
            },
          }
        : {
            dtype: "image",
            shape: [spec.height, spec.width, 3],
            names: ["height", "width", "channel"],
          },
    ]),
  );
  const scalar = (dtype: string) => ({ dtype, shape: [1], names: null });
  return {
    "observation.state": { dtype: "float32", shape: [2], names: JOINT_NAMES },
    action: { dtype: "float32", shape: [2], names: JOINT_NAMES },
    ...cameras,
    timestamp: scalar("float32"),
    frame_index: scalar("int64"),
    episode_index: scalar("int64"),
    index: scalar("int64"),
    task_index: scalar("int64"),
  };
}

/** Frames `from .. to - 1` as one data table; PNG bytes per camera when images are inline. */
function dataTable(spec: Spec, recording: Recording, from: number, to: number): Table {
  const columns: Record<string, Vector> = {
    "observation.state": fixedSizeListVector(recording.state.slice(from * 2, to * 2), 2),
    action: fixedSizeListVector(recording.action.slice(from * 2, to * 2), 2),
  };
  if (spec.storage === "image") {
    for (const view of spec.views)
      columns[cameraKey(view)] = pngColumn(spec, recording, view, from, to);
  }
  columns.timestamp = makeVector(recording.timestamp.slice(from, to));
  columns.frame_index = makeVector(recording.frameIndex.slice(from, to));
  columns.episode_index = makeVector(recording.episodeIndex.slice(from, to));
  columns.index = makeVector(recording.index.slice(from, to));
  columns.task_index = makeVector(recording.taskIndex.slice(from, to));
  return new Table(columns);
}

/** Images the way the Hugging Face `datasets` library stores them: {bytes, path} structs. */
function pngColumn(
  spec: Spec,
  recording: Recording,
  view: CameraView,
  from: number,
  to: number,
): Vector {
  const pixels = recording.images.get(view) as Uint8Array;
  const imageBytes = spec.width * spec.height * 3;
  const rows = [];
  for (let frame = from; frame < to; frame++) {
    const png = new PNG({ width: spec.width, height: spec.height });
    const rgb = pixels.subarray(frame * imageBytes, (frame + 1) * imageBytes);
    for (let pixel = 0; pixel < spec.width * spec.height; pixel++) {
      png.data.set(rgb.subarray(pixel * 3, pixel * 3 + 3), pixel * 4);
      png.data[pixel * 4 + 3] = 255;
    }
    rows.push({ bytes: new Uint8Array(PNG.sync.write(png, { colorType: 2 })), path: null });
  }
  return vectorFromArray(
    rows,
    new Struct([new Field("bytes", new Binary(), true), new Field("path", new Utf8(), true)]),
  );
}

async function encodeFrames(
  spec: Spec,
  recording: Recording,
  view: CameraView,
  from: number,
  to: number,
  relativePath: string,
): Promise<void> {
  const imageBytes = spec.width * spec.height * 3;
  const pixels = recording.images.get(view) as Uint8Array;
  await encodeVideo({
    path: join(spec.output, relativePath),
    frames: pixels.subarray(from * imageBytes, to * imageBytes),
    width: spec.width,
    height: spec.height,
    fps: spec.fps,
    codec: spec.codec,
  });
}

function datasetStats(spec: Spec, recording: Recording, span?: [number, number]): DatasetStats {
  const [from, to] = span ?? [0, recording.frames];
  const stats: DatasetStats = numericStats(recording, from, to);
  const imageBytes = spec.width * spec.height * 3;
  for (const view of spec.views) {
    const pixels = recording.images.get(view) as Uint8Array;
    stats[cameraKey(view)] = computeImageStats(
      pixels.subarray(from * imageBytes, to * imageBytes),
      to - from,
    );
  }
  return stats;
}

function numericStats(recording: Recording, from: number, to: number): DatasetStats {
  const column = (values: BigInt64Array | Float32Array) =>
    computeStats(Float64Array.from(values.subarray(from, to), Number), 1);
  return {
    "observation.state": computeStats(recording.state.subarray(from * 2, to * 2), 2),
    action: computeStats(recording.action.subarray(from * 2, to * 2), 2),
    timestamp: column(recording.timestamp),
    frame_index: column(recording.frameIndex),
    episode_index: column(recording.episodeIndex),
    index: column(recording.index),
    task_index: column(recording.taskIndex),
  };
}

function perEpisodeNumericStats(spec: Spec, recording: Recording): Record<string, FeatureStats[]> {
  const perEpisode = Array.from({ length: spec.episodes }, (_, episode) =>
    numericStats(recording, ...episodeSpan(recording, episode)),
  );
  const keys = Object.keys(perEpisode[0] ?? {});
  return Object.fromEntries(
    keys.map((key) => [key, perEpisode.map((stats) => stats[key] as FeatureStats)]),
  );
}

/** Stats as LeRobot writes them: image stats shaped (3, 1, 1), counts as a one-element list. */
function statsJson(spec: Spec, stats: DatasetStats): Record<string, unknown> {
  const images = new Set(spec.views.map(cameraKey));
  return Object.fromEntries(
    Object.entries(stats).map(([key, feature]) => {
      const shape = (values: number[]) =>
        images.has(key) ? values.map((value) => [[value]]) : values;
      return [
        key,
        {
          min: shape(feature.min),
          max: shape(feature.max),
          mean: shape(feature.mean),
          std: shape(feature.std),
          count: [feature.count],
        },
      ];
    }),
  );
}

function episodeSpan(recording: Recording, episode: number): [number, number] {
  return [
    recording.episodeStarts[episode] as number,
    recording.episodeStarts[episode + 1] as number,
  ];
}

function videoJobs(spec: Spec): { view: CameraView; episode: number }[] {
  return spec.views.flatMap((view) =>
    Array.from({ length: spec.episodes }, (_, episode) => ({ view, episode })),
  );
}

async function writeParquet(path: string, table: Table): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, writeParquetTable(table));
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 4)}\n`);
}

async function writeJsonLines(path: string, rows: unknown[]): Promise<void> {
  await writeFile(path, `${rows.map((row) => JSON.stringify(row)).join("\n")}\n`);
}
