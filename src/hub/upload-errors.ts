/**
 * Why an upload to the Hub failed. Each error names the model repo and what was being done,
 * carries the Hub's HTTP status and request id when an answer came, and is retryable only when
 * the same upload may work later (the Hub or the network failing). No message ever holds a
 * token: the Hub's own words are passed through `redactToken` first.
 */
import { HubCallError, type HubFailureContext } from "./hub-call-error.js";

export interface UploadFailureContext extends HubFailureContext {
  /** `owner/name` of the model repo. */
  repoId: string;
  hubUrl: string;
  /** e.g. "creating the repo", "committing to step-000300". */
  what: string;
}

export class ModelUploadError extends HubCallError {
  constructor(message: string, context: UploadFailureContext, retryable: boolean) {
    super(`model ${context.repoId}: ${message}`, context, retryable);
    this.name = "ModelUploadError";
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

const REFUSAL_HINTS: Record<number, string> = {
  401:
    "the token is missing or not valid: set HF_TOKEN (or, for a private_mode job, its " +
    "user_hf_token) to a Hub token with write access",
  403:
    "the token has no write access to this repo: use a token of its owner with write " +
    "permission, or submit the job under a model_name the token may write to",
  404:
    "the repo or branch does not exist or is hidden from this token; check model_name and " +
    "HF_ENDPOINT",
  409:
    "the repo or branch is in a state the upload did not expect; look at it on the Hub and " +
    "remove what conflicts",
};

function refusalHint(httpStatus: number | undefined): string {
  const hint = httpStatus === undefined ? undefined : REFUSAL_HINTS[httpStatus];
  return hint ?? "check model_name, the files being uploaded and HF_ENDPOINT";
}
