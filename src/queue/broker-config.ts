/**
 * Where the broker is and what the topology is called. Every name derives from one prefix,
 * so a test (or a second fleet on the same broker) can live beside the default one.
 */
export interface BrokerConfig {
  /** AMQP URL, credentials included; never logged as is (see `redactUrl`). */
  url: string;
  /** Quorum queue of jobs. */
  jobQueue: string;
  /** Dead-letter exchange and the queue bound to it. */
  deadExchange: string;
  deadQueue: string;
  /** Topic exchange of job events, routing key `training.<id>.<status>`. */
  eventsExchange: string;
  /** Fanout exchange of control messages (cancel), delivered to every worker. */
  controlExchange: string;
  /** Deliveries of one job before the broker dead-letters it. */
  deliveryLimit: number;
}

export const DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672";
export const DEFAULT_PREFIX = "robotrain";
export const DEFAULT_DELIVERY_LIMIT = 5;

export function brokerConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<BrokerConfig> = {},
): BrokerConfig {
  const prefix = env.ROBOTRAIN_AMQP_PREFIX || DEFAULT_PREFIX;
  const deliveryLimit = Number(env.ROBOTRAIN_DELIVERY_LIMIT || DEFAULT_DELIVERY_LIMIT);
  if (!Number.isInteger(deliveryLimit) || deliveryLimit < 1) {
    throw new RangeError(
      `ROBOTRAIN_DELIVERY_LIMIT must be a positive integer, got '${env.ROBOTRAIN_DELIVERY_LIMIT}'`,
    );
  }
  return {
    url: env.AMQP_URL || DEFAULT_AMQP_URL,
    jobQueue: `${prefix}.jobs`,
    deadExchange: `${prefix}.dead`,
    deadQueue: `${prefix}.jobs.dead`,
    eventsExchange: `${prefix}.events`,
    controlExchange: `${prefix}.control`,
    deliveryLimit,
    ...overrides,
  };
}

/** The URL without its password, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "<unparsable AMQP URL>";
  }
}
