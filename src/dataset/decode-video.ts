/**
 * Decodes one episode's frames with ffmpeg straight into its rows of the frame cache: ffmpeg
 * seeks precisely to the episode's first frame, writes exactly as many RGB frames as the
 * episode has to its stdout, and each chunk is written to the cache file at its row offset as
 * it arrives, so no video is ever held whole in JavaScript memory. ffmpeg's `showinfo` filter
 * reports every decoded frame's own pts, which is checked against the dataset's timestamps.
 */
import type { FileHandle } from "node:fs/promises";
import { resolve } from "node:path";
import { checkFrameTimestamps } from "./check-frame-timestamps.js";
import { runFfmpeg, type SpawnProcess } from "./ffmpeg-process.js";
import { FrameCacheError } from "./video-errors.js";
import type { FrameSize, VideoSegment } from "./video-segment.js";

/** RGB24: bytes per pixel of a cache row. */
export const CHANNELS = 3;

export interface DecodeSegmentParams {
  /** Repo id, for error messages. */
  dataset: string;
  segment: VideoSegment;
  /** Size of one cache row. */
  frameSize: FrameSize;
  /** Scale every frame to `frameSize`; when false, a frame of another size is an error. */
  resize: boolean;
  /** The cache file, and the byte offset of the episode's first row in it. */
  output: { handle: FileHandle; offset: number };
  fps: number;
  toleranceS: number;
  /** @default "ffmpeg" */
  ffmpegPath?: string;
  spawnProcess?: SpawnProcess;
  signal?: AbortSignal;
  /** Called with the number of frames completed since the last call. */
  onFrames?: (frames: number) => void;
}

// `[Parsed_showinfo_0 @ 0x5581] config in time_base: 1/15360, frame_rate: 30/1`
const SHOWINFO_LINE = /^\[Parsed_showinfo_\d+ @ [^\]]*\] /;
const TIME_BASE = / config in time_base: (\d+)\/(\d+)/;
// `... n:   3 pts:   4608 pts_time:0.3 pos: 1745 fmt:yuv420p sar:1/1 s:64x48 i:P ...`
const FRAME_INFO = / n:\s*(\d+) pts:\s*(\S+) .* s:(\d+)x(\d+) /;

/** What `showinfo` said about the frames ffmpeg decoded for the episode. */
class FrameReport {
  /** Seconds per pts tick; NaN until the filter reports its input time base. */
  secondsPerTick = Number.NaN;
  /** (frames,) seconds into the file of each reported frame. */
  readonly timestamps: Float64Array;
  reported = 0;
  /** The first frame whose size differs from the cache's, when frames are not resized. */
  wrongSize: { frameIndex: number; width: number; height: number } | null = null;

  constructor(
    frames: number,
    private readonly expectedSize: FrameSize | null,
  ) {
    this.timestamps = new Float64Array(frames);
  }

  /** True when the line is showinfo's (chatter to keep out of the error tail). */
  read(line: string): boolean {
    if (!SHOWINFO_LINE.test(line)) return false;

    const timeBase = TIME_BASE.exec(line);
    if (timeBase) {
      this.secondsPerTick = Number(timeBase[1]) / Number(timeBase[2]);
      return true;
    }

    const frame = FRAME_INFO.exec(line);
    // showinfo runs a frame or two ahead of `-frames:v`; those frames are never written.
    if (!frame || this.reported >= this.timestamps.length) return true;
    // A frame without a pts prints "NOPTS", which becomes NaN and fails the timestamp check.
    this.timestamps[this.reported] = Number(frame[2]) * this.secondsPerTick;
    const width = Number(frame[3]);
    const height = Number(frame[4]);
    if (
      this.expectedSize &&
      this.wrongSize === null &&
      (width !== this.expectedSize.width || height !== this.expectedSize.height)
    ) {
      this.wrongSize = { frameIndex: this.reported, width, height };
    }
    this.reported++;
    return true;
  }

  /** The error for a frame not of the cache's size, when showinfo has reported one. */
  wrongSizeError(segment: VideoSegment, frameSize: FrameSize): FrameCacheError | null {
    const wrong = this.wrongSize;
    if (!wrong) return null;
    return new FrameCacheError(
      `episode ${segment.episodeIndex}: frame ${wrong.frameIndex} of ${segment.path} is ` +
        `${wrong.width}x${wrong.height} but the cache's frames are ` +
        `${frameSize.width}x${frameSize.height} (the first video's size); pass a size to ` +
        "resize every video to it",
      { episodeIndex: segment.episodeIndex },
    );
  }
}

