import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import promClient from "prom-client";
import { UsageError } from "../../src/errors.js";
import { readMetricsAddress } from "../../src/ops/metrics-address.js";
import { type MetricsServer, startMetricsServer } from "../../src/ops/metrics-server.js";
import { WorkerHealth, type WorkerHealthOptions } from "../../src/ops/worker-health.js";
import { type GpuMemory, WorkerMetrics } from "../../src/ops/worker-metrics.js";

interface Endpoint {
  server: MetricsServer;
  metrics: WorkerMetrics;
  health: WorkerHealth;
}

async function withEndpoint(
  options: { gpuMemory?: () => GpuMemory[]; health?: WorkerHealthOptions },
  body: (endpoint: Endpoint) => Promise<void>,
): Promise<void> {
  const metrics = new WorkerMetrics({
    version: "0.1.0",
    device: "cuda:0",
    gpuMemory: options.gpuMemory,
  });
  const health = new WorkerHealth(options.health);
  const address = { host: "127.0.0.1", port: 0 };
  const server = await startMetricsServer({ address, metrics, health });
  try {
    await body({ server, metrics, health });
  } finally {
    await server.close();
  }
}

/** Samples of a Prometheus text exposition, by `name{labels}` as printed. */
async function scrape(server: MetricsServer): Promise<Map<string, number>> {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), promClient.contentType);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const split = line.lastIndexOf(" ");
    samples.set(line.slice(0, split), Number(line.slice(split + 1)));
  }
  return samples;
}

