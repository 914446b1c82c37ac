/**
 * Declares the broker objects robotrain uses. Producers and workers both declare them, with
 * the same arguments, so a job published before any worker ever started is kept, not dropped.
 */
import type { Channel } from "amqplib";
import type { BrokerConfig } from "./broker-config.js";

export async function declareTopology(channel: Channel, config: BrokerConfig): Promise<void> {
  await channel.assertExchange(config.deadExchange, "fanout", { durable: true });
  await channel.assertQueue(config.deadQueue, {
    durable: true,
    arguments: { "x-queue-type": "quorum" },
  });
  await channel.bindQueue(config.deadQueue, config.deadExchange, "");

  await channel.assertQueue(config.jobQueue, {
    durable: true,
    arguments: {
      "x-queue-type": "quorum",
      "x-delivery-limit": config.deliveryLimit,
      "x-dead-letter-exchange": config.deadExchange,
    },
  });

  await channel.assertExchange(config.eventsExchange, "topic", { durable: true });
  await channel.assertExchange(config.controlExchange, "fanout", { durable: true });
}
