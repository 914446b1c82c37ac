/**
 * `meta/info.json` of a LeRobot dataset, codebase versions v2.0, v2.1 and v3.0: frame rate,
 * features with dtype, shape and names, and the path templates of data and video files.
 */
import { z } from "zod";

export const CODEBASE_VERSIONS = ["v2.0", "v2.1", "v3.0"] as const;
export type CodebaseVersion = (typeof CODEBASE_VERSIONS)[number];

export const LeRobotFeature = z.looseObject({
  dtype: z.string(),
  shape: z.array(z.int().nonnegative()),
  names: z.unknown().optional(),
  info: z.record(z.string(), z.unknown()).nullish(),
});
export type LeRobotFeature = z.output<typeof LeRobotFeature>;

export const LeRobotInfo = z.looseObject({
  codebase_version: z.enum(CODEBASE_VERSIONS),
  robot_type: z.string().nullish(),
  fps: z.number().positive(),
  total_episodes: z.int().nonnegative(),
  total_frames: z.int().nonnegative(),
  total_tasks: z.int().nonnegative().optional(),
  chunks_size: z.int().positive().default(1000),
  data_path: z.string(),
  video_path: z.string().nullish(),
  features: z.record(z.string(), LeRobotFeature),
});
export type LeRobotInfo = z.output<typeof LeRobotInfo>;

/** Keys every frame of every version carries beside its features. */
export const INDEX_COLUMNS = ["timestamp", "frame_index", "episode_index", "index", "task_index"];

/** Camera features: stored as videos, or as images inside the parquet. */
export function cameraKeys(info: LeRobotInfo): string[] {
  return Object.entries(info.features)
    .filter(([, feature]) => feature.dtype === "video" || feature.dtype === "image")
    .map(([key]) => key);
}

/** `{episode_index:06d}`-style Python format fields filled in; unknown fields are an error. */
export function formatPathTemplate(
  template: string,
  values: Record<string, string | number>,
): string {
  return template.replace(/\{(\w+)(?::0?(\d+)d)?\}/g, (_, name: string, width?: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new RangeError(`path template '${template}' needs '${name}', which is not known here`);
    }
    return width ? String(value).padStart(Number(width), "0") : String(value);
  });
}
