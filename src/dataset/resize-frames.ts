/**
 * Scales RGB frames with ffmpeg: camera images stored inside the parquet get the same resize at
 * load time that video frames get while they are decoded, by the same scaler.
 *
 * Frames are (F, H, W, 3) uint8 in and (F, H', W', 3) out.
 */
import { spawn } from "node:child_process";
import type { FrameSize } from "./frame-cache.js";

export async function resizeFrames(
  pixels: Uint8Array,
  from: FrameSize,
  to: FrameSize,
): Promise<Uint8Array> {
  const frames = pixels.length / (from.width * from.height * 3);
  const out = new Uint8Array(frames * to.width * to.height * 3);
  const args = [
    ...["-hide_banner", "-loglevel", "error"],
    ...[
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-s",
      `${from.width}x${from.height}`,
      "-i",
      "pipe:0",
    ],
    ...["-vf", `scale=${to.width}:${to.height}`, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
  ];
  const ffmpeg = spawn("ffmpeg", args, { stdio: ["pipe", "pipe", "pipe"] });

  let written = 0;
  let stderr = "";
  ffmpeg.stdout.on("data", (chunk: Buffer) => {
    const room = out.length - written;
    out.set(chunk.subarray(0, room), written);
    written += Math.min(chunk.length, room);
  });
  ffmpeg.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    ffmpeg.on("error", (error) =>
      reject(new Error(`cannot run ffmpeg to resize frames: ${error.message}`)),
    );
    ffmpeg.on("close", resolve);
  });
  ffmpeg.stdin.on("error", () => {}); // an early exit is reported through the exit code
  ffmpeg.stdin.end(pixels);

  const code = await exited;
  if (code !== 0 || written !== out.length) {
    throw new Error(
      `ffmpeg could not resize ${frames} frames from ${from.width}x${from.height} to ` +
        `${to.width}x${to.height} (exit ${code}, ${written} of ${out.length} bytes): ` +
        stderr.trim().slice(-300),
    );
  }
  return out;
}
