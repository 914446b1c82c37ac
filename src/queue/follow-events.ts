/**
 * Follows job events through a private, auto-deleted queue bound to the events exchange.
 */
import type { ChannelModel } from "amqplib";
import type { BrokerConfig } from "./broker-config.js";
import { eventBindingKey, type JobEvent } from "./job-event.js";

export interface FollowEventsParams {
  connection: ChannelModel;
  config: BrokerConfig;
  /** Only this job's events; all jobs when undefined. */
  trainingId?: number;
  onEvent: (event: JobEvent) => void;
  /** An event that is not JSON, handed over as text. */
  onMalformed?: (text: string) => void;
}

export interface EventFollower {
  /** Resolves once the queue is bound: events published after this are seen. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function followEvents(params: FollowEventsParams): EventFollower {
  const { connection, config } = params;
  const channelReady = connection.createChannel();

  const ready = (async () => {
    const channel = await channelReady;
    await channel.assertExchange(config.eventsExchange, "topic", { durable: true });
    const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, config.eventsExchange, eventBindingKey(params.trainingId));
    await channel.consume(
      queue,
      (delivery) => {
        if (!delivery) return;
        const text = delivery.content.toString("utf8");
        let event: JobEvent;
        try {
          event = JSON.parse(text) as JobEvent;
        } catch {
          params.onMalformed?.(text);
          return;
        }
        params.onEvent(event);
      },
      { noAck: true },
    );
  })();

  return {
    ready,
    stop: async () => {
      const channel = await channelReady;
      await channel.close().catch(() => {});
    },
  };
}
