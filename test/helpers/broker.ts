/**
 * A private corner of the real broker on 127.0.0.1 for one test file: a unique name prefix,
 * and removal of everything under it afterwards.
 */
import { randomBytes } from "node:crypto";
import amqp, { type ChannelModel } from "amqplib";
import { type BrokerConfig, brokerConfig } from "../../src/queue/broker-config.js";

export const TEST_AMQP_URL = process.env.AMQP_URL || "amqp://guest:guest@127.0.0.1:5672";

export interface TestBroker {
  prefix: string;
  config: BrokerConfig;
  /** The environment that points a robotrain command at this corner. */
  env: NodeJS.ProcessEnv;
  connection: ChannelModel;
  cleanup(): Promise<void>;
}

export async function openTestBroker(deliveryLimit = 3): Promise<TestBroker> {
  const prefix = `robotrain-test-${randomBytes(4).toString("hex")}`;
  const env = {
    AMQP_URL: TEST_AMQP_URL,
    ROBOTRAIN_AMQP_PREFIX: prefix,
    ROBOTRAIN_DELIVERY_LIMIT: String(deliveryLimit),
  };
  const config = brokerConfig(env);
  let connection: ChannelModel;
  try {
    connection = await amqp.connect(TEST_AMQP_URL, { timeout: 5000 });
  } catch (error) {
    throw new Error(
      `the integration tests need RabbitMQ on ${TEST_AMQP_URL.replace(/:[^:@/]*@/, ":***@")} ` +
        `(scripts/start-rabbitmq.sh starts one): ${(error as Error).message}`,
    );
  }

  const cleanup = async () => {
    // A connection of its own: a test that restarted the broker has lost the shared one.
    const cleaner = await amqp.connect(TEST_AMQP_URL, { timeout: 5000 });
    const channel = await cleaner.createChannel();
    for (const queue of [config.jobQueue, config.deadQueue]) await channel.deleteQueue(queue);
    for (const exchange of [config.deadExchange, config.eventsExchange, config.controlExchange]) {
      await channel.deleteExchange(exchange);
    }
    await cleaner.close();
    await connection.close().catch(() => {});
  };
  return { prefix, config, env, connection, cleanup };
}
