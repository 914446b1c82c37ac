/**
 * How the upload calls of one job reach the Hub: the target, the retry policy, and a `fetch`
 * that raises every answer outside 2xx as a HubResponseError. `retryUpload` runs one call with
 * retries and turns what is left of a failure into an upload error of upload-errors.ts.
 */
import { HubApiError } from "@huggingface/hub";
import { HubResponseError, strictFetch } from "./hub-response-error.js";
import {
  type RetryParams,
  type RetryPolicy,
  retryPolicy,
  retryTransient,
} from "./retry-transient.js";
import {
  HubUploadRefusedError,
  HubUploadUnavailableError,
  redactToken,
  type UploadFailureContext,
} from "./upload-errors.js";
import type { UploadTarget } from "./upload-target.js";

export interface UploadSessionParams extends RetryParams {
  target: UploadTarget;
  /** The `fetch` requests go through. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface UploadSession {
  target: UploadTarget;
  policy: RetryPolicy;
  /** Strict (see hub-response-error.ts) and aborted by the session's signal. */
  fetch: typeof fetch;
}

export function openUploadSession(params: UploadSessionParams): UploadSession {
  return {
    target: params.target,
    policy: retryPolicy(params),
    fetch: strictFetch(params.fetch ?? fetch, params.signal),
  };
}

/** Runs `request` with the session's retries; `what` says what it does, for the error. */
export function retryUpload<T>(
  session: UploadSession,
  what: string,
  request: () => Promise<T>,
): Promise<T> {
  const { target } = session;
  const context: UploadFailureContext = { repoId: target.repoId, hubUrl: target.hubUrl, what };
  return retryTransient(request, session.policy, {
    permanent: (error) => refusal(error, context, target.accessToken),
    exhausted: (error, attempts) =>
      new HubUploadUnavailableError({
        ...context,
        ...answerOf(error),
        attempts,
        reason: redactToken(unavailableReason(error, target.hubUrl), target.accessToken),
        cause: error,
      }),
  });
}

/** The upload error a permanent answer means; any other failure is passed on unchanged. */
function refusal(error: unknown, context: UploadFailureContext, token: string): unknown {
  const answer = answerOf(error);
  if (answer.httpStatus === undefined) return error;

  const hubMessage =
    error instanceof HubResponseError ? error.hubMessage : (error as Error).message;
  return new HubUploadRefusedError({
    ...context,
    ...answer,
    hubMessage: hubMessage === undefined ? undefined : redactToken(hubMessage, token),
    cause: error,
  });
}

/**
 * The status and request id of a Hub answer: a HubResponseError from the strict fetch, or the
 * HubApiError @huggingface/hub makes of an error inside a 200 (an LFS batch object's error).
 */
function answerOf(error: unknown): { httpStatus?: number; requestId?: string } {
  if (error instanceof HubResponseError) {
    return { httpStatus: error.httpStatus, requestId: error.requestId };
  }
  if (error instanceof HubApiError) {
    return { httpStatus: error.statusCode, requestId: error.requestId };
  }
  return {};
}

function unavailableReason(error: unknown, hubUrl: string): string {
  if (error instanceof HubResponseError) {
    return `the Hub at ${hubUrl} answered HTTP ${error.httpStatus}`;
  }

  const message = error instanceof Error ? error.message : String(error);
  const inner =
    error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `could not reach the Hub at ${hubUrl} (${message}${inner})`;
}
