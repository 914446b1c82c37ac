/**
 * Publishes a validated job with publisher confirms: once this resolves, the broker has the
 * job on disk. A job the broker cannot route is an error, never a silent drop; its `queued`
 * event, published just before it, is then followed by a `failed` one.
 */
import type { ChannelModel, ConfirmChannel } from "amqplib";
import type { JobMessage } from "../contract/index.js";
import { BrokerError } from "../errors.js";
import { type BrokerConfig, redactUrl } from "./broker-config.js";
import { eventRoutingKey, type JobEvent } from "./job-event.js";
import { declareTopology } from "./topology.js";

export interface PublishJobParams {
  connection: ChannelModel;
  config: BrokerConfig;
  job: JobMessage;
}

export async function publishJob(params: PublishJobParams): Promise<void> {
  const { connection, config, job } = params;
  const channel = await connection.createConfirmChannel();
  try {
    await declareTopology(channel, config);

    // The event first: a worker's "running" then always follows "queued" for whoever listens.
    const event = { training_id: job.training_id, model_name: job.model_name };
    await publishEvent(channel, config, { ...event, kind: "queued", ts: new Date().toISOString() });

    const unroutable = new Promise<never>((_, reject) => {
      channel.once("return", () =>
        reject(new BrokerError(redactUrl(config.url), `queue '${config.jobQueue}' took no job`)),
      );
    });
    channel.sendToQueue(config.jobQueue, Buffer.from(JSON.stringify(job)), {
      persistent: true,
      mandatory: true,
      messageId: String(job.training_id),
      contentType: "application/json",
      timestamp: Math.floor(Date.now() / 1000),
    });
    try {
      await Promise.race([channel.waitForConfirms(), unroutable]);
    } catch (error) {
      const message = `the broker did not take the job (${(error as Error).message}); submit it again`;
      await publishEvent(channel, config, {
        ...event,
        kind: "failed",
        ts: new Date().toISOString(),
        message,
      }).catch(() => {});
      throw error;
    }
  } finally {
    await channel.close().catch(() => {});
  }
}

export async function publishEvent(
  channel: ConfirmChannel,
  config: BrokerConfig,
  event: JobEvent,
): Promise<void> {
  channel.publish(
    config.eventsExchange,
    eventRoutingKey(event.training_id, event.kind),
    Buffer.from(JSON.stringify(event)),
    { contentType: "application/json", persistent: false },
  );
  await channel.waitForConfirms();
}
