/**
 * What the worker and a job's child process say to each other over the IPC channel. The child
 * trains and uploads; the parent publishes events, acks the delivery and survives the child.
 */
import type { JobMessage } from "../contract/index.js";
import type { TrainProgress } from "../train/train-loop.js";

/** Parent to child. */
export type ToJobProcess =
  | { type: "start"; job: JobMessage; outputDir: string; device: string }
  /** Stop after the step in flight: `cancel` uploads nothing more; `shutdown` checkpoints. */
  | { type: "stop"; reason: "cancel" | "shutdown" };

/** The training device's memory, as the job process reads it (the worker holds no CUDA). */
export interface GpuMemoryReading {
  device: string;
  usedBytes: number;
  totalBytes: number;
}

/** A failure, as it crosses the process boundary. */
export interface JobFailure {
  name: string;
  message: string;
  /** Whether the same job may succeed later: requeued rather than dead-lettered. */
  retryable: boolean;
}

/** Child to parent. */
export type FromJobProcess =
  | { type: "progress"; progress: TrainProgress; gpuMemory?: GpuMemoryReading }
  | { type: "checkpoint"; step: number; dir: string }
  | { type: "uploaded"; step: number; revision: string; alreadyUploaded: boolean }
  | { type: "succeeded"; steps: number; repoUrl: string; revision: string; lossAtEnd: number }
  | { type: "stopped"; reason: "cancel" | "shutdown"; step: number }
  | { type: "failed"; failure: JobFailure };
