/**
 * The broker restarted (`rabbitmqctl stop_app` / `start_app`) while a worker trains a job: the
 * job is not lost, is trained once, and its delivery ends acked. This stops the shared local
 * broker for a few seconds, so it runs only where the suite runs one test file at a time.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import amqp from "amqplib";
import { TEST_AMQP_URL } from "../helpers/broker.js";
import { openWorkerFixture, type WorkerFixture } from "../helpers/worker-fixture.js";
import { startWorker, type WorkerProcess } from "../helpers/worker-process.js";

const run = promisify(execFile);

async function rabbitmqctl(...args: string[]): Promise<void> {
  await run("rabbitmqctl", args, { timeout: 120_000 });
}

describe("robotrain worker, the broker restarted mid-job", () => {
  let fixture: WorkerFixture;
  let worker: WorkerProcess;

  before(async () => {
    fixture = await openWorkerFixture(3);
  });
  after(async () => {
    worker?.killGroup();
    await fixture.cleanup();
  });

  test("loses no job: it trains on, and its redelivery is acked once it has ended", async () => {
    worker = startWorker(fixture.env);
    await worker.waitForLog((line) => line.msg === "worker ready");
    await fixture.submit(5, 60, 20);
    await worker.waitForLog((line) => line.msg === "checkpoint written" && line.jobId === 5);

    await rabbitmqctl("stop_app");
    await worker.waitForLog((line) => line.msg === "broker connection lost");
    await rabbitmqctl("start_app");
    await rabbitmqctl("await_startup");

    await worker.waitForLog((line) => line.msg === "broker reconnected", 180_000);
    await worker.waitForLog((line) => line.msg === "job succeeded" && line.jobId === 5, 300_000);
    // The delivery the broker requeued comes back once the job is done, and is acked as such.
    await worker.waitForLog((line) => line.msg === "job ended already" && line.jobId === 5);

    const started = worker.lines.filter((line) => line.msg === "job running" && line.jobId === 5);
    assert.equal(started.length, 1, "the job was started more than once");
    const repo = fixture.hub.store.get("model", "lab/reach-act-5");
    assert.ok(repo && fixture.hub.store.resolve(repo, "main")?.files.has("policy.onnx"));

    const connection = await amqp.connect(TEST_AMQP_URL);
    const channel = await connection.createChannel();
    const queue = await channel.checkQueue(fixture.broker.config.jobQueue);
    await connection.close();
    assert.equal(queue.messageCount, 0);
  });
});
