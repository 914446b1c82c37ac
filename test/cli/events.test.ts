import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { eventRoutingKey } from "../../src/queue/job-event.js";
import { openTestBroker, type TestBroker } from "../helpers/broker.js";
import { CLI } from "../helpers/paths.js";

describe("robotrain events", () => {
  let broker: TestBroker;
  before(async () => {
    broker = await openTestBroker();
  });
  after(() => broker.cleanup());

  test("prints the events of one training id as JSON lines and stops after --count", async () => {
    const child = spawn(process.execPath, [CLI, "events", "--id", "7", "--count", "2"], {
      env: { ...process.env, ...broker.env },
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    await new Promise<void>((resolve) => {
      child.stderr.on("data", (chunk) => {
        if (String(chunk).includes("following events")) resolve();
      });
    });

    const channel = await broker.connection.createChannel();
    const publish = (trainingId: number, kind: "running" | "progress") =>
      channel.publish(
        broker.config.eventsExchange,
        eventRoutingKey(trainingId, kind),
        Buffer.from(
          JSON.stringify({ training_id: trainingId, kind, ts: new Date().toISOString() }),
        ),
      );
    publish(8, "running"); // another job's: not printed
    publish(7, "running");
    publish(7, "progress");

    assert.equal(await exited, 0);
    clearTimeout(killer);
    await channel.close();
    const printed = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      printed.map((event) => [event.training_id, event.kind]),
      [
        [7, "running"],
        [7, "progress"],
      ],
    );
  });
});
