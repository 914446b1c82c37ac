/**
 * `robotrain events [--id N]`: prints job events as JSON lines until interrupted, or until
 * `--count` events have arrived.
 */
import { brokerConfig } from "../queue/broker-config.js";
import { connectBroker } from "../queue/connect.js";
import { followEvents } from "../queue/follow-events.js";

export interface EventsOptions {
  id?: number;
  count?: number;
}

export async function eventsCommand(options: EventsOptions): Promise<void> {
  const config = brokerConfig();
  const connection = await connectBroker({ config, connectionName: "robotrain events" });
  let seen = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const follower = followEvents({
    connection,
    config,
    trainingId: options.id,
    onEvent: (event) => {
      process.stdout.write(`${JSON.stringify(event)}\n`);
      seen += 1;
      if (options.count !== undefined && seen >= options.count) finish();
    },
    onMalformed: (text) =>
      process.stderr.write(`robotrain: skipped an event that is not JSON: ${text.slice(0, 200)}\n`),
  });
  await follower.ready;
  // Lets a caller that starts this command know when events are being followed.
  process.stderr.write("robotrain: following events\n");

  const stop = () => finish();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  connection.once("close", stop);
  await finished;

  await follower.stop();
  await connection.close().catch(() => {});
}
