/**
 * Errors of decoding a dataset's videos into frames. Those that come from the dataset itself
 * (a missing file, frames at the wrong time, a video shorter than its episode) are permanent
 * DatasetErrors; those that come from the ffmpeg tools say which tool and what it printed.
 */
import { RobotrainError } from "../errors.js";
import { DatasetError } from "./dataset-error.js";

/** Seconds, printed to the microsecond: enough to tell frames apart at any frame rate. */
export function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(6)} s`;
}

export interface VideoContext {
  /** Repo id of the dataset, as in `DatasetError.dataset`. */
  dataset: string;
  episodeIndex: number;
  videoPath: string;
}

/** An episode's video file is not where the dataset says. */
export class VideoNotFoundError extends DatasetError {
  readonly videoPath: string;

  constructor(context: VideoContext, cause?: unknown) {
    super(
      context,
      `episode ${context.episodeIndex}: its video ${context.videoPath} does not exist; ` +
        "download the dataset's videos for this revision or fix the path",
      cause,
    );
    this.name = "VideoNotFoundError";
    this.videoPath = context.videoPath;
  }
}

export interface FrameTimestampContext extends VideoContext {
  frameIndex: number;
  /** Seconds into the video file: the episode's from_timestamp plus the frame's timestamp. */
  expectedTimestamp: number;
  /** Seconds into the video file of the frame decoded for it. */
  videoTimestamp: number;
  toleranceS: number;
}

/** The video frame decoded for a dataset frame is not the one its timestamp names. */
export class FrameTimestampError extends DatasetError {
  readonly videoPath: string;
  readonly expectedTimestamp: number;
  readonly videoTimestamp: number;

  constructor(context: FrameTimestampContext) {
    super(
      context,
      `episode ${context.episodeIndex} frame ${context.frameIndex}: the dataset expects a video ` +
        `frame at ${formatSeconds(context.expectedTimestamp)} of ${context.videoPath} but the ` +
        `video's frame there is at ${formatSeconds(context.videoTimestamp)} (tolerance ` +
        `${context.toleranceS} s); re-encode the video at the dataset's fps or fix the ` +
        "episode's timestamps",
    );
    this.name = "FrameTimestampError";
    this.videoPath = context.videoPath;
    this.expectedTimestamp = context.expectedTimestamp;
    this.videoTimestamp = context.videoTimestamp;
  }
}

export interface VideoTooShortContext extends VideoContext {
  /** The first frame of the episode the video has no frame for. */
  frameIndex: number;
  /** Frames the episode has. */
  episodeFrames: number;
  /** Seconds into the video file where frame `frameIndex` should be. */
  expectedTimestamp: number;
  /** Seconds into the video file of its last decoded frame; null when none decoded. */
  lastVideoTimestamp: number | null;
}

/** The video ends before the episode does. */
export class VideoTooShortError extends DatasetError {
  readonly videoPath: string;
  readonly expectedTimestamp: number;
  readonly lastVideoTimestamp: number | null;

  constructor(context: VideoTooShortContext) {
    const last =
      context.lastVideoTimestamp === null
        ? "has no frame from there on"
        : `ends with a frame at ${formatSeconds(context.lastVideoTimestamp)}`;
    super(
      context,
      `episode ${context.episodeIndex} has ${context.episodeFrames} frames but its video ` +
        `${context.videoPath} ${last}; frame ${context.frameIndex} was expected at ` +
        `${formatSeconds(context.expectedTimestamp)}; re-encode the video or re-export the episode`,
    );
    this.name = "VideoTooShortError";
    this.videoPath = context.videoPath;
    this.expectedTimestamp = context.expectedTimestamp;
    this.lastVideoTimestamp = context.lastVideoTimestamp;
  }
}

/** `ffmpeg` or `ffprobe` is not installed, or not at the configured path. */
export class FfmpegNotFoundError extends RobotrainError {
  readonly command: string;

  constructor(command: string, cause: unknown) {
    super(
      `${command} could not be started (${cause instanceof Error ? cause.message : cause}); ` +
        "install ffmpeg (Debian: apt-get install ffmpeg) or pass the path of the binary",
      { retryable: false, cause },
    );
    this.name = "FfmpegNotFoundError";
    this.command = command;
  }
}

export interface FfmpegFailedContext {
  command: string;
  videoPath: string;
  /** The episode being decoded; undefined for a probe of the file alone. */
  episodeIndex: number | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines ffmpeg wrote to stderr, oldest first. */
  stderrTail: string[];
}

/** ffmpeg or ffprobe ran and failed. Killed by a signal (the OOM killer, say), it is retryable. */
export class FfmpegFailedError extends RobotrainError {
  readonly command: string;
  readonly videoPath: string;
  readonly episodeIndex: number | undefined;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderrTail: string[];

  constructor(context: FfmpegFailedContext) {
    const episode =
      context.episodeIndex === undefined ? "" : ` for episode ${context.episodeIndex}`;
    const how =
      context.signal === null
        ? `exited with code ${context.exitCode}`
        : `was killed by ${context.signal}`;
    const said =
      context.stderrTail.length === 0 ? "it printed nothing" : context.stderrTail.join("\n");
    super(
      `${context.command} ${how} reading ${context.videoPath}${episode}; check that the file ` +
        `is a complete video (ffprobe it). Its last output:\n${said}`,
      { retryable: context.signal !== null },
    );
    this.name = "FfmpegFailedError";
    this.command = context.command;
    this.videoPath = context.videoPath;
    this.episodeIndex = context.episodeIndex;
    this.exitCode = context.exitCode;
    this.signal = context.signal;
    this.stderrTail = context.stderrTail;
  }
}

/** The frame cache cannot be built from these parameters or these files. */
export class FrameCacheError extends RobotrainError {
  readonly episodeIndex: number | undefined;

  constructor(message: string, options: { episodeIndex?: number; cause?: unknown } = {}) {
    super(message, { retryable: false, cause: options.cause });
    this.name = "FrameCacheError";
    this.episodeIndex = options.episodeIndex;
  }
}
