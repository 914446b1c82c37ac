/**
 * Retrying a Hub request: failures the Hub or the network may not repeat (5xx, 429, resets,
 * refused connections, a body cut short) are tried again after a delay that doubles each time,
 * up to a cap; when the tries run out, or at once for any other answer, the failure becomes one
 * of the dataset errors of fetch-errors.ts.
 */
import {
  DatasetAccessError,
  DatasetNotFoundError,
  HubRequestError,
  HubUnavailableError,
} from "./fetch-errors.js";
import { HubResponseError } from "./hub-response-error.js";

export interface RetryPolicy {
  /** Tries after the first. */
  retries: number;
  /** Delay before the first retry, in milliseconds; doubles for each later one. */
  firstDelayMs: number;
  /** Longest delay between two tries, in milliseconds. */
  maxDelayMs: number;
  sleep: (delayMs: number) => Promise<void>;
  /** Stops the tries: the signal's reason is thrown before the next one. */
  signal?: AbortSignal;
}

/** Which request failed, for the error a failure becomes. */
export interface HubCallContext {
  repoId: string;
  hubUrl: string;
  revision: string;
  tokenGiven: boolean;
  /** e.g. "listing its files", "downloading meta/info.json". */
  what: string;
}

/** A download that ended with the wrong size or digest; the next try starts it over. */
export class TransferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransferError";
  }
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ENETUNREACH",
  "EHOSTUNREACH",
]);

/** True for failures that a later try may not meet. */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof HubResponseError) {
    return error.httpStatus >= 500 || error.httpStatus === 429 || error.httpStatus === 408;
  }
  if (error instanceof TransferError) return true;

  // undici reports a failed connection as "fetch failed" and a cut body as "terminated",
  // both TypeErrors, with the socket's error as the cause.
  for (let link: unknown = error; link instanceof Error; link = link.cause) {
    // A DOMException (an abort) has a numeric `code`; only string codes name socket errors.
    const code: unknown = (link as NodeJS.ErrnoException).code;
    if (typeof code === "string" && (NETWORK_CODES.has(code) || code.startsWith("UND_ERR_"))) {
      return true;
    }
    if (link instanceof TypeError && ["fetch failed", "terminated"].includes(link.message)) {
      return true;
    }
  }
  return false;
}

/** Runs `request` until it succeeds, fails for good, or runs out of tries. */
export async function retryHubRequest<T>(
  request: () => Promise<T>,
  policy: RetryPolicy,
  context: HubCallContext,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    policy.signal?.throwIfAborted();
    try {
      return await request();
    } catch (error) {
      policy.signal?.throwIfAborted();
      if (!isTransientFailure(error)) throw explainHubFailure(error, context);
      if (attempt > policy.retries) {
        throw new HubUnavailableError({
          ...context,
          attempts: attempt,
          httpStatus: error instanceof HubResponseError ? error.httpStatus : undefined,
          requestId: error instanceof HubResponseError ? error.requestId : undefined,
          cause: error,
        });
      }
      await policy.sleep(Math.min(policy.firstDelayMs * 2 ** (attempt - 1), policy.maxDelayMs));
    }
  }
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