async function healthz(server: MetricsServer) {
  const response = await fetch(`${server.url}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("metrics endpoint", () => {
  test("serves the current job's step, total steps, samples/s and loss", async () => {
    await withEndpoint({}, async ({ server, metrics }) => {
      metrics.jobStarted(42, 8000);
      metrics.jobProgress({ step: 300, samplesPerSecond: 250.5, loss: 0.75 });

      const samples = await scrape(server);
      assert.equal(samples.get("robotrain_job_training_id"), 42);
      assert.equal(samples.get("robotrain_job_step"), 300);
      assert.equal(samples.get("robotrain_job_total_steps"), 8000);
      assert.equal(samples.get("robotrain_job_samples_per_second"), 250.5);
      assert.equal(samples.get("robotrain_job_loss"), 0.75);
    });
  });

  test("counts finished jobs by outcome and shows 0 for the job once idle", async () => {
    await withEndpoint({}, async ({ server, metrics }) => {
      const before = await scrape(server);
      for (const outcome of ["succeeded", "failed", "canceled", "requeued", "dead_lettered"]) {
        assert.equal(before.get(`robotrain_jobs_total{outcome="${outcome}"}`), 0, outcome);
      }

      metrics.jobStarted(7, 100);
      metrics.jobFinished("succeeded");
      metrics.jobStarted(8, 100);
      metrics.jobFinished("requeued");
      metrics.jobStarted(9, 100);
      metrics.jobProgress({ step: 50, loss: 1.5 });
      metrics.jobFinished("succeeded");

      const after = await scrape(server);
      assert.equal(after.get('robotrain_jobs_total{outcome="succeeded"}'), 2);
      assert.equal(after.get('robotrain_jobs_total{outcome="requeued"}'), 1);
      assert.equal(after.get('robotrain_jobs_total{outcome="failed"}'), 0);
      assert.equal(after.get("robotrain_job_training_id"), 0);
      assert.equal(after.get("robotrain_job_step"), 0);
      assert.equal(after.get("robotrain_job_loss"), 0);
    });
  });

  test("shows the broker connection and counts reconnects, not the first connect", async () => {
    await withEndpoint({}, async ({ server, metrics }) => {
      assert.equal((await scrape(server)).get("robotrain_broker_connected"), 0);

      metrics.brokerConnected();
      let samples = await scrape(server);
      assert.equal(samples.get("robotrain_broker_connected"), 1);
      assert.equal(samples.get("robotrain_broker_reconnects_total"), 0);

      metrics.brokerDisconnected();
      assert.equal((await scrape(server)).get("robotrain_broker_connected"), 0);
      metrics.brokerConnected();
      metrics.brokerDisconnected();
      metrics.brokerConnected();
      samples = await scrape(server);
      assert.equal(samples.get("robotrain_broker_connected"), 1);
      assert.equal(samples.get("robotrain_broker_reconnects_total"), 2);
    });
  });

  test("labels worker info with the version and device, and exports process metrics", async () => {
    await withEndpoint({}, async ({ server }) => {
      const samples = await scrape(server);
      assert.equal(samples.get('robotrain_worker_info{version="0.1.0",device="cuda:0"}'), 1);
      assert.ok((samples.get("process_resident_memory_bytes") ?? 0) > 0);
    });
  });

  test("reads GPU memory from the core's callback at every scrape", async () => {
    let usedBytes = 1_000_000;
    const gpuMemory = () => [
      { device: "cuda:0", usedBytes, totalBytes: 80e9 },
      { device: "cuda:1", usedBytes: 5, totalBytes: 40e9 },
    ];
    await withEndpoint({ gpuMemory }, async ({ server }) => {
      let samples = await scrape(server);
      assert.equal(samples.get('robotrain_gpu_memory_used_bytes{device="cuda:0"}'), 1_000_000);
      assert.equal(samples.get('robotrain_gpu_memory_total_bytes{device="cuda:0"}'), 80e9);
      assert.equal(samples.get('robotrain_gpu_memory_total_bytes{device="cuda:1"}'), 40e9);

      usedBytes = 2_500_000_000;
      samples = await scrape(server);
      assert.equal(samples.get('robotrain_gpu_memory_used_bytes{device="cuda:0"}'), 2.5e9);
    });
  });

  test("has no GPU memory gauges on a box without a GPU reading", async () => {
    await withEndpoint({}, async ({ server }) => {
      const names = [...(await scrape(server)).keys()];
      assert.equal(names.filter((name) => name.startsWith("robotrain_gpu_")).length, 0);
      assert.ok(names.includes("robotrain_job_step"));
    });
  });

  test("answers 500 naming the failure when the GPU reading throws", async () => {
    const gpuMemory = (): GpuMemory[] => {
      throw new Error("CUDA driver is gone");
    };
    await withEndpoint({ gpuMemory }, async ({ server }) => {
      const response = await fetch(`${server.url}/metrics`);
      assert.equal(response.status, 500);
      assert.match(await response.text(), /CUDA driver is gone/);
    });
  });

  test("keeps each worker's metrics in its own registry", async () => {
    const first = new WorkerMetrics({ version: "1", device: "cpu", processMetrics: false });
    const second = new WorkerMetrics({ version: "1", device: "cpu", processMetrics: false });
    first.jobStarted(11, 10);

    assert.match((await first.render()).body, /^robotrain_job_training_id 11$/m);
    assert.match((await second.render()).body, /^robotrain_job_training_id 0$/m);
  });

  test("answers 404 for another path and 405 for another method", async () => {
    await withEndpoint({}, async ({ server }) => {
      assert.equal((await fetch(`${server.url}/`)).status, 404);
      assert.equal((await fetch(`${server.url}/metrics`, { method: "POST" })).status, 405);
    });
  });
});

describe("health endpoint", () => {
  test("is 200 with the broker and the job while connected", async () => {
    await withEndpoint({}, async ({ server, health }) => {
      health.brokerConnected();
      assert.deepEqual(await healthz(server), {
        status: 200,
        body: { status: "ok", broker: "connected", job: null },
      });

      health.jobStarted(42);
      assert.deepEqual((await healthz(server)).body, {
        status: "ok",
        broker: "connected",
        job: 42,
      });
      health.jobEnded();
      assert.equal((await healthz(server)).body.job, null);
    });
  });

  test("turns 503 once the broker is down for longer than the grace period", async () => {
    const graceMs = 800;
    await withEndpoint({ health: { brokerGraceMs: graceMs } }, async ({ server, health }) => {
      health.brokerConnected();
      health.brokerDisconnected();
      const early = await healthz(server);
      assert.equal(early.status, 200);
      assert.equal(early.body.status, "connecting");
      assert.equal(early.body.broker, "disconnected");

      await sleep(graceMs + 50);
      const late = await healthz(server);
      assert.equal(late.status, 503);
      assert.equal(late.body.status, "broker_down");
      assert.ok((late.body.brokerDownMs as number) >= graceMs);

      health.brokerConnected();
      assert.equal((await healthz(server)).status, 200);
    });
  });

  test("is 503 before the first connection once the grace period is over", async () => {
    await withEndpoint({ health: { brokerGraceMs: 50 } }, async ({ server }) => {
      await sleep(80);
      const { status, body } = await healthz(server);
      assert.equal(status, 503);
      assert.equal(body.broker, "disconnected");
    });
  });

  test("is 503 while the worker is stopping, connected or not", async () => {
    await withEndpoint({}, async ({ server, health }) => {
      health.brokerConnected();
      health.jobStarted(5);
      health.stopping();
      assert.deepEqual(await healthz(server), {
        status: 503,
        body: { status: "stopping", broker: "connected", job: 5 },
      });
    });
  });
});

describe("worker liveness", () => {
  test("is dead once the broker is down for longer than brokerDeadAfterMs", async () => {
    const health = new WorkerHealth({ brokerGraceMs: 10, brokerDeadAfterMs: 100 });
    health.brokerConnected();
    assert.deepEqual(health.liveness(), { alive: true });

    health.brokerDisconnected();
    assert.deepEqual(health.liveness(), { alive: true });
    await sleep(130);
    const dead = health.liveness();
    assert.equal(dead.alive, false);
    assert.match(dead.alive ? "" : dead.reason, /broker has been unreachable for/);

    health.brokerConnected();
    assert.deepEqual(health.liveness(), { alive: true });
  });

  test("stays alive while stopping", () => {
    const health = new WorkerHealth();
    health.brokerConnected();
    health.stopping();
    assert.deepEqual(health.liveness(), { alive: true });
  });
});

describe("metrics address", () => {
  test("defaults to port 9464 on every interface, and is off when asked", () => {
    assert.deepEqual(readMetricsAddress(undefined), { port: 9464 });
    assert.deepEqual(readMetricsAddress(""), { port: 9464 });
    assert.equal(readMetricsAddress("off"), undefined);
  });

  test("takes a port, 0, or host:port", () => {
    assert.deepEqual(readMetricsAddress("9500"), { port: 9500 });
    assert.deepEqual(readMetricsAddress("0"), { port: 0 });
    assert.deepEqual(readMetricsAddress("127.0.0.1:9465"), { host: "127.0.0.1", port: 9465 });
    assert.deepEqual(readMetricsAddress("[::1]:9465"), { host: "::1", port: 9465 });
  });

  test("refuses what is not a port, naming the variable and the forms it takes", () => {
    for (const value of ["metrics", "70000", "127.0.0.1:", ":9464", "-1"]) {
      assert.throws(
        () => readMetricsAddress(value),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message.startsWith(`ROBOTRAIN_METRICS_PORT: '${value}' is not a port`),
        value,
      );
    }
  });

  test("says which port is taken when it cannot listen", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as { port: number };
    try {
      const metrics = new WorkerMetrics({ version: "1", device: "cpu", processMetrics: false });
      await assert.rejects(
        startMetricsServer({
          address: { host: "127.0.0.1", port },
          metrics,
          health: new WorkerHealth(),
        }),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message.includes(`127.0.0.1 port ${port} (EADDRINUSE)`),
      );
    } finally {
      taken.close();
    }
  });
});
