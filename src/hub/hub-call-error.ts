/**
 * A Hub call that failed, for a dataset fetch or a model upload alike: it names the repo,
 * carries the Hub's HTTP status and request id when an answer came (the id ends the message,
 * for the Hub's support to look up), and is retryable or not as the subclass decides.
 */
import { RobotrainError } from "../errors.js";

/** Where a Hub failure happened and what the Hub said about it. */
export interface HubFailureContext {
  /** `owner/name`, or the folder of a local dataset. */
  repoId: string;
  hubUrl?: string;
  httpStatus?: number;
  /** The Hub's `X-Request-Id`. */
  requestId?: string;
  cause?: unknown;
}

export class HubCallError extends RobotrainError {
  readonly repoId: string;
  readonly hubUrl?: string;
  readonly httpStatus?: number;
  readonly requestId?: string;

  constructor(message: string, context: HubFailureContext, retryable: boolean) {
    const requestId = context.requestId === undefined ? "" : ` [request id ${context.requestId}]`;
    super(`${message}${requestId}`, { retryable, cause: context.cause });
    this.name = "HubCallError";
    this.repoId = context.repoId;
    this.hubUrl = context.hubUrl;
    this.httpStatus = context.httpStatus;
    this.requestId = context.requestId;
  }
}