function ffmpegArgs(params: DecodeSegmentParams): string[] {
  const { segment, frameSize } = params;
  const frames = segment.timestamps.length;

  // Half a frame before the first wanted frame: ffmpeg drops every frame before the seek
  // point, and a float32 timestamp a hair after the frame's pts must not drop that frame.
  // Limitation: a video whose start time is not 0 fails frame 0's timestamp check — `-ss`
  // counts from the start time, the dataset from pts 0; probing the start time would lift it.
  const seekS = segment.fromTimestamp + (segment.timestamps[0] as number) - 0.5 / params.fps;
  const seek = seekS > 0 ? ["-ss", seekS.toFixed(6)] : [];

  const filters = ["showinfo=checksum=0"];
  // ffmpeg's default scaler (bicubic), as resize-frames.ts uses for images stored in parquet.
  if (params.resize) filters.push(`scale=${frameSize.width}:${frameSize.height}`);

  return [
    ...["-nostdin", "-hide_banner", "-nostats", "-loglevel", "info"],
    // Keep the file's own timestamps, so showinfo's pts are the ones the dataset refers to.
    "-copyts",
    ...seek,
    // `file:` so that a path with a colon is never taken for another protocol.
    ...["-i", `file:${resolve(segment.path)}`, "-map", "0:v:0", "-frames:v", String(frames)],
    // One output frame per decoded frame: never duplicated or dropped to fit a frame rate.
    ...["-fps_mode", "passthrough", "-vf", filters.join(",")],
    ...["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
  ];
}

/** A positioned write of the whole chunk: the kernel may take less than asked in one call. */
async function writeFully(handle: FileHandle, chunk: Buffer, position: number): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(
      chunk,
      offset,
      chunk.length - offset,
      position + offset,
    );
    if (bytesWritten === 0) {
      throw new FrameCacheError(
        `the frame cache file took 0 bytes at offset ${position + offset}; check the disk space`,
      );
    }
    offset += bytesWritten;
  }
}

/** Writes ffmpeg's RGB output to the episode's rows of the cache file, counting frames. */
class EpisodeRowsWriter {
  /** Bytes handed to writes so far. */
  written = 0;
  /** Bytes whose write completed; writes complete in any order. */
  private done = 0;
  private framesReported = 0;

  constructor(
    private readonly output: { handle: FileHandle; offset: number },
    /** (frames, H, W, 3) bytes of the episode's rows. */
    private readonly episodeBytes: number,
    private readonly frameBytes: number,
    private readonly onFrames: ((frames: number) => void) | undefined,
  ) {}

  fits(chunk: Buffer): boolean {
    return this.written + chunk.length <= this.episodeBytes;
  }

  async write(chunk: Buffer): Promise<void> {
    const position = this.output.offset + this.written;
    this.written += chunk.length;
    // Positioned writes, not a mapping: first-touch page faults on a fresh mapped file
    // cost more than the decode itself (measured 1.6 s against 0.5 s for 345 MB).
    await writeFully(this.output.handle, chunk, position);
    this.done += chunk.length;
    const framesNow = Math.floor(this.done / this.frameBytes);
    if (framesNow > this.framesReported) {
      this.onFrames?.(framesNow - this.framesReported);
      this.framesReported = framesNow;
    }
  }
}

export async function decodeSegment(params: DecodeSegmentParams): Promise<void> {
  const { segment, frameSize } = params;
  const episode = segment.episodeIndex;
  const frames = segment.timestamps.length;
  const frameBytes = frameSize.width * frameSize.height * CHANNELS;
  const report = new FrameReport(frames, params.resize ? null : frameSize);
  const rows = new EpisodeRowsWriter(
    params.output,
    frames * frameBytes,
    frameBytes,
    params.onFrames,
  );

  await runFfmpeg({
    command: params.ffmpegPath ?? "ffmpeg",
    args: ffmpegArgs(params),
    videoPath: segment.path,
    episodeIndex: episode,
    spawnProcess: params.spawnProcess,
    signal: params.signal,
    onStderrLine: (line) => report.read(line),
    onStdout: (chunk) => {
      if (rows.fits(chunk)) return rows.write(chunk);
      throw (
        report.wrongSizeError(segment, frameSize) ??
        new FrameCacheError(
          `episode ${episode}: ffmpeg wrote more than the ${frames} frames asked of ` +
            `${segment.path}; check the ffmpeg build`,
          { episodeIndex: episode },
        )
      );
    },
  });

  const sizeError = report.wrongSizeError(segment, frameSize);
  if (sizeError) throw sizeError;
  const decoded = rows.written / frameBytes;
  if (
    Number.isNaN(report.secondsPerTick) ||
    !Number.isInteger(decoded) ||
    report.reported < decoded
  ) {
    throw new FrameCacheError(
      `episode ${episode}: ffmpeg wrote ${rows.written} bytes (frames of ${frameBytes}) and ` +
        `showinfo reported ${report.reported} frames in time base ${report.secondsPerTick} s ` +
        `for ${segment.path}; without each frame's timestamp the output cannot be checked: ` +
        "use an ffmpeg whose showinfo prints `config in time_base` and `n: pts:` lines, as " +
        "ffmpeg 5.1 does",
      { episodeIndex: episode },
    );
  }
  checkFrameTimestamps({
    dataset: params.dataset,
    segment,
    videoTimestamps: report.timestamps.subarray(0, decoded),
    toleranceS: params.toleranceS,
  });
}
