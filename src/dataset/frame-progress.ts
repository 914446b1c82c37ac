/**
 * Progress of a frame cache build: frames decoded so far, the rate, and the time left at
 * that rate. Reports are throttled so a fast decode does not flood the caller.
 */

export interface FrameCacheProgress {
  framesDone: number;
  framesTotal: number;
  /** Frames decoded per second of wall time since the build started. */
  framesPerSecond: number;
  /** Seconds left at the current rate; 0 once every frame is done. */
  etaSeconds: number;
}

/** Shortest time between two reports, in milliseconds; the last report is always sent. */
const REPORT_INTERVAL_MS = 250;

export class FrameProgressMeter {
  private framesDone = 0;
  private readonly startedMs = performance.now();
  private lastReportMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly framesTotal: number,
    private readonly onProgress: ((progress: FrameCacheProgress) => void) | undefined,
  ) {}

  /** Counts `frames` more frames done; reports when the interval has passed or all are done. */
  add(frames: number): void {
    this.framesDone += frames;
    const nowMs = performance.now();
    const finished = this.framesDone >= this.framesTotal;
    if (!this.onProgress || (!finished && nowMs - this.lastReportMs < REPORT_INTERVAL_MS)) return;
    this.lastReportMs = nowMs;

    const elapsedS = Math.max((nowMs - this.startedMs) / 1000, 1e-6);
    const framesPerSecond = this.framesDone / elapsedS;
    this.onProgress({
      framesDone: this.framesDone,
      framesTotal: this.framesTotal,
      framesPerSecond,
      etaSeconds: finished ? 0 : (this.framesTotal - this.framesDone) / framesPerSecond,
    });
  }
}
