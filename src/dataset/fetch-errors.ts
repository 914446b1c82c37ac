/**
 * Why a dataset could not be fetched. Each error names the dataset, carries the Hub's HTTP
 * status and request id when an answer came, and is retryable only when the same fetch may
 * work later (the Hub or the network failing), so a job dead-letters at once for a dataset
 * that does not exist, is not readable with the token given, or is not a LeRobot dataset.
 */
import { RobotrainError } from "../errors.js";
import { HubCallError, type HubFailureContext } from "../hub/hub-call-error.js";

export class DatasetFetchError extends HubCallError {
  constructor(message: string, context: HubFailureContext, retryable: boolean) {
    super(message, context, retryable);
    this.name = "DatasetFetchError";
  }
}

/** The repo, or the revision asked for, does not exist on the Hub. */
export class DatasetNotFoundError extends DatasetFetchError {
  readonly revision: string;

  constructor(context: HubFailureContext & { revision: string; revisionMissing: boolean }) {
    const where = `on ${context.hubUrl}`;
    super(
      context.revisionMissing
        ? `dataset ${context.repoId} has no revision '${context.revision}' ${where}; ` +
            "pass a branch, tag or commit sha that exists"
        : `dataset ${context.repoId} was not found ${where} (HTTP ${context.httpStatus}); ` +
            "check the repo id and, for another Hub, HF_ENDPOINT",
      context,
      false,
    );
    this.name = "DatasetNotFoundError";
    this.revision = context.revision;
  }
}

/** The repo is private or gated and the request had no token, or one that does not grant it. */
export class DatasetAccessError extends DatasetFetchError {
  readonly tokenGiven: boolean;

  constructor(context: HubFailureContext & { tokenGiven: boolean; reason?: string }) {
    const refused = context.tokenGiven
      ? "refused the token given"
      : "needs a token (the dataset is private, gated or missing)";
    super(
      `dataset ${context.repoId}: ${context.reason ?? `the Hub at ${context.hubUrl} ${refused}`}` +
        `${context.httpStatus === undefined ? "" : ` (HTTP ${context.httpStatus})`}; pass a ` +
        "token with read access to it in HF_TOKEN or the job's user_hf_token",
      context,
      false,
    );
    this.name = "DatasetAccessError";
    this.tokenGiven = context.tokenGiven;
  }
}

/** The repo or folder exists but is not a dataset in a LeRobot format this worker reads. */
export class NotLeRobotDatasetError extends DatasetFetchError {
  readonly reason: string;

  constructor(context: HubFailureContext & { reason: string }) {
    super(
      `${context.repoId} is not a LeRobot dataset robotrain can train on: ${context.reason}; ` +
        "convert it with LeRobot's dataset tools (codebase v2.0, v2.1 or v3.0)",
      context,
      false,
    );
    this.name = "NotLeRobotDatasetError";
    this.reason = context.reason;
  }
}

/** A camera the job asks for is not a feature of the dataset. */
export class UnknownCameraError extends DatasetFetchError {
  readonly camera: string;

  constructor(context: HubFailureContext & { camera: string; known: string[] }) {
    super(
      `dataset ${context.repoId} has no camera '${context.camera}' (its cameras: ` +
        `${context.known.join(", ") || "none"}); pass camera keys from its meta/info.json`,
      context,
      false,
    );
    this.name = "UnknownCameraError";
    this.camera = context.camera;
  }
}

/** The Hub answered 5xx or 429, or could not be reached, on every try. */
export class HubUnavailableError extends DatasetFetchError {
  readonly attempts: number;

  constructor(context: HubFailureContext & { attempts: number; what: string }) {
    const answer =
      context.httpStatus === undefined
        ? `could not reach the Hub at ${context.hubUrl} (${causeText(context.cause)})`
        : `the Hub at ${context.hubUrl} answered HTTP ${context.httpStatus}`;
    super(
      `dataset ${context.repoId}: ${context.what} failed after ${context.attempts} tries: ` +
        `${answer}; the job can be retried later`,
      context,
      true,
    );
    this.name = "HubUnavailableError";
    this.attempts = context.attempts;
  }
}

/** The Hub answered in a way this worker does not expect (a 4xx other than the above). */
export class HubRequestError extends DatasetFetchError {
  constructor(context: HubFailureContext & { what: string; hubMessage?: string }) {
    super(
      `dataset ${context.repoId}: ${context.what} failed with HTTP ${context.httpStatus}` +
        `${context.hubMessage ? ` (${context.hubMessage})` : ""}; check the repo id and revision`,
      context,
      false,
    );
    this.name = "HubRequestError";
  }
}

/**
 * The cache folder could not be written (full, read-only, owned by another user). Retryable:
 * it is this box's state, and another worker may take the job.
 */
export class CacheWriteError extends DatasetFetchError {
  readonly folder: string;

  constructor(context: { repoId: string; folder: string; cause: unknown }) {
    const reason = context.cause instanceof Error ? context.cause.message : String(context.cause);
    super(
      `dataset ${context.repoId}: could not write the Hugging Face cache at ${context.folder} ` +
        `(${reason}); free space there, fix its permissions or point HF_HUB_CACHE elsewhere`,
      context,
      true,
    );
    this.name = "CacheWriteError";
    this.folder = context.folder;
  }
}

/** A dataset source that is neither a dataset folder here nor a Hub repo id. */
export class DatasetSourceError extends RobotrainError {
  readonly source: string;

  constructor(source: string, reason: string) {
    super(
      `dataset source '${source}' ${reason}; pass a Hub repo id ('owner/name') or a folder ` +
        "that holds meta/info.json",
      { retryable: false },
    );
    this.name = "DatasetSourceError";
    this.source = source;
  }
}

function causeText(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : "";
  return `${cause.message}${inner}`;
}
