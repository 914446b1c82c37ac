/**
 * Opens a broker connection with a bounded wait, so a command pointed at a dead broker says so
 * in seconds instead of hanging.
 */
import amqp, { type ChannelModel } from "amqplib";
import { BrokerError } from "../errors.js";
import { type BrokerConfig, redactUrl } from "./broker-config.js";

export interface ConnectParams {
  config: BrokerConfig;
  timeoutMs?: number;
  /** Shown in the broker's management UI. */
  connectionName: string;
}

export async function connectBroker(params: ConnectParams): Promise<ChannelModel> {
  const where = redactUrl(params.config.url);
  try {
    return await amqp.connect(params.config.url, {
      timeout: params.timeoutMs ?? 5000,
      clientProperties: { connection_name: params.connectionName },
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BrokerError(
      where,
      `could not connect (${reason}); is RabbitMQ running there? Set AMQP_URL to point elsewhere`,
      error,
    );
  }
}
