/**
 * The `meta/` folder of a LeRobot dataset: info, episodes, tasks and stats, read the way each
 * codebase version lays them out.
 *
 * - v2.0: `episodes.jsonl`, `tasks.jsonl`, `stats.json`.
 * - v2.1: the same, with `episodes_stats.jsonl` in place of `stats.json`; the dataset's stats are
 *   the episodes' merged with count weights.
 * - v3.0: `episodes/*.parquet` (with each episode's data rows and video offsets), `tasks.parquet`,
 *   `stats.json`.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Table } from "apache-arrow";
import { DatasetError } from "./dataset-error.js";
import { aggregateStats, type DatasetStats, type FeatureStats } from "./feature-stats.js";
import { cameraKeys, formatPathTemplate, LeRobotInfo } from "./lerobot-info.js";
import { numberColumn, readParquetTable } from "./parquet.js";

/** Where an episode's frames sit in a camera's video file. */
export interface EpisodeVideo {
  path: string;
  /** Seconds into the file where the episode's first frame is: 0 for v2.x, per episode in v3.0. */
  fromTimestamp: number;
}

export interface EpisodeMeta {
  episodeIndex: number;
  length: number;
  tasks: string[];
  /** Data file holding the episode's rows, relative to the dataset root. */
  dataPath: string;
  videos: Record<string, EpisodeVideo>;
}

export interface DatasetMeta {
  /** How the dataset is named in errors: its repo id, or its folder. */
  name: string;
  root: string;
  info: LeRobotInfo;
  episodes: EpisodeMeta[];
  tasks: string[];
  stats: DatasetStats;
}

export async function readMeta(root: string, name: string): Promise<DatasetMeta> {
  const info = await readInfo(root, name);
  const isV3 = info.codebase_version === "v3.0";
  const episodes = isV3
    ? await readEpisodesV3(root, name, info)
    : await readEpisodesV2(root, name, info);
  const tasks = isV3 ? await readTasksV3(root, name) : await readTasksV2(root, name);
  const stats =
    info.codebase_version === "v2.1"
      ? await readEpisodesStats(root, name)
      : parseStats(await readJson(root, "meta/stats.json", name), name);
  return { name, root, info, episodes, tasks, stats };
}

async function readInfo(root: string, name: string): Promise<LeRobotInfo> {
  const raw = await readJson(root, "meta/info.json", name);
  const parsed = LeRobotInfo.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new DatasetError(
      { dataset: name },
      `meta/info.json is not LeRobot's: ${problems.join("; ")}`,
    );
  }
  return parsed.data;
}

async function readEpisodesV2(
  root: string,
  name: string,
  info: LeRobotInfo,
): Promise<EpisodeMeta[]> {
  const rows = await readJsonLines(root, "meta/episodes.jsonl", name);
  const cameras = videoKeys(info);
  return rows.map((row, line) => {
    const episodeIndex = row.episode_index;
    const length = row.length;
    if (!Number.isInteger(episodeIndex) || !Number.isInteger(length)) {
      throw new DatasetError(
        { dataset: name },
        `meta/episodes.jsonl line ${line + 1} needs integer episode_index and length`,
      );
    }
    const chunk = Math.floor((episodeIndex as number) / info.chunks_size);
    const values = { episode_chunk: chunk, episode_index: episodeIndex as number };
    const videos = Object.fromEntries(
      cameras.map((key) => [
        key,
        {
          path: formatPathTemplate(info.video_path ?? "", { ...values, video_key: key }),
          fromTimestamp: 0,
        },
      ]),
    );
    return {
      episodeIndex: episodeIndex as number,
      length: length as number,
      tasks: Array.isArray(row.tasks) ? (row.tasks as string[]) : [],
      dataPath: formatPathTemplate(info.data_path, values),
      videos,
    };
  });
}

async function readEpisodesV3(
  root: string,
  name: string,
  info: LeRobotInfo,
): Promise<EpisodeMeta[]> {
  const tables = await readParquetFolder(root, "meta/episodes", name);
  const cameras = videoKeys(info);
  const episodes: EpisodeMeta[] = [];
  for (const table of tables) {
    const column = (key: string) => {
      try {
        return numberColumn(table, key);
      } catch (error) {
        throw new DatasetError({ dataset: name }, `meta/episodes: ${(error as Error).message}`);
      }
    };
    const episodeIndex = column("episode_index");
    const length = column("length");
    const dataChunk = column("data/chunk_index");
    const dataFile = column("data/file_index");
    const video = Object.fromEntries(
      cameras.map((key) => [
        key,
        {
          chunk: column(`videos/${key}/chunk_index`),
          file: column(`videos/${key}/file_index`),
          from: column(`videos/${key}/from_timestamp`),
        },
      ]),
    );
    const tasks = table.getChild("tasks");

    for (let row = 0; row < table.numRows; row++) {
      const videos: Record<string, EpisodeVideo> = {};
      for (const [key, columns] of Object.entries(video)) {
        const values = {
          video_key: key,
          chunk_index: columns.chunk[row] as number,
          file_index: columns.file[row] as number,
        };
        videos[key] = {
          path: formatPathTemplate(info.video_path ?? "", values),
          fromTimestamp: columns.from[row] as number,
        };
      }
      const dataValues = {
        chunk_index: dataChunk[row] as number,
        file_index: dataFile[row] as number,
      };
      episodes.push({
        episodeIndex: episodeIndex[row] as number,
        length: length[row] as number,
        tasks: tasks ? Array.from(tasks.get(row) ?? [], String) : [],
        dataPath: formatPathTemplate(info.data_path, dataValues),
        videos,
      });
    }
  }
  return episodes.sort((a, b) => a.episodeIndex - b.episodeIndex);
}

