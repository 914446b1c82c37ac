/**
 * Control messages on the fanout exchange every worker listens to. Only one kind for now:
 * cancel a job by its training id, wherever it is (running on some worker, or still queued).
 */
import type { ChannelModel } from "amqplib";
import type { BrokerConfig } from "./broker-config.js";

export interface CancelMessage {
  type: "cancel";
  training_id: number;
}

export type ControlMessage = CancelMessage;

export function parseControlMessage(content: Buffer): ControlMessage | undefined {
  try {
    const message = JSON.parse(content.toString("utf8")) as Partial<CancelMessage>;
    if (message.type === "cancel" && Number.isSafeInteger(message.training_id)) {
      return message as CancelMessage;
    }
  } catch {
    // Not ours to act on: a control message no worker understands changes nothing.
  }
  return undefined;
}

/** Publishes with publisher confirms: once this resolves, every worker's queue has it. */
export async function publishControl(
  connection: ChannelModel,
  config: BrokerConfig,
  message: ControlMessage,
): Promise<void> {
  const channel = await connection.createConfirmChannel();
  try {
    await channel.assertExchange(config.controlExchange, "fanout", { durable: true });
    channel.publish(config.controlExchange, "", Buffer.from(JSON.stringify(message)), {
      contentType: "application/json",
    });
    await channel.waitForConfirms();
  } finally {
    await channel.close().catch(() => {});
  }
}
