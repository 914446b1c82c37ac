/**
 * Why an upload to the Hub failed. Each error names the model repo and what was being done,
 * carries the Hub's HTTP status and request id when an answer came, and is retryable only when
 * the same upload may work later (the Hub or the network failing). No message ever holds a
 * token: the Hub's own words are passed through `redactToken` first.
 */
import { RobotrainError } from "../errors.js";

export interface UploadFailureContext {
  /** `owner/name` of the model repo. */
  repoId: string;
  hubUrl: string;
  /** e.g. "creating the repo", "committing step-000300". */
  what: string;
  httpStatus?: number;
  /** The Hub's `X-Request-Id`, which its support can look up. */
  requestId?: string;
  cause?: unknown;
}

export class ModelUploadError extends RobotrainError {
  readonly repoId: string;
  readonly hubUrl: string;
  readonly httpStatus?: number;
  readonly requestId?: string;

  constructor(message: string, context: UploadFailureContext, retryable: boolean) {
    const requestId = context.requestId === undefined ? "" : ` [request id ${context.requestId}]`;
    super(`model ${context.repoId}: ${message}${requestId}`, {
      retryable,
      cause: context.cause,
    });
    this.name = "ModelUploadError";
    this.repoId = context.repoId;
    this.hubUrl = context.hubUrl;
    this.httpStatus = context.httpStatus;
    this.requestId = context.requestId;
  }
}

/** The Hub answered 5xx or 429, or could not be reached, on every try. */
export class HubUploadUnavailableError extends ModelUploadError {
  readonly attempts: number;

  constructor(context: UploadFailureContext & { attempts: number; reason: string }) {
    super(
      `${context.what} failed after ${context.attempts} tries: ${context.reason}; ` +
        "the job can be retried later",
      context,
      true,
    );
    this.name = "HubUploadUnavailableError";
    this.attempts = context.attempts;
  }
}

/** The Hub refused the upload (4xx): the same request will be refused again. */
export class HubUploadRefusedError extends ModelUploadError {
  constructor(context: UploadFailureContext & { hubMessage?: string }) {
    super(
      `${context.what} was refused by the Hub at ${context.hubUrl} with HTTP ` +
        `${context.httpStatus}${context.hubMessage ? ` (${context.hubMessage})` : ""}; ` +
        refusalHint(context.httpStatus),
      context,
      false,
    );
    this.name = "HubUploadRefusedError";
  }
}

/** The upload cannot start: no token to write with, one that is not a Hub token, and such. */
export class UploadTargetError extends ModelUploadError {
  constructor(context: UploadFailureContext & { reason: string; hint: string }) {
    super(`${context.what}: ${context.reason}; ${context.hint}`, context, false);
    this.name = "UploadTargetError";
  }
}

/** A file the upload needs is not where the run should have written it. */
export class MissingRunFileError extends ModelUploadError {
  readonly path: string;

  constructor(context: UploadFailureContext & { path: string }) {
    super(
      `${context.what}: ${context.path} does not exist; upload from the output folder of a ` +
        "run that wrote it (a finished checkpoint, train_config.json, metrics.jsonl)",
      context,
      false,
    );
    this.name = "MissingRunFileError";
    this.path = context.path;
  }
}

/** `text` with every occurrence of `token` masked. */
export function redactToken(text: string, token: string | undefined): string {
  return token === undefined || token === "" ? text : text.split(token).join("hf_***");
}

function refusalHint(httpStatus: number | undefined): string {
  switch (httpStatus) {
    case 401:
      return "the token is missing or not valid: set HF_TOKEN (or, for a private_mode job, its user_hf_token) to a Hub token with write access";
    case 403:
      return "the token has no write access to this repo: use a token of its owner with write permission, or submit the job under a model_name the token may write to";
    case 404:
      return "the repo or branch does not exist or is hidden from this token; check model_name and HF_ENDPOINT";
    case 409:
      return "the repo or branch is in a state the upload did not expect; look at it on the Hub and remove what conflicts";
    default:
      return "check model_name, the files being uploaded and HF_ENDPOINT";
  }
}
