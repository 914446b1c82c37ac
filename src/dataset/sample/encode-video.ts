/**
 * Encodes RGB frames to an MP4 with ffmpeg, as LeRobot stores camera streams: yuv420p, a
 * constant frame rate, and short GOPs so a reader can seek to any episode cheaply.
 */
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";

export type VideoCodec = "h264" | "hevc" | "av1";

const ENCODERS: Record<VideoCodec, string[]> = {
  h264: ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18"],
  hevc: ["-c:v", "libx265", "-preset", "veryfast", "-crf", "20", "-x265-params", "log-level=error"],
  av1: ["-c:v", "libsvtav1", "-preset", "10", "-crf", "30", "-svtav1-params", "verbosity=0"],
};

export interface EncodeVideoParams {
  path: string;
  /** (frames, H, W, 3) RGB */
  frames: Uint8Array;
  width: number;
  height: number;
  fps: number;
  codec: VideoCodec;
}

export async function encodeVideo(params: EncodeVideoParams): Promise<void> {
  await mkdir(dirname(params.path), { recursive: true });
  const args = [
    ...["-hide_banner", "-loglevel", "error", "-y"],
    ...["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${params.width}x${params.height}`],
    ...["-r", String(params.fps), "-i", "pipe:0"],
    ...ENCODERS[params.codec],
    ...["-g", "2", "-pix_fmt", "yuv420p", "-an", params.path],
  ];
  const ffmpeg = spawn("ffmpeg", args, { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  ffmpeg.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    ffmpeg.on("error", (error) =>
      reject(
        new Error(`cannot run ffmpeg (${error.message}); install it (apt-get install ffmpeg)`),
      ),
    );
    ffmpeg.on("close", resolve);
  });
  ffmpeg.stdin.on("error", () => {}); // an early exit is reported through the exit code
  ffmpeg.stdin.end(params.frames);

  const code = await exited;
  if (code !== 0) {
    throw new Error(
      `ffmpeg could not encode ${params.path} (exit ${code}): ${stderr.trim().slice(-500)}`,
    );
  }
}
