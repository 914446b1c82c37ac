/**
 * Checkpoints to the Hub in the background, one after another in the order they were written,
 * while training goes on. A failed upload does not stop training; `drain` waits for the queue
 * and throws the first failure, so the job ends failed (retryable or not, as the error says).
 */
import {
  type UploadCheckpointParams,
  type UploadCheckpointResult,
  uploadCheckpoint,
} from "./upload-checkpoint.js";

export type CheckpointUploadsParams = Omit<UploadCheckpointParams, "step" | "onProgress"> & {
  /** Called as each checkpoint lands on its branch (or was there already). */
  onUploaded?: (result: UploadCheckpointResult & { step: number }) => void;
};

export class CheckpointUploads {
  private readonly params: CheckpointUploadsParams;
  private queue: Promise<void> = Promise.resolve();
  private readonly uploaded: (UploadCheckpointResult & { step: number })[] = [];
  private failure: unknown;

  constructor(params: CheckpointUploadsParams) {
    this.params = params;
  }

  /** Queues the checkpoint of `step`; returns at once. */
  add(step: number): void {
    this.queue = this.queue.then(async () => {
      // After a failure the job is failing; later checkpoints are not worth the bandwidth.
      if (this.failure !== undefined) return;
      try {
        const { onUploaded, ...params } = this.params;
        const result = { ...(await uploadCheckpoint({ ...params, step })), step };
        this.uploaded.push(result);
        onUploaded?.(result);
      } catch (error) {
        this.failure = error;
      }
    });
  }

  /** Waits for every queued upload; throws the first that failed. */
  async drain(): Promise<(UploadCheckpointResult & { step: number })[]> {
    await this.queue;
    if (this.failure !== undefined) throw this.failure;
    return [...this.uploaded];
  }
}
