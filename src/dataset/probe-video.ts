/**
 * The frame size of a video's first video stream, read by `ffprobe` from the container's
 * headers (no decoding): the frame cache's row size when no resize is asked for.
 */
import { resolve } from "node:path";
import { runFfmpeg, type SpawnProcess } from "./ffmpeg-process.js";
import { FrameCacheError } from "./video-errors.js";

export interface VideoStreamInfo {
  codec: string;
  pixelFormat: string;
  width: number;
  height: number;
}

export interface ProbeVideoParams {
  path: string;
  episodeIndex?: number;
  /** @default "ffprobe" */
  ffprobePath?: string;
  spawnProcess?: SpawnProcess;
  signal?: AbortSignal;
}

export async function probeVideo(params: ProbeVideoParams): Promise<VideoStreamInfo> {
  const chunks: Buffer[] = [];
  await runFfmpeg({
    command: params.ffprobePath ?? "ffprobe",
    args: [
      ...["-v", "error", "-select_streams", "v:0"],
      ...["-show_entries", "stream=codec_name,pix_fmt,width,height", "-of", "json"],
      `file:${resolve(params.path)}`,
    ],
    videoPath: params.path,
    episodeIndex: params.episodeIndex,
    spawnProcess: params.spawnProcess,
    signal: params.signal,
    onStdout: (chunk) => {
      chunks.push(chunk);
    },
  });

  const report = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
    streams?: Array<{ codec_name?: string; pix_fmt?: string; width?: number; height?: number }>;
  };
  const stream = report.streams?.[0];
  if (!stream?.width || !stream.height) {
    throw new FrameCacheError(
      `${params.path} has no video stream with a frame size (ffprobe found ` +
        `${report.streams?.length ?? 0} video streams); check that it is the camera's video`,
      { episodeIndex: params.episodeIndex },
    );
  }
  return {
    codec: stream.codec_name ?? "unknown",
    pixelFormat: stream.pix_fmt ?? "unknown",
    width: stream.width,
    height: stream.height,
  };
}
