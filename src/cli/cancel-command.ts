/**
 * `robotrain cancel --id N`: tells every worker to cancel a job. The one running it stops at
 * the next step and publishes `canceled`; a job still queued is acked as canceled when it is
 * delivered.
 */
import { brokerConfig } from "../queue/broker-config.js";
import { connectBroker } from "../queue/connect.js";
import { publishControl } from "../queue/control-message.js";

export interface CancelOptions {
  id: number;
}

export async function cancelCommand(options: CancelOptions): Promise<void> {
  const config = brokerConfig();
  const connection = await connectBroker({ config, connectionName: "robotrain cancel" });
  try {
    await publishControl(connection, config, { type: "cancel", training_id: options.id });
  } finally {
    await connection.close().catch(() => {});
  }
  process.stdout.write(`${JSON.stringify({ training_id: options.id, cancel: "sent" })}\n`);
}
