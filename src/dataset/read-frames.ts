/**
 * The frames of a LeRobot dataset from its data parquet, as contiguous typed columns in episode
 * order, checked against `meta/` before anything trains on them.
 *
 * Legend: F frames, J state dimension, A action dimension, E environment-state dimension.
 */
import type { Table } from "apache-arrow";
import { PNG } from "pngjs";
import { DatasetError } from "./dataset-error.js";
import type { EpisodeTable } from "./episode-table.js";
import { ColumnShapeError, floatListColumn, numberColumn, readParquetTable } from "./parquet.js";
import type { DatasetMeta } from "./read-meta.js";
import { readBytes } from "./read-meta.js";

export const STATE = "observation.state";
export const ENVIRONMENT_STATE = "observation.environment_state";
export const ACTION = "action";

export interface FrameColumns extends EpisodeTable {
  /** (F, E), when the dataset has `observation.environment_state`. */
  environmentState?: Float32Array;
  environmentStateDim: number;
  timestamp: Float64Array; // (F) seconds from the episode start
  frameIndex: Float64Array; // (F)
  episodeIndex: Float64Array; // (F)
  taskIndex: Float64Array; // (F)
  /** (F, H, W, 3) RGB of each camera stored as images inside the parquet. */
  images: Map<string, { pixels: Uint8Array; height: number; width: number }>;
}

export interface ReadFramesOptions {
  /** Timestamps must be spaced 1 / fps within this many seconds (LeRobot's `tolerance_s`). */
  toleranceS?: number;
  /** Fewer episodes than this is an error. */
  minEpisodes?: number;
}

export async function readFrames(
  meta: DatasetMeta,
  options: ReadFramesOptions = {},
): Promise<FrameColumns> {
  const { info, name } = meta;
  const stateDim = featureWidth(meta, STATE, true);
  const actionDim = featureWidth(meta, ACTION, true);
  const environmentStateDim = featureWidth(meta, ENVIRONMENT_STATE, false);
  const minEpisodes = options.minEpisodes ?? 1;
  if (meta.episodes.length < minEpisodes) {
    throw new DatasetError(
      { dataset: name },
      `has ${meta.episodes.length} episodes; training needs at least ${minEpisodes}`,
    );
  }

  const parts = await readEpisodeRows(meta);
  const frames = parts.reduce((sum, part) => sum + part.rows, 0);
  const columns: FrameColumns = {
    stateDim,
    actionDim,
    environmentStateDim,
    fps: info.fps,
    state: new Float32Array(frames * stateDim),
    action: new Float32Array(frames * actionDim),
    environmentState:
      environmentStateDim > 0 ? new Float32Array(frames * environmentStateDim) : undefined,
    episodeStarts: new Uint32Array(meta.episodes.length + 1),
    timestamp: new Float64Array(frames),
    frameIndex: new Float64Array(frames),
    episodeIndex: new Float64Array(frames),
    taskIndex: new Float64Array(frames),
    images: new Map(),
  };
  const imageKeys = Object.entries(info.features)
    .filter(([, feature]) => feature.dtype === "image")
    .map(([key]) => key);
  for (const key of imageKeys) {
    const [height = 0, width = 0] = info.features[key]?.shape ?? [];
    columns.images.set(key, { pixels: new Uint8Array(frames * height * width * 3), height, width });
  }

  let frame = 0;
  for (const [episodeNumber, part] of parts.entries()) {
    const episode = meta.episodes[episodeNumber] as DatasetMeta["episodes"][number];
    columns.episodeStarts[episodeNumber] = frame;
    copyEpisode(meta, part, columns, frame, episode.episodeIndex);
    frame += part.rows;
  }
  columns.episodeStarts[meta.episodes.length] = frame;

  checkFrames(meta, columns, options.toleranceS ?? 1e-4);
  return columns;
}

