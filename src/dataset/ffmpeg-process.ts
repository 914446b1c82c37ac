/**
 * Runs `ffmpeg` or `ffprobe` as a child process: stdout goes to a callback as it arrives,
 * stderr is split into lines for a callback and its tail kept for error messages, and the
 * failures (not installed, non-zero exit, killed) become typed errors naming the video.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { FfmpegFailedError, FfmpegNotFoundError } from "./video-errors.js";

/** `child_process.spawn`'s shape; injectable so callers can count or wrap the processes. */
export type SpawnProcess = (
  command: string,
  args: readonly string[],
  options: SpawnOptions,
) => ChildProcess;

/** Lines of stderr kept for an error message: ffmpeg states the cause in its last few. */
const STDERR_TAIL_LINES = 12;
/**
 * stdout chunks (64 KiB each) whose asynchronous handling may be pending before reading
 * pauses: enough to keep ffmpeg from stalling on a full pipe, few enough to bound memory.
 */
const STDOUT_CHUNKS_IN_FLIGHT = 8;

export interface RunFfmpegParams {
  command: string;
  args: string[];
  videoPath: string;
  episodeIndex?: number;
  spawnProcess?: SpawnProcess;
  /** Aborting kills the process (SIGTERM) and rejects with the AbortError. */
  signal?: AbortSignal;
  /**
   * Each chunk of stdout. A returned promise holds the chunk in flight: reading pauses while
   * too many are, and the run settles only once all have (rejecting if one does).
   */
  onStdout: (chunk: Buffer) => void | Promise<void>;
  /**
   * Each line of stderr; returns true when the line is expected chatter (per-frame
   * information asked for) that should not crowd the tail kept for error messages.
   */
  onStderrLine?: (line: string) => boolean;
}

/**
 * Resolves when the process exits with code 0, its output streams have closed and every
 * stdout chunk has been handled. It settles only once the process is gone and no handling
 * is pending, failure included, so a caller may delete what the output was written to.
 */
export function runFfmpeg(params: RunFfmpegParams): Promise<void> {
  const spawnProcess = params.spawnProcess ?? spawn;
  const stderrTail: string[] = [];
  let partialLine = "";

  const keepLine = (line: string) => {
    if (line.length === 0 || params.onStderrLine?.(line)) return;
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
  };

  return new Promise<void>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawnProcess(params.command, params.args, {
        stdio: ["ignore", "pipe", "pipe"],
        signal: params.signal,
      });
    } catch (error) {
      reject(error);
      return;
    }

    // The first thing that went wrong; reported once the process has closed.
    let failure: { error: unknown } | null = null;
    const fail = (error: unknown) => {
      if (failure) return;
      failure = { error };
      // The consumer refused the output (more frames than room, a failed write): stop ffmpeg.
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };

    child.on("error", (error: NodeJS.ErrnoException) => {
      const notFound = error.code === "ENOENT" || error.code === "EACCES";
      fail(notFound ? new FfmpegNotFoundError(params.command, error) : error);
    });

    const inFlight = consumeStdout(child, params.onStdout, fail, () => failure !== null);

    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (text: string) => {
      const lines = (partialLine + text).split(/\r?\n|\r/);
      partialLine = lines.pop() ?? "";
      for (const line of lines) keepLine(line);
    });

    child.on("close", async (exitCode: number | null, signal: NodeJS.Signals | null) => {
      keepLine(partialLine);
      await Promise.all(inFlight);
      if (failure) reject((failure as { error: unknown }).error);
      else if (exitCode === 0) resolve();
      else {
        reject(
          new FfmpegFailedError({
            command: params.command,
            videoPath: params.videoPath,
            episodeIndex: params.episodeIndex,
            exitCode,
            signal,
            stderrTail,
          }),
        );
      }
    });
  });
}

/**
 * Hands each stdout chunk to `onStdout`, pausing the stream while too many returned promises
 * are pending; returns the pending set, which the caller awaits before settling.
 */
function consumeStdout(
  child: ChildProcess,
  onStdout: RunFfmpegParams["onStdout"],
  fail: (error: unknown) => void,
  failed: () => boolean,
): Set<Promise<void>> {
  const inFlight = new Set<Promise<void>>();
  child.stdout?.on("data", (chunk: Buffer) => {
    if (failed()) return;
    let handled: void | Promise<void>;
    try {
      handled = onStdout(chunk);
    } catch (error) {
      fail(error);
      return;
    }
    if (!handled) return;
    const tracked: Promise<void> = handled.then(
      () => {
        inFlight.delete(tracked);
        if (inFlight.size < STDOUT_CHUNKS_IN_FLIGHT) child.stdout?.resume();
      },
      (error: unknown) => {
        inFlight.delete(tracked);
        fail(error);
        // Drain what is left so the process can exit.
        child.stdout?.resume();
      },
    );
    inFlight.add(tracked);
    if (inFlight.size >= STDOUT_CHUNKS_IN_FLIGHT) child.stdout?.pause();
  });
  return inFlight;
}
