import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { declareTopology } from "../../src/queue/topology.js";
import { openTestBroker, type TestBroker } from "../helpers/broker.js";

describe("declareTopology", () => {
  let broker: TestBroker;
  before(async () => {
    broker = await openTestBroker(2);
  });
  after(() => broker.cleanup());

  test("dead-letters a job that is rejected without requeue", async () => {
    const channel = await broker.connection.createChannel();
    await declareTopology(channel, broker.config);
    channel.sendToQueue(broker.config.jobQueue, Buffer.from("rejected"), { messageId: "1" });

    const delivery = await getEventually(channel, broker.config.jobQueue);
    channel.nack(delivery, false, false);
    const dead = await getEventually(channel, broker.config.deadQueue);
    assert.equal(dead.content.toString(), "rejected");
    assert.equal(dead.properties.messageId, "1");
    channel.ack(dead);
    await channel.close();
  });

  test("dead-letters a job after its delivery limit", async () => {
    const channel = await broker.connection.createChannel();
    await declareTopology(channel, broker.config);
    channel.sendToQueue(broker.config.jobQueue, Buffer.from("crashes its worker"));

    // A delivery limit of 2 allows the first delivery and two redeliveries.
    for (let delivery = 0; delivery < 3; delivery++) {
      channel.nack(await getEventually(channel, broker.config.jobQueue), false, true);
    }
    const dead = await getEventually(channel, broker.config.deadQueue);
    assert.equal(dead.content.toString(), "crashes its worker");
    channel.ack(dead);
    assert.equal(await channel.get(broker.config.jobQueue), false);
    await channel.close();
  });

  test("is declared as a quorum queue with the configured arguments, twice without conflict", async () => {
    const channel = await broker.connection.createChannel();
    await declareTopology(channel, broker.config);
    await declareTopology(channel, broker.config);
    await channel.close();

    // Redeclaring with only the queue type changed fails because the queue is a quorum queue.
    const probe = await broker.connection.createChannel();
    probe.on("error", () => {});
    const declared = {
      "x-delivery-limit": broker.config.deliveryLimit,
      "x-dead-letter-exchange": broker.config.deadExchange,
    };
    await assert.rejects(
      probe.assertQueue(broker.config.jobQueue, {
        durable: true,
        arguments: { ...declared, "x-queue-type": "classic" },
      }),
      /PRECONDITION_FAILED.*x-queue-type.*quorum/,
    );
  });
});

async function getEventually(channel: import("amqplib").Channel, queue: string) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const delivery = await channel.get(queue);
    if (delivery) return delivery;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing arrived on ${queue} within 5 s`);
}
