/**
 * A delivery's body as a job, or the reason it can never be one: too large, not JSON, or not a
 * job message by the contract (the 422 detail a FastAPI service would have answered with). The
 * training id is taken where it can be, so even a rejected job gets its `failed` event.
 */
import type { ConsumeMessage } from "amqplib";
import { type JobMessage, parseJobMessage, RequestValidationError } from "../contract/index.js";

export type ReadDelivery =
  | { job: JobMessage }
  | { rejection: { reason: string; detail?: unknown; trainingId?: number } };

export function readDelivery(delivery: ConsumeMessage, maxBytes: number): ReadDelivery {
  const trainingId = idOf(delivery.properties.messageId);
  const size = delivery.content.length;
  if (size > maxBytes) {
    const reason = `the message is ${size} bytes; the limit is ${maxBytes} (ROBOTRAIN_MAX_MESSAGE_BYTES)`;
    return { rejection: { reason, trainingId } };
  }

  let body: unknown;
  try {
    body = JSON.parse(delivery.content.toString("utf8"));
  } catch (error) {
    const reason = `the message is not JSON (${(error as Error).message}); publish a JobMessage`;
    return { rejection: { reason, trainingId } };
  }

  try {
    return { job: parseJobMessage(body) };
  } catch (error) {
    if (!(error instanceof RequestValidationError)) throw error;
    const id = idOf((body as { training_id?: unknown } | null)?.training_id) ?? trainingId;
    return {
      rejection: {
        reason: `the job fails the contract: ${error.message}`,
        detail: error.toHttpValidationError(),
        trainingId: id,
      },
    };
  }
}

function idOf(value: unknown): number | undefined {
  const id = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  return typeof id === "number" && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}
