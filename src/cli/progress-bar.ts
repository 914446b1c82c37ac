/**
 * A one-line training progress bar on stderr: steps, loss, samples/s, ETA. Where stderr is no
 * terminal (CI, systemd, a pipe) it prints a plain line every tenth of the run instead.
 */
import type { FrameCacheProgress } from "../dataset/frame-cache.js";
import type { TrainProgress } from "../train/train-loop.js";

const WIDTH = 24;

export function createProgressBar(stream: NodeJS.WriteStream = process.stderr) {
  const interactive = stream.isTTY === true;
  let lastDrawMs = 0;
  let lastTenth = -1;

  return {
    update(progress: TrainProgress): void {
      const done = progress.step === progress.totalSteps;
      if (interactive) {
        // Redrawing more often than ~10 times a second only costs time.
        if (!done && progress.elapsedMs - lastDrawMs < 100) return;
        lastDrawMs = progress.elapsedMs;
        stream.write(`\r${formatLine(progress, true)}${done ? "\n" : ""}`);
        return;
      }
      const tenth = Math.floor((progress.step * 10) / progress.totalSteps);
      if (tenth === lastTenth && !done) return;
      lastTenth = tenth;
      stream.write(`${formatLine(progress, false)}\n`);
    },
  };
}

export function formatLine(progress: TrainProgress, withBar: boolean): string {
  const fraction = progress.step / progress.totalSteps;
  const filled = Math.round(fraction * WIDTH);
  const bar = withBar ? `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ` : "";
  return (
    `${bar}step ${progress.step}/${progress.totalSteps}` +
    ` loss ${progress.loss.toFixed(4)}` +
    ` ${Math.round(progress.samplesPerSecond)} samples/s` +
    ` ETA ${formatSeconds(progress.etaSeconds)}`
  );
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** Decoding progress of a camera's frame cache, throttled like the training bar. */
export function createDecodeProgress(stream: NodeJS.WriteStream = process.stderr) {
  const interactive = stream.isTTY === true;
  let lastDrawMs = 0;

  return {
    update(camera: string, progress: FrameCacheProgress): void {
      const done = progress.framesDone === progress.framesTotal;
      const now = performance.now();
      if (!done && now - lastDrawMs < (interactive ? 100 : 5000)) return;
      lastDrawMs = now;
      const line =
        `decoding ${camera}: ${progress.framesDone}/${progress.framesTotal} frames` +
        ` ${Math.round(progress.framesPerSecond)} frames/s ETA ${formatSeconds(progress.etaSeconds)}`;
      stream.write(interactive ? `\r${line}${done ? "\n" : ""}` : `${line}\n`);
    },
  };
}
