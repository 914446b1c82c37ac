import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "../../src/log.js";
import type { Liveness } from "../../src/ops/worker-health.js";
import { startWorkerOps, type WorkerOps } from "../../src/ops/worker-ops.js";
import { type NotifySocket, openNotifySocket } from "../helpers/notify-socket.js";
import { REPO_ROOT } from "../helpers/paths.js";

const log = createLogger({ level: "error", format: "json", write: () => {} });

async function metricValue(ops: WorkerOps, sample: string): Promise<number | undefined> {
  const text = await (await fetch(`${ops.server!.url}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

async function healthz(ops: WorkerOps) {
  const response = await fetch(`${ops.server!.url}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("worker operations", () => {
  let socket: NotifySocket;
  before(async () => {
    socket = await openNotifySocket();
  });
  after(() => socket.close());

  test("reports a job to the metrics, the health endpoint and systemd together", async () => {
    const env = { NOTIFY_SOCKET: socket.path, ROBOTRAIN_METRICS_PORT: "127.0.0.1:0" };
    const ops = await startWorkerOps({ log, device: "cpu", env });
    const seen = socket.messages().length;
    try {
      ops.ready();
      ops.brokerConnected();
      ops.jobStarted(42, 8000);
      ops.jobProgress(42, { step: 300, totalSteps: 8000, loss: 0.5, samplesPerSecond: 96 });
      await ops.notifier.settled();

      let messages = socket.messages().slice(seen);
      assert.equal(messages[0], "READY=1\nSTATUS=waiting for jobs");
      assert.equal(messages.at(-1), "STATUS=training job 42, step 300/8000");
      assert.equal(await metricValue(ops, "robotrain_job_training_id"), 42);
      assert.equal(await metricValue(ops, "robotrain_job_step"), 300);
      assert.equal(await metricValue(ops, "robotrain_broker_connected"), 1);
      assert.deepEqual(await healthz(ops), {
        status: 200,
        body: { status: "ok", broker: "connected", job: 42 },
      });

      ops.jobFinished(42, "dead_lettered");
      await ops.notifier.settled();
      messages = socket.messages().slice(seen);
      assert.equal(messages.at(-1), "STATUS=job 42 dead-lettered; waiting for jobs");
      assert.equal(await metricValue(ops, 'robotrain_jobs_total{outcome="dead_lettered"}'), 1);
      assert.equal(await metricValue(ops, "robotrain_job_training_id"), 0);
      assert.equal((await healthz(ops)).body.job, null);

      ops.stopping();
      await ops.notifier.settled();
      assert.equal(socket.messages().at(-1), "STOPPING=1\nSTATUS=stopping");
      assert.equal((await healthz(ops)).status, 503);
    } finally {
      await ops.close();
    }
  });

  test("tells systemd the broker is gone and shows the job again once it is back", async () => {
    const env = { NOTIFY_SOCKET: socket.path, ROBOTRAIN_METRICS_PORT: "127.0.0.1:0" };
    const ops = await startWorkerOps({ log, device: "cpu", env });
    try {
      ops.brokerConnected();
      ops.jobStarted(7, 100);
      await ops.notifier.settled();
      ops.brokerDisconnected();
      await ops.notifier.settled();
      assert.equal(socket.messages().at(-1), "STATUS=broker unreachable, reconnecting");
      assert.equal(await metricValue(ops, "robotrain_broker_connected"), 0);

      ops.brokerConnected();
      await ops.notifier.settled();
      assert.equal(socket.messages().at(-1), "STATUS=training job 7");
      assert.equal(await metricValue(ops, "robotrain_broker_reconnects_total"), 1);
    } finally {
      await ops.close();
    }
  });

  test("sends a progress status at most once per interval, while metrics follow every step", async () => {
    const env = { NOTIFY_SOCKET: socket.path, ROBOTRAIN_METRICS_PORT: "127.0.0.1:0" };
    const ops = await startWorkerOps({ log, device: "cpu", env, statusIntervalMs: 60_000 });
    try {
      ops.jobStarted(9, 50);
      ops.jobProgress(9, { step: 10, totalSteps: 50 });
      await ops.notifier.settled();
      const seen = socket.messages().length;
      ops.jobProgress(9, { step: 20, totalSteps: 50 });
      ops.jobProgress(9, { step: 30, totalSteps: 50 });
      await ops.notifier.settled();

      assert.equal(socket.messages().at(-1), "STATUS=training job 9, step 10/50");
      assert.equal(socket.messages().length, seen);
      assert.equal(await metricValue(ops, "robotrain_job_step"), 30);
    } finally {
      await ops.close();
    }
  });

  test("pings the watchdog only while both the broker and the core's own check are alive", async () => {
    const env = {
      NOTIFY_SOCKET: socket.path,
      WATCHDOG_USEC: "100000",
      WATCHDOG_PID: String(process.pid),
      ROBOTRAIN_METRICS_PORT: "off",
    };
    let core: Liveness = { alive: false, reason: "the job supervisor stopped answering" };
    const seen = socket.messages().length;
    const ops = await startWorkerOps({ log, device: "cpu", env, isAlive: () => core });
    const pings = () =>
      socket
        .messages()
        .slice(seen)
        .filter((message) => message === "WATCHDOG=1");
    try {
      assert.equal(ops.server, undefined);
      await sleep(300);
      await ops.notifier.settled();
      assert.equal(pings().length, 0);

      core = { alive: true };
      await sleep(300);
      await ops.notifier.settled();
      assert.ok(pings().length >= 1);
    } finally {
      await ops.close();
    }
  });

  test("labels worker info with the version in package.json", async () => {
    const env = { ROBOTRAIN_METRICS_PORT: "127.0.0.1:0" };
    const ops = await startWorkerOps({ log, device: "cuda:0", env });
    try {
      const { version } = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8"));
      const info = `robotrain_worker_info{version="${version}",device="cuda:0"}`;
      assert.equal(await metricValue(ops, info), 1);
    } finally {
      await ops.close();
    }
  });
});