/** J, A or E from `info.json`; a required feature that is missing is an error. */
function featureWidth(meta: DatasetMeta, key: string, required: boolean): number {
  const feature = meta.info.features[key];
  if (!feature) {
    if (!required) return 0;
    throw new DatasetError(
      { dataset: meta.name, feature: key },
      `has no '${key}' feature in meta/info.json`,
    );
  }
  if (feature.shape.length !== 1) {
    throw new DatasetError(
      { dataset: meta.name, feature: key },
      `'${key}' has shape [${feature.shape}] in meta/info.json; expected one dimension`,
    );
  }
  return feature.shape[0] as number;
}

interface EpisodeRows {
  table: Table;
  /** First row of the episode in `table`. */
  first: number;
  rows: number;
}

/** Each episode's rows, in episode order; files shared by episodes (v3.0) are read once. */
async function readEpisodeRows(meta: DatasetMeta): Promise<EpisodeRows[]> {
  const tables = new Map<string, { table: Table; episodeIndex: Float64Array }>();
  const parts: EpisodeRows[] = [];
  for (const episode of meta.episodes) {
    let file = tables.get(episode.dataPath);
    if (!file) {
      const table = readParquetTable(await readBytes(meta.root, episode.dataPath, meta.name));
      file = { table, episodeIndex: checkedNumbers(meta, table, "episode_index") };
      tables.set(episode.dataPath, file);
    }
    const first = file.episodeIndex.indexOf(episode.episodeIndex);
    const last = file.episodeIndex.lastIndexOf(episode.episodeIndex);
    const rows = first < 0 ? 0 : last - first + 1;
    if (rows !== episode.length) {
      throw new DatasetError(
        { dataset: meta.name, episodeIndex: episode.episodeIndex },
        `episode ${episode.episodeIndex} has ${rows} frames in ${episode.dataPath} but ` +
          `${episode.length} in meta; re-export the dataset`,
      );
    }
    parts.push({ table: file.table, first, rows });
  }
  return parts;
}

function copyEpisode(
  meta: DatasetMeta,
  part: EpisodeRows,
  columns: FrameColumns,
  frame: number,
  episodeIndex: number,
): void {
  const table = part.table.slice(part.first, part.first + part.rows);
  const floats = (key: string, width: number) => {
    try {
      return floatListColumn(table, key, width);
    } catch (error) {
      throw asDatasetError(meta, error, episodeIndex, key);
    }
  };
  columns.state.set(floats(STATE, columns.stateDim), frame * columns.stateDim);
  columns.action.set(floats(ACTION, columns.actionDim), frame * columns.actionDim);
  if (columns.environmentState) {
    const width = columns.environmentStateDim;
    columns.environmentState.set(floats(ENVIRONMENT_STATE, width), frame * width);
  }
  columns.timestamp.set(checkedNumbers(meta, table, "timestamp", episodeIndex), frame);
  columns.frameIndex.set(checkedNumbers(meta, table, "frame_index", episodeIndex), frame);
  columns.episodeIndex.set(checkedNumbers(meta, table, "episode_index", episodeIndex), frame);
  columns.taskIndex.set(checkedNumbers(meta, table, "task_index", episodeIndex), frame);
  for (const [key, image] of columns.images)
    decodeImages(meta, table, key, image, frame, episodeIndex);
}

function checkedNumbers(
  meta: DatasetMeta,
  table: Table,
  key: string,
  episodeIndex?: number,
): Float64Array {
  try {
    return numberColumn(table, key);
  } catch (error) {
    throw asDatasetError(meta, error, episodeIndex, key);
  }
}

function asDatasetError(
  meta: DatasetMeta,
  error: unknown,
  episodeIndex: number | undefined,
  feature: string,
) {
  if (!(error instanceof ColumnShapeError)) return error;
  const where = episodeIndex === undefined ? "" : `episode ${episodeIndex}: `;
  const context = { dataset: meta.name, episodeIndex, frameIndex: error.row, feature };
  return new DatasetError(context, `${where}${error.message}`, error);
}

