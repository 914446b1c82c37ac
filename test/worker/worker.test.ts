/**
 * The worker end to end, on the real RabbitMQ and the local Hub server: jobs submitted as
 * producers submit them, trained from a dataset on the Hub, uploaded, acked; bad messages
 * dead-lettered; cancel, SIGTERM and SIGKILL handled as the daemon must.
 */
import assert from "node:assert/strict";
import { readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildJobMessage, parseTrainingRequest } from "../../src/contract/index.js";
import { followEvents } from "../../src/queue/follow-events.js";
import type { JobEvent } from "../../src/queue/job-event.js";
import { publishJob } from "../../src/queue/publish-job.js";
import { DETAIL_HEADER, REASON_HEADER } from "../../src/worker/dead-letter.js";
import type { TestBroker } from "../helpers/broker.js";
import type { HubServer } from "../helpers/hub-server.js";
import { runCli } from "../helpers/run-cli.js";
import {
  openWorkerFixture,
  USER_SECRET,
  WORKER_TOKEN,
  type WorkerFixture,
} from "../helpers/worker-fixture.js";
import { startWorker, type WorkerProcess } from "../helpers/worker-process.js";

const TOKEN = WORKER_TOKEN;
const USER_TOKEN = USER_SECRET;

describe("robotrain worker", () => {
  let fixture: WorkerFixture;
  let broker: TestBroker;
  let hub: HubServer;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let submit: WorkerFixture["submit"];
  const events: JobEvent[] = [];
  let stopEvents: () => Promise<void>;
  let worker: WorkerProcess | undefined;

  before(async () => {
    fixture = await openWorkerFixture(3);
    ({ broker, hub, home, env, submit } = fixture);
    const follower = followEvents({
      connection: broker.connection,
      config: broker.config,
      onEvent: (event) => events.push(event),
    });
    await follower.ready;
    stopEvents = follower.stop;
  });
  after(async () => {
    worker?.killGroup();
    await stopEvents();
    await fixture.cleanup();
  });

  function eventsOf(id: number): JobEvent[] {
    return events.filter((event) => event.training_id === id);
  }

  async function waitForEvent(accept: (event: JobEvent) => boolean, timeoutMs = 180_000) {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const found = events.find(accept);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seen = events.map((event) => `${event.training_id}.${event.kind}`).join(", ");
    throw new Error(`no such event within ${timeoutMs} ms; seen ${seen}\n${worker?.stderr()}`);
  }

  async function messagesIn(queue: string): Promise<number> {
    const channel = await broker.connection.createChannel();
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } finally {
      await channel.close();
    }
  }

  async function stopWorker(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const running = worker;
    worker = undefined;
    if (!running) return { code: 0, signal: null };
    running.child.kill("SIGTERM");
    return running.exited;
  }

  test("dead-letters messages that are no job, with their reason, and keeps going", async () => {
    worker = startWorker(env);
    await worker.waitForLog((line) => line.msg === "worker ready");

    const channel = await broker.connection.createConfirmChannel();
    channel.sendToQueue(broker.config.jobQueue, Buffer.from("{not json"), { messageId: "9001" });
    const noDataset = { model_type: "ACT", model_name: "lab/x", training_id: 9002 };
    channel.sendToQueue(broker.config.jobQueue, Buffer.from(JSON.stringify(noDataset)), {
      messageId: "9002",
    });
    await channel.waitForConfirms();
    await channel.close();
    await submit(1, 6, 3);

    const done = await waitForEvent(
      (event) =>
        event.training_id === 1 &&
        event.kind !== "queued" &&
        ["succeeded", "failed"].includes(event.kind),
    );
    assert.equal(done.kind, "succeeded", done.message);

    const dead = await broker.connection.createChannel();
    const first = await dead.get(broker.config.deadQueue, { noAck: true });
    const second = await dead.get(broker.config.deadQueue, { noAck: true });
    await dead.close();
    assert.ok(first && second, "the dead-letter queue should hold both messages");
    assert.equal(first.content.toString(), "{not json");
    assert.match(String(first.properties.headers?.[REASON_HEADER]), /the message is not JSON/);
    assert.match(String(second.properties.headers?.[REASON_HEADER]), /fails the contract/);
    const detail = JSON.parse(String(second.properties.headers?.[DETAIL_HEADER]));
    assert.deepEqual(detail.detail[0].loc, ["body", "dataset_name"]);
    assert.equal(eventsOf(9001).at(-1)?.kind, "failed");
    assert.equal(eventsOf(9002).at(-1)?.kind, "failed");
  });

  test("trains a job, uploads checkpoints to step branches and the model to main, then acks", async () => {
    const kinds = eventsOf(1).map((event) => event.kind);
    assert.deepEqual(kinds.slice(0, 2), ["queued", "running"]);
    assert.equal(kinds.at(-1), "succeeded");
    assert.ok(kinds.includes("progress"));
    assert.deepEqual(
      eventsOf(1)
        .filter((event) => event.kind === "checkpoint")
        .map((event) => event.revision),
      ["step-000003", "step-000006"],
    );

    const repo = hub.store.get("model", "lab/reach-act-1");
    assert.ok(repo, "the model repo was not created");
    for (const branch of ["step-000003", "step-000006"]) {
      assert.ok(hub.store.resolve(repo, branch)?.files.has("model.safetensors"), branch);
    }
    const main = hub.store.resolve(repo, "main");
    for (const path of [
      "README.md",
      "config.json",
      "model.safetensors",
      "train_config.json",
      "policy.onnx",
      "policy_preprocessor.json",
    ]) {
      assert.ok(main?.files.has(path), `main lacks ${path}`);
    }
    const card = main?.files.get("README.md")?.content.toString() ?? "";
    assert.match(card, /differ from the trained model's by at most \d\.\d\de-\d+/);
    assert.equal(await messagesIn(broker.config.jobQueue), 0);
  });

  test("counts jobs by outcome on its metrics endpoint, and says it is healthy", async () => {
    const listening = await worker!.waitForLog((line) => line.msg === "metrics endpoint listening");
    const url = String(listening.url);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /robotrain_jobs_total\{outcome="succeeded"\} 1/);
    assert.match(metrics, /robotrain_jobs_total\{outcome="dead_lettered"\} 2/);
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
  });

  test("never lets a token into an event, a log line, an uploaded file or its folder", async () => {
    const repo = hub.store.get("model", "lab/reach-act-1");
    assert.ok(repo);
    const stored = [...repo.commits.values()].flatMap((commit) => [...commit.files.values()]);
    const jobFiles = await readdir(join(home, "worker", "jobs", "1"), { recursive: true });
    const written = await Promise.all(
      jobFiles
        .filter((path) => /\.(json|jsonl|md)$/.test(path))
        .map((path) => readFile(join(home, "worker", "jobs", "1", path), "latin1")),
    );
    const texts = [
      JSON.stringify(events),
      JSON.stringify(worker?.lines),
      worker?.stderr() ?? "",
      ...stored.map((file) => file.content.toString("latin1")),
      // Commit bodies carry small files in base64: decoded, the model card is among them.
      ...hub.receivedBodies.map((body) => body.toString("latin1")),
      ...hub.receivedBodies.map((body) =>
        Buffer.from(body.toString("latin1"), "base64").toString("latin1"),
      ),
      ...written,
    ];
    assert.ok(written.length >= 3 && stored.length > 0, "nothing was searched");
    for (const secret of [TOKEN, USER_TOKEN]) {
      assert.ok(!texts.some((text) => text.includes(secret)), `${secret.slice(0, 8)}… leaked`);
    }
  });

  test("cancels a running job: it stops, uploads nothing more and says canceled", async () => {
    await submit(2, 100_000, 1_000_000);
    await waitForEvent(
      (event) => event.training_id === 2 && event.kind === "progress" && (event.step ?? 0) >= 2,
    );
    const cancel = await runCli(["cancel", "--id", "2"], { env });
    assert.equal(cancel.code, 0, cancel.stderr);

    const canceled = await waitForEvent(
      (event) => event.training_id === 2 && event.kind === "canceled",
    );
    assert.ok((canceled.step ?? 0) >= 2);
    assert.equal(hub.store.get("model", "lab/reach-act-2"), undefined);
    assert.equal(await messagesIn(broker.config.jobQueue), 0);
  });

  test("on SIGTERM checkpoints and requeues the job and exits 0; the next worker resumes", async () => {
    await submit(3, 40, 1_000_000);
    await waitForEvent(
      (event) => event.training_id === 3 && event.kind === "progress" && (event.step ?? 0) >= 3,
    );
    const exit = await stopWorker();
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(await messagesIn(broker.config.jobQueue), 1);
    const stoppedAt = Number(
      await readlink(join(home, "worker", "jobs", "3", "output", "checkpoints", "last")),
    );
    assert.ok(stoppedAt >= 3, `checkpointed at step ${stoppedAt}`);

    worker = startWorker(env);
    const resumed = await worker.waitForLog(
      (line) => line.msg === "training resumed" && line.jobId === 3,
    );
    assert.equal(resumed.step, stoppedAt);
    const done = await waitForEvent(
      (event) => event.training_id === 3 && ["succeeded", "failed"].includes(event.kind),
    );
    assert.equal(done.kind, "succeeded", done.message);
  });

  test("a worker SIGKILLed mid-job finishes it after a restart, uploading nothing twice", async () => {
    await submit(4, 24, 8);
    await waitForEvent(
      (event) => event.training_id === 4 && event.kind === "checkpoint" && event.step === 8,
    );
    worker?.killGroup();
    await worker?.exited;

    worker = startWorker(env);
    const resumed = await worker.waitForLog(
      (line) => line.msg === "training resumed" && line.jobId === 4,
    );
    assert.ok((resumed.step as number) >= 8);
    await waitForEvent((event) => event.training_id === 4 && event.kind === "succeeded");
    await new Promise((resolve) => setTimeout(resolve, 500));

    assert.equal(eventsOf(4).filter((event) => event.kind === "succeeded").length, 1);
    const commits = hub.commits("lab/reach-act-4").map((record) => record.path);
    assert.equal(
      commits.filter((path) => path.endsWith("/step-000008")).length,
      1,
      commits.join("\n"),
    );
    assert.equal(await messagesIn(broker.config.jobQueue), 0);
  });

  test("fails a job that cannot heal at once: no retry, dead-lettered with its reason", async () => {
    const request = parseTrainingRequest({
      model_type: "ACT",
      dataset_name: "lab/no-such-dataset",
      model_name: "lab/reach-act-8",
      training_params: { steps: 2 },
    });
    const job = buildJobMessage(request, { trainingId: 8 });
    await publishJob({ connection: broker.connection, config: broker.config, job });

    const failed = await waitForEvent(
      (event) => event.training_id === 8 && event.kind === "failed",
    );
    assert.match(String(failed.message), /lab\/no-such-dataset/);
    assert.equal(eventsOf(8).filter((event) => event.kind === "running").length, 1);
    const dead = await broker.connection.createChannel();
    const message = await dead.get(broker.config.deadQueue, { noAck: true });
    await dead.close();
    assert.ok(message, "the job is not in the dead-letter queue");
    assert.equal(message.properties.messageId, "8");
    assert.match(String(message.properties.headers?.[REASON_HEADER]), /no-such-dataset/);
  });

  test("reports a trainer killed mid-job with its cause, lives on, and finishes the job", async () => {
    await submit(6, 30, 10);
    const started = await worker!.waitForLog(
      (line) => line.msg === "job process started" && line.jobId === 6,
    );
    await waitForEvent(
      (event) => event.training_id === 6 && event.kind === "checkpoint" && event.step === 10,
    );
    process.kill(started.pid as number, "SIGKILL");

    const retry = await worker!.waitForLog(
      (line) => line.msg === "job failed, will retry" && line.jobId === 6,
    );
    assert.match(
      String(retry.error),
      /the training process was killed \(SIGKILL\), most often by the kernel's out-of-memory killer/,
    );
    const done = await waitForEvent(
      (event) => event.training_id === 6 && ["succeeded", "failed"].includes(event.kind),
    );
    assert.equal(done.kind, "succeeded", done.message);
    const resumed = worker!.lines.find(
      (line) => line.msg === "training resumed" && line.jobId === 6,
    );
    assert.ok((resumed?.step as number) >= 10, "the retry did not resume from the checkpoint");
  });

  test("acks a redelivered job that already succeeded without training it again", async () => {
    await submit(1, 6, 3);
    const again = await waitForEvent(
      (event) =>
        event.training_id === 1 &&
        event.kind === "succeeded" &&
        eventsOf(1).filter((e) => e.kind === "succeeded").length > 1,
    );
    assert.equal(again.kind, "succeeded");
    assert.equal(eventsOf(1).filter((event) => event.kind === "running").length, 1);
    const exit = await stopWorker();
    assert.equal(exit.code, 0);
  });
});
