/**
 * Dead-letters a delivery with its reason: the body goes, unchanged, to the dead-letter exchange
 * with headers saying why, confirmed by the broker, and only then is the delivery acked. A job
 * is never dropped: it is either in the job queue or in the dead-letter queue.
 */
import type { ConfirmChannel, ConsumeMessage } from "amqplib";
import type { BrokerConfig } from "../queue/broker-config.js";

export interface DeadLetterParams {
  channel: ConfirmChannel;
  config: BrokerConfig;
  delivery: ConsumeMessage;
  /** One sentence: what is wrong and what to do. */
  reason: string;
  /** Structured detail, e.g. the 422 body; carried as JSON. */
  detail?: unknown;
}

/** Header names the dead-lettered copy carries. */
export const REASON_HEADER = "x-robotrain-reason";
export const DETAIL_HEADER = "x-robotrain-detail";

export async function deadLetter(params: DeadLetterParams): Promise<void> {
  const { channel, config, delivery } = params;
  const { properties } = delivery;
  channel.publish(config.deadExchange, "", delivery.content, {
    persistent: true,
    contentType: properties.contentType,
    messageId: properties.messageId,
    timestamp: properties.timestamp,
    headers: {
      ...properties.headers,
      [REASON_HEADER]: params.reason,
      ...(params.detail !== undefined && { [DETAIL_HEADER]: JSON.stringify(params.detail) }),
      "x-robotrain-dead-lettered-at": new Date().toISOString(),
      "x-robotrain-source-queue": config.jobQueue,
    },
  });
  await channel.waitForConfirms();
  channel.ack(delivery);
}