/** PNG bytes of `key` ({bytes, path} structs, as `datasets` stores images) into RGB rows. */
function decodeImages(
  meta: DatasetMeta,
  table: Table,
  key: string,
  image: { pixels: Uint8Array; height: number; width: number },
  frame: number,
  episodeIndex: number,
): void {
  const column = table.getChild(key);
  if (!column) {
    throw new DatasetError(
      { dataset: meta.name, episodeIndex, feature: key },
      `episode ${episodeIndex} has no '${key}' column`,
    );
  }
  const imageBytes = image.height * image.width * 3;
  for (let row = 0; row < table.numRows; row++) {
    const bytes = column.get(row)?.bytes as Uint8Array | undefined;
    const context = { dataset: meta.name, episodeIndex, frameIndex: row, feature: key };
    if (!bytes)
      throw new DatasetError(
        context,
        `episode ${episodeIndex} frame ${row}: '${key}' holds no image bytes`,
      );
    let png: PNG;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (error) {
      throw new DatasetError(
        context,
        `episode ${episodeIndex} frame ${row}: '${key}' is not a PNG`,
        error,
      );
    }
    if (png.width !== image.width || png.height !== image.height) {
      throw new DatasetError(
        context,
        `episode ${episodeIndex} frame ${row}: '${key}' is ${png.width}x${png.height}, ` +
          `meta/info.json says ${image.width}x${image.height}`,
      );
    }
    const out = image.pixels.subarray((frame + row) * imageBytes, (frame + row + 1) * imageBytes);
    for (let pixel = 0; pixel < image.width * image.height; pixel++) {
      out[pixel * 3] = png.data[pixel * 4] as number;
      out[pixel * 3 + 1] = png.data[pixel * 4 + 1] as number;
      out[pixel * 3 + 2] = png.data[pixel * 4 + 2] as number;
    }
  }
}

/** NaN in state or action, and timestamps off the 1 / fps grid, named by episode and frame. */
function checkFrames(meta: DatasetMeta, columns: FrameColumns, toleranceS: number): void {
  for (const [key, values, width] of [
    [STATE, columns.state, columns.stateDim],
    [ACTION, columns.action, columns.actionDim],
  ] as const) {
    const bad = values.findIndex((value) => Number.isNaN(value));
    if (bad >= 0) {
      const frame = Math.floor(bad / width);
      const { episodeIndex, frameIndex } = locate(columns, frame);
      throw new DatasetError(
        { dataset: meta.name, episodeIndex, frameIndex, feature: key },
        `episode ${episodeIndex} frame ${frameIndex}: '${key}' holds NaN; clean or re-record the episode`,
      );
    }
  }

  const period = 1 / columns.fps;
  for (let episode = 0; episode + 1 < columns.episodeStarts.length; episode++) {
    const start = columns.episodeStarts[episode] as number;
    const end = columns.episodeStarts[episode + 1] as number;
    for (let frame = start + 1; frame < end; frame++) {
      const step = (columns.timestamp[frame] as number) - (columns.timestamp[frame - 1] as number);
      if (Math.abs(step - period) > toleranceS) {
        const { episodeIndex, frameIndex } = locate(columns, frame);
        throw new DatasetError(
          { dataset: meta.name, episodeIndex, frameIndex, feature: "timestamp" },
          `episode ${episodeIndex} frame ${frameIndex}: timestamp ${columns.timestamp[frame]} s follows ` +
            `${columns.timestamp[frame - 1]} s, not 1/${columns.fps} s later (tolerance ${toleranceS} s)`,
        );
      }
    }
  }
}

function locate(
  columns: FrameColumns,
  frame: number,
): { episodeIndex: number; frameIndex: number } {
  return {
    episodeIndex: columns.episodeIndex[frame] as number,
    frameIndex: columns.frameIndex[frame] as number,
  };
}
