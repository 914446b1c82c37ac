/**
 * Everything an operator sees of a worker, behind one object the worker core calls at each
 * change of state: the Prometheus metrics, `/healthz`, systemd's readiness and status line,
 * and the watchdog. Each call fans out to the parts that care about it, so metrics, health
 * and `systemctl status` never disagree.
 */
import { readFileSync } from "node:fs";
import type { Logger } from "../log.js";
import { readMetricsAddress } from "./metrics-address.js";
import { type MetricsServer, startMetricsServer } from "./metrics-server.js";
import { createSystemdNotifier, type SystemdNotifier } from "./systemd-notify.js";
import { startWatchdog, type Watchdog } from "./systemd-watchdog.js";
import { type Liveness, WorkerHealth, type WorkerHealthOptions } from "./worker-health.js";
import {
  type GpuMemory,
  type JobOutcome,
  type JobProgress,
  WorkerMetrics,
} from "./worker-metrics.js";

export interface WorkerOpsParams {
  log: Logger;
  /** The device jobs train on ("cpu", "cuda:0"). */
  device: string;
  /** GPU memory readings for the metrics; leave out on a CPU box. */
  gpuMemory?: () => GpuMemory[];
  /** The core's own check, asked before every watchdog ping besides the broker's. */
  isAlive?: () => Liveness;
  health?: WorkerHealthOptions;
  env?: NodeJS.ProcessEnv;
  /** @default "systemd-notify" */
  notifyCommand?: string;
  /** A progress status line goes to systemd at most this often. @default 5_000 */
  statusIntervalMs?: number;
}

export interface WorkerOps {
  readonly metrics: WorkerMetrics;
  readonly health: WorkerHealth;
  readonly notifier: SystemdNotifier;
  readonly watchdog: Watchdog;
  /** Absent when `ROBOTRAIN_METRICS_PORT=off`. */
  readonly server: MetricsServer | undefined;
  /** Start-up is done and the worker takes jobs: `READY=1`. */
  ready(): void;
  brokerConnected(): void;
  brokerDisconnected(): void;
  jobStarted(trainingId: number, totalSteps?: number): void;
  jobProgress(trainingId: number, progress: JobProgress): void;
  jobFinished(trainingId: number, outcome: JobOutcome): void;
  /** Shutdown has begun: `STOPPING=1`, and `/healthz` answers 503 from now on. */
  stopping(): void;
  /** Stops the watchdog and the endpoint, once the last notification has gone. */
  close(): Promise<void>;
}

export async function startWorkerOps(params: WorkerOpsParams): Promise<WorkerOps> {
  const env = params.env ?? process.env;
  const { log } = params;
  const metrics = new WorkerMetrics({
    version: robotrainVersion(),
    device: params.device,
    gpuMemory: params.gpuMemory,
  });
  const health = new WorkerHealth(params.health);
  const address = readMetricsAddress(env.ROBOTRAIN_METRICS_PORT);
  const server = address && (await startMetricsServer({ address, metrics, health }));
  if (server) log.info("metrics endpoint listening", { url: server.url });

  const notifier = createSystemdNotifier({ env, log, command: params.notifyCommand });
  const isAlive = (): Liveness => {
    const broker = health.liveness();
    return broker.alive && params.isAlive ? params.isAlive() : broker;
  };
  const watchdog = startWatchdog({ notifier, env, log, isAlive });
  const statusIntervalMs = params.statusIntervalMs ?? 5_000;

  let idleStatus = "waiting for jobs";
  let jobStatus: string | undefined;
  let lastProgressStatusAt = Number.NEGATIVE_INFINITY;
  const showStatus = () => notifier.status(jobStatus ?? idleStatus);

  return {
    metrics,
    health,
    notifier,
    watchdog,
    server,
    ready: () => notifier.ready(idleStatus),
    brokerConnected: () => {
      metrics.brokerConnected();
      health.brokerConnected();
      showStatus();
    },
    brokerDisconnected: () => {
      metrics.brokerDisconnected();
      health.brokerDisconnected();
      notifier.status("broker unreachable, reconnecting");
    },
    jobStarted: (trainingId, totalSteps) => {
      metrics.jobStarted(trainingId, totalSteps);
      health.jobStarted(trainingId);
      jobStatus = `training job ${trainingId}`;
      lastProgressStatusAt = Number.NEGATIVE_INFINITY;
      showStatus();
    },
    jobProgress: (trainingId, progress) => {
      metrics.jobProgress(progress);
      const total = progress.totalSteps === undefined ? "" : `/${progress.totalSteps}`;
      jobStatus = `training job ${trainingId}, step ${progress.step}${total}`;
      // A spawn per progress event would be noise; systemctl status needs no more than this.
      if (performance.now() - lastProgressStatusAt < statusIntervalMs) return;
      lastProgressStatusAt = performance.now();
      showStatus();
    },
    jobFinished: (trainingId, outcome) => {
      metrics.jobFinished(outcome);
      health.jobEnded();
      jobStatus = undefined;
      idleStatus = `job ${trainingId} ${outcome.replace("_", "-")}; waiting for jobs`;
      showStatus();
    },
    stopping: () => {
      health.stopping();
      notifier.stopping(jobStatus ? `stopping; ${jobStatus}` : "stopping");
    },
    close: async () => {
      watchdog.stop();
      await notifier.settled();
      await server?.close();
    },
  };
}

/** robotrain's version, from its package.json (three folders up from dist/src/ops/). */
function robotrainVersion(): string {
  const packageJson = new URL("../../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;
}
