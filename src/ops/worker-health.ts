/**
 * Whether the worker is healthy (`/healthz`) and whether it is alive (the systemd watchdog). The
 * worker core reports its state through the setters; the two questions are asked of that state:
 *
 * - healthy: connected to the broker, or disconnected for less than the grace period, and not
 *   stopping. A load balancer or an alert reads this; a worker that is connecting or reconnecting is
 *   given time first.
 * - alive: not disconnected for longer than `brokerDeadAfterMs`. A worker that has not got its
 *   broker back by then is wedged, and the watchdog lets systemd restart it. Stopping is alive:
 *   systemd's stop timeout governs a stopping worker.
 */

export interface WorkerHealthOptions {
  /** Disconnected for this long, the worker turns unhealthy. @default 30_000 */
  brokerGraceMs?: number;
  /** Disconnected for this long, the worker counts as dead. @default 300_000 */
  brokerDeadAfterMs?: number;
}

export type HealthStatus = "ok" | "connecting" | "broker_down" | "stopping";

/** The `/healthz` body. */
export interface HealthReport {
  status: HealthStatus;
  broker: "connected" | "disconnected";
  /** Training id of the job in progress, or null when idle. */
  job: number | null;
  /** How long the broker has been unreachable; absent while connected. */
  brokerDownMs?: number;
}

/** Connected, or connecting within the grace period, and not stopping. */
export function isHealthy(report: HealthReport): boolean {
  return report.status === "ok" || report.status === "connecting";
}

export type Liveness = { alive: true } | { alive: false; reason: string };

export class WorkerHealth {
  private readonly brokerGraceMs: number;
  private readonly brokerDeadAfterMs: number;
  /** When the broker connection was last lost (or when the worker started, before the first). */
  private brokerDownSince: number | undefined = performance.now();
  private currentJob: number | null = null;
  private isStopping = false;

  constructor(options: WorkerHealthOptions = {}) {
    this.brokerGraceMs = options.brokerGraceMs ?? 30_000;
    this.brokerDeadAfterMs = options.brokerDeadAfterMs ?? 300_000;
  }

  brokerConnected(): void {
    this.brokerDownSince = undefined;
  }

  brokerDisconnected(): void {
    this.brokerDownSince ??= performance.now();
  }

  jobStarted(trainingId: number): void {
    this.currentJob = trainingId;
  }

  jobEnded(): void {
    this.currentJob = null;
  }

  /** The worker takes no new job from here on; it is unhealthy until it exits. */
  stopping(): void {
    this.isStopping = true;
  }

  report(): HealthReport {
    const downMs = this.brokerDownMs();
    const broker = downMs === undefined ? "connected" : "disconnected";
    const base = { broker, job: this.currentJob } as const;
    const withDown = downMs === undefined ? base : { ...base, brokerDownMs: Math.round(downMs) };
    return { status: this.status(downMs), ...withDown };
  }

  healthy(): boolean {
    return isHealthy(this.report());
  }

  liveness(): Liveness {
    const downMs = this.brokerDownMs();
    if (downMs === undefined || downMs < this.brokerDeadAfterMs) return { alive: true };
    return {
      alive: false,
      reason: `the broker has been unreachable for ${Math.round(downMs / 1000)} s`,
    };
  }

  private status(downMs: number | undefined): HealthStatus {
    if (this.isStopping) return "stopping";
    if (downMs === undefined) return "ok";
    return downMs < this.brokerGraceMs ? "connecting" : "broker_down";
  }

  private brokerDownMs(): number | undefined {
    return this.brokerDownSince === undefined
      ? undefined
      : performance.now() - this.brokerDownSince;
  }
}
