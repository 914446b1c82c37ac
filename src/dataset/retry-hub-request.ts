/**
 * Retrying a dataset's Hub request (see hub/retry-transient.ts): when the tries run out, or at
 * once for a permanent answer, the failure becomes one of the dataset errors of fetch-errors.ts.
 */

import { HubResponseError } from "../hub/hub-response-error.js";
import { type RetryPolicy, retryTransient } from "../hub/retry-transient.js";
import {
  DatasetAccessError,
  DatasetNotFoundError,
  HubRequestError,
  HubUnavailableError,
} from "./fetch-errors.js";

/** Which request failed, for the error a failure becomes. */
export interface HubCallContext {
  repoId: string;
  hubUrl: string;
  revision: string;
  tokenGiven: boolean;
  /** e.g. "listing its files", "downloading meta/info.json". */
  what: string;
}

/** Runs `request` until it succeeds, fails for good, or runs out of tries. */
export function retryHubRequest<T>(
  request: () => Promise<T>,
  policy: RetryPolicy,
  context: HubCallContext,
): Promise<T> {
  return retryTransient(request, policy, {
    permanent: (error) => explainHubFailure(error, context),
    exhausted: (error, attempts) =>
      new HubUnavailableError({
        ...context,
        attempts,
        httpStatus: error instanceof HubResponseError ? error.httpStatus : undefined,
        requestId: error instanceof HubResponseError ? error.requestId : undefined,
        cause: error,
      }),
  });
}

/** The dataset error a permanent Hub answer means; anything else is passed on unchanged. */
export function explainHubFailure(error: unknown, context: HubCallContext): unknown {
  if (!(error instanceof HubResponseError)) return error;

  const failure = {
    ...context,
    httpStatus: error.httpStatus,
    requestId: error.requestId,
    cause: error,
  };
  if (error.httpStatus === 401 || error.httpStatus === 403) {
    const gated = error.errorCode === "GatedRepo";
    return new DatasetAccessError({
      ...failure,
      reason: gated ? `the dataset is gated; accept its terms on ${context.hubUrl}` : undefined,
    });
  }
  if (error.httpStatus === 404 && error.errorCode !== "EntryNotFound") {
    const revisionMissing = error.errorCode === "RevisionNotFound";
    return new DatasetNotFoundError({ ...failure, revisionMissing });
  }
  return new HubRequestError({ ...failure, hubMessage: error.hubMessage });
}
