/**
 * Retrying a Hub request: failures the Hub or the network may not repeat (5xx, 429, resets,
 * refused connections, a body cut short) are tried again after a delay that doubles each time,
 * up to a cap. What a failure becomes when the tries run out, or at once for any other answer,
 * is the caller's to say: a dataset fetch and a model upload explain them differently.
 */
import { setTimeout as delay } from "node:timers/promises";
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

/** The retry settings a Hub call takes, all optional. */
export interface RetryParams {
  /** Tries after the first for each request. @default 4 */
  retries?: number;
  /** Delay before the first retry, in milliseconds; doubles each time, up to 30 s. @default 1000 */
  retryDelayMs?: number;
  /** Waits between tries; tests pass one that records the delays. */
  sleep?: (delayMs: number) => Promise<void>;
  /** Aborts the call, e.g. when the job is canceled; rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** How a failure ends the tries: `permanent` for one not worth retrying, `exhausted` after all. */
export interface RetryOutcomes {
  permanent: (error: unknown) => unknown;
  exhausted: (error: unknown, attempts: number) => unknown;
}

/** A transfer that ended with the wrong size or digest; the next try starts it over. */
export class TransferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransferError";
  }
}

const MAX_RETRY_DELAY_MS = 30_000;

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

export function retryPolicy(params: RetryParams): RetryPolicy {
  const { signal } = params;
  return {
    retries: params.retries ?? 4,
    firstDelayMs: params.retryDelayMs ?? 1000,
    maxDelayMs: MAX_RETRY_DELAY_MS,
    // An abort cuts the wait short; the retry loop then throws the signal's reason.
    sleep: params.sleep ?? ((delayMs) => delay(delayMs, undefined, { signal }).catch(() => {})),
    signal,
  };
}

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
export async function retryTransient<T>(
  request: () => Promise<T>,
  policy: RetryPolicy,
  outcomes: RetryOutcomes,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    policy.signal?.throwIfAborted();
    try {
      return await request();
    } catch (error) {
      policy.signal?.throwIfAborted();
      if (!isTransientFailure(error)) throw outcomes.permanent(error);
      if (attempt > policy.retries) throw outcomes.exhausted(error, attempt);

      await policy.sleep(Math.min(policy.firstDelayMs * 2 ** (attempt - 1), policy.maxDelayMs));
    }
  }
}
