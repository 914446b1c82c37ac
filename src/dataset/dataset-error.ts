/**
 * A dataset that cannot be trained on as it is. Permanent: fetching it again gives the same
 * files. The message names the dataset, and the episode and frame where there is one.
 */
import { RobotrainError } from "../errors.js";

export interface DatasetErrorContext {
  dataset: string;
  episodeIndex?: number;
  frameIndex?: number;
  feature?: string;
}

export class DatasetError extends RobotrainError {
  readonly dataset: string;
  readonly episodeIndex: number | undefined;
  readonly frameIndex: number | undefined;
  readonly feature: string | undefined;

  constructor(context: DatasetErrorContext, problem: string, cause?: unknown) {
    super(`dataset ${context.dataset}: ${problem}`, { retryable: false, cause });
    this.name = "DatasetError";
    this.dataset = context.dataset;
    this.episodeIndex = context.episodeIndex;
    this.frameIndex = context.frameIndex;
    this.feature = context.feature;
  }
}