async function readTasksV2(root: string, name: string): Promise<string[]> {
  const rows = await readJsonLines(root, "meta/tasks.jsonl", name);
  return tasksByIndex(rows.map((row) => [Number(row.task_index), String(row.task)]));
}

async function readTasksV3(root: string, name: string): Promise<string[]> {
  const table = readParquetTable(await readBytes(root, "meta/tasks.parquet", name));
  // pandas writes the task string as the frame's index: a "task" column, or an unnamed index.
  const text = table.getChild("task") ?? table.getChild("__index_level_0__");
  if (!text) throw new DatasetError({ dataset: name }, "meta/tasks.parquet has no 'task' column");
  const index = numberColumn(table, "task_index");
  return tasksByIndex(Array.from(index, (taskIndex, row) => [taskIndex, String(text.get(row))]));
}

function tasksByIndex(pairs: [number, string][]): string[] {
  const tasks: string[] = [];
  for (const [taskIndex, task] of pairs) tasks[taskIndex] = task;
  return tasks;
}

async function readEpisodesStats(root: string, name: string): Promise<DatasetStats> {
  const rows = await readJsonLines(root, "meta/episodes_stats.jsonl", name);
  const byFeature = new Map<string, FeatureStats[]>();
  for (const row of rows) {
    for (const [key, stats] of Object.entries(parseStats(row.stats, name))) {
      byFeature.set(key, [...(byFeature.get(key) ?? []), stats]);
    }
  }
  return Object.fromEntries([...byFeature].map(([key, parts]) => [key, aggregateStats(parts)]));
}

/** Stats as stored, each statistic flattened (image stats are stored (3, 1, 1)). */
function parseStats(raw: unknown, name: string): DatasetStats {
  if (typeof raw !== "object" || raw === null)
    throw new DatasetError({ dataset: name }, "stats are not an object");
  const stats: DatasetStats = {};
  for (const [key, entry] of Object.entries(raw as Record<string, Record<string, unknown>>)) {
    const flat = (stat: string): number[] => {
      const value = entry[stat];
      if (value === undefined)
        throw new DatasetError(
          { dataset: name, feature: key },
          `stats of '${key}' have no ${stat}`,
        );
      return [value].flat(3).map(Number);
    };
    stats[key] = {
      min: flat("min"),
      max: flat("max"),
      mean: flat("mean"),
      std: flat("std"),
      count: entry.count === undefined ? 0 : (flat("count")[0] as number),
    };
  }
  return stats;
}

function videoKeys(info: LeRobotInfo): string[] {
  return cameraKeys(info).filter((key) => info.features[key]?.dtype === "video");
}

export async function readParquetFolder(
  root: string,
  folder: string,
  name: string,
): Promise<Table[]> {
  let files: string[];
  try {
    files = (await readdir(join(root, folder), { recursive: true })).filter((file) =>
      file.endsWith(".parquet"),
    );
  } catch {
    throw new DatasetError(
      { dataset: name },
      `${folder}/ is missing; is this a LeRobot v3.0 dataset?`,
    );
  }
  const tables = [];
  for (const file of files.sort())
    tables.push(readParquetTable(await readBytes(root, join(folder, file), name)));
  return tables;
}

export async function readBytes(root: string, path: string, name: string): Promise<Uint8Array> {
  try {
    return await readFile(join(root, path));
  } catch (error) {
    throw new DatasetError({ dataset: name }, `cannot read ${path}: ${(error as Error).message}`);
  }
}

async function readJson(root: string, path: string, name: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readBytes(root, path, name));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DatasetError({ dataset: name }, `${path} is not JSON: ${(error as Error).message}`);
  }
}

async function readJsonLines(
  root: string,
  path: string,
  name: string,
): Promise<Record<string, unknown>[]> {
  const text = new TextDecoder().decode(await readBytes(root, path, name));
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch (error) {
        throw new DatasetError(
          { dataset: name },
          `${path} line ${index + 1} is not JSON: ${(error as Error).message}`,
        );
      }
    });
}
