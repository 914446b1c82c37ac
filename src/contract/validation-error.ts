import { z } from "zod";
import { RobotrainError } from "../errors.js";

/** One entry of a 422 answer, in the shape FastAPI gives it. */
export const ValidationError = z
  .object({
    loc: z.array(z.union([z.string(), z.int()])).meta({ title: "Location" }),
    msg: z.string().meta({ title: "Message" }),
    type: z.string().meta({ title: "Error Type" }),
  })
  .meta({ id: "ValidationError", title: "ValidationError" });

export type ValidationError = z.output<typeof ValidationError>;

/** A path into the request, as FastAPI writes it: `["body", "training_params", "steps"]`. */
export type Loc = readonly (string | number)[];

/** Where FastAPI locates errors in a request body; every `loc` we report starts with it. */
export const BODY_LOC: Loc = ["body"];

/** The body of a 422 answer. */
export const HTTPValidationError = z
  .object({
    detail: z.array(ValidationError).optional().meta({ title: "Detail" }),
  })
  .meta({ id: "HTTPValidationError", title: "HTTPValidationError" });

export type HTTPValidationError = z.output<typeof HTTPValidationError>;

/** What a check returns when the caller decides how to report a failure. */
export type ValidationOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; detail: ValidationError[] };

/**
 * A job or request that does not satisfy the contract. It is permanent: the same input fails the
 * same way on every attempt, so a delivery carrying it goes to the dead-letter queue, not back
 * onto the queue.
 */
export class RequestValidationError extends RobotrainError {
  readonly detail: readonly ValidationError[];

  constructor(detail: readonly ValidationError[]) {
    super(describeDetail(detail), { retryable: false });
    this.name = "RequestValidationError";
    this.detail = detail;
  }

  /** The 422 body a FastAPI service would have answered with. */
  toHttpValidationError(): HTTPValidationError {
    return { detail: this.detail.map((entry) => ({ ...entry, loc: [...entry.loc] })) };
  }
}

/** Returns the value of a passed check, or throws the failure as a RequestValidationError. */
export function unwrapOutcome<T>(outcome: ValidationOutcome<T>): T {
  if (!outcome.ok) {
    throw new RequestValidationError(outcome.detail);
  }
  return outcome.value;
}

// Inputs are left out of the message on purpose: a request carries the user's Hub token and
// WandB key, and error messages end up in logs.
function describeDetail(detail: readonly ValidationError[]): string {
  const count = detail.length === 1 ? "1 validation error" : `${detail.length} validation errors`;
  const lines = detail.map((entry) => `${entry.loc.join(".")}: ${entry.msg} [${entry.type}]`);
  return `${count}; fix the request and submit it again: ${lines.join("; ")}`;
}
