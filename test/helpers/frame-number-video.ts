/**
 * Test videos whose frames say which frame they are: frame n of a file is one flat colour,
 * red 10 + 6n and green 245 - 6n (n < 40), so a decoded frame's mean colour names it even
 * after lossy coding and yuv420p rounding (measured at most 3 levels per pixel here).
 */
import { spawn } from "node:child_process";

export type TestCodec = "h264" | "hevc" | "av1";

/** Frames a file can number apart: red and green stay within 0..255. */
export const MAX_NUMBERED_FRAMES = 40;
/** Colour levels between consecutive frame numbers. */
const STEP = 6;

// Short GOPs with B-frames (where the encoder has them), so seeking to an episode inside a
// shared file lands between keyframes and frames are stored out of display order.
const ENCODERS: Record<TestCodec, string[]> = {
  h264: ["-c:v", "libx264", "-crf", "4", "-g", "8", "-bf", "2"],
  hevc: ["-c:v", "libx265", "-crf", "4", "-g", "8", "-x265-params", "log-level=error"],
  // libsvtav1 refuses frames under 64 pixels high; libaom encodes any size.
  av1: ["-c:v", "libaom-av1", "-crf", "10", "-cpu-used", "8", "-g", "8", "-row-mt", "1"],
};

export function frameColour(frameNumber: number): { red: number; green: number; blue: number } {
  return { red: 10 + STEP * frameNumber, green: 245 - STEP * frameNumber, blue: 128 };
}

export interface FrameNumberVideoParams {
  path: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
  codec: TestCodec;
}

/** Encodes frames 0 .. frames - 1, each in its frame colour, as a yuv420p MP4. */
export async function encodeFrameNumberVideo(params: FrameNumberVideoParams): Promise<void> {
  if (params.frames > MAX_NUMBERED_FRAMES) {
    throw new RangeError(`at most ${MAX_NUMBERED_FRAMES} numbered frames, got ${params.frames}`);
  }
  const pixels = params.width * params.height;
  // (frames, H, W, 3) RGB
  const rgb = new Uint8Array(params.frames * pixels * 3);
  for (let frame = 0; frame < params.frames; frame++) {
    const { red, green, blue } = frameColour(frame);
    for (let p = frame * pixels; p < (frame + 1) * pixels; p++) {
      rgb[3 * p] = red;
      rgb[3 * p + 1] = green;
      rgb[3 * p + 2] = blue;
    }
  }

  const args = [
    ...["-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"],
    ...["-s", `${params.width}x${params.height}`, "-r", String(params.fps), "-i", "pipe:0"],
    ...ENCODERS[params.codec],
    ...["-pix_fmt", "yuv420p", params.path],
  ];
  const ffmpeg = spawn("ffmpeg", args, { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  ffmpeg.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    ffmpeg.on("error", reject);
    ffmpeg.on("close", resolve);
    ffmpeg.stdin.on("error", () => {}); // an early exit shows in the exit code and stderr
    ffmpeg.stdin.end(rgb);
  });
  if (exitCode !== 0) {
    throw new Error(`ffmpeg could not encode ${params.path} (exit ${exitCode}): ${stderr}`);
  }
}

/**
 * The frame number a decoded (H, W, 3) frame shows, from its mean red and green, and how far
 * (in colour levels) the means are from that number's exact colour.
 */
export function readFrameNumber(frame: Uint8Array): { frameNumber: number; error: number } {
  let red = 0;
  let green = 0;
  for (let p = 0; p < frame.length; p += 3) {
    red += frame[p] as number;
    green += frame[p + 1] as number;
  }
  const pixels = frame.length / 3;
  red /= pixels;
  green /= pixels;
  const frameNumber = Math.round((red - 10 + (245 - green)) / (2 * STEP));
  const exact = frameColour(frameNumber);
  return {
    frameNumber,
    error: Math.max(Math.abs(red - exact.red), Math.abs(green - exact.green)),
  };
}
