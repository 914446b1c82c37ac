/**
 * The worker's Prometheus metrics, in a registry of its own (not prom-client's global one), so
 * two workers in one process, or a test beside the daemon, never share a counter. The worker core
 * reports state changes through the methods here; `/metrics` renders the registry.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

/** How a job's delivery ended, one label value each. */
export type JobOutcome = "succeeded" | "failed" | "canceled" | "requeued" | "dead_lettered";

export const JOB_OUTCOMES: readonly JobOutcome[] = [
  "succeeded",
  "failed",
  "canceled",
  "requeued",
  "dead_lettered",
];

/** Memory of one GPU, as its driver reports it. */
export interface GpuMemory {
  /** e.g. "cuda:0", as the training device is named. */
  device: string;
  usedBytes: number;
  totalBytes: number;
}

export interface WorkerMetricsOptions {
  /** robotrain's version, for `robotrain_worker_info`. */
  version: string;
  /** The device jobs train on ("cpu", "cuda:0"), for `robotrain_worker_info`. */
  device: string;
  /**
   * Read at every scrape, e.g. from the addon's CUDA info. Leave it out on a CPU box: the GPU
   * memory gauges are then absent, not zero.
   */
  gpuMemory?: () => GpuMemory[];
  /** Also export Node's process metrics (memory, CPU, event-loop lag, GC). @default true */
  processMetrics?: boolean;
}

export interface JobProgress {
  step: number;
  totalSteps?: number;
  samplesPerSecond?: number;
  loss?: number;
}

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly jobs: Counter<"outcome">;
  private readonly trainingId: Gauge;
  private readonly step: Gauge;
  private readonly totalSteps: Gauge;
  private readonly samplesPerSecond: Gauge;
  private readonly loss: Gauge;
  private readonly brokerUp: Gauge;
  private readonly brokerReconnects: Counter;
  private everConnected = false;

  constructor(options: WorkerMetricsOptions) {
    const registers = [this.registry];
    this.jobs = new Counter({
      name: "robotrain_jobs_total",
      help: "Jobs this worker finished, by how their delivery ended",
      labelNames: ["outcome"],
      registers,
    });
    for (const outcome of JOB_OUTCOMES) this.jobs.inc({ outcome }, 0);

    const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
    this.trainingId = gauge("robotrain_job_training_id", "Training id of the current job; 0 idle");
    this.step = gauge("robotrain_job_step", "Optimizer steps the current job has done");
    this.totalSteps = gauge("robotrain_job_total_steps", "Optimizer steps the current job plans");
    this.samplesPerSecond = gauge(
      "robotrain_job_samples_per_second",
      "Training samples per second of the current job, over its last progress interval",
    );
    this.loss = gauge("robotrain_job_loss", "Training loss at the current job's last step");
    this.brokerUp = gauge("robotrain_broker_connected", "1 while connected to the broker, else 0");
    this.brokerReconnects = new Counter({
      name: "robotrain_broker_reconnects_total",
      help: "Connections to the broker made again after one was lost",
      registers,
    });

    new Gauge({
      name: "robotrain_worker_info",
      help: "Always 1; its labels say which robotrain runs here, training on which device",
      labelNames: ["version", "device"],
      registers,
    }).set({ version: options.version, device: options.device }, 1);

    if (options.gpuMemory) this.registerGpuMemory(options.gpuMemory);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** The registry in Prometheus's text format, and the content type to serve it with. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  jobStarted(trainingId: number, totalSteps = 0): void {
    this.trainingId.set(trainingId);
    this.step.set(0);
    this.totalSteps.set(totalSteps);
    this.samplesPerSecond.set(0);
    this.loss.set(0);
  }

  jobProgress(progress: JobProgress): void {
    this.step.set(progress.step);
    if (progress.totalSteps !== undefined) this.totalSteps.set(progress.totalSteps);
    if (progress.samplesPerSecond !== undefined) {
      this.samplesPerSecond.set(progress.samplesPerSecond);
    }
    if (progress.loss !== undefined) this.loss.set(progress.loss);
  }

  /** Counts the job under `outcome`; the job gauges go back to 0 (idle). */
  jobFinished(outcome: JobOutcome): void {
    this.jobs.inc({ outcome });
    const jobGauges = [
      this.trainingId,
      this.step,
      this.totalSteps,
      this.samplesPerSecond,
      this.loss,
    ];
    for (const gauge of jobGauges) gauge.set(0);
  }

  /** A connection to the broker is up; every one after the first counts as a reconnect. */
  brokerConnected(): void {
    if (this.everConnected) this.brokerReconnects.inc();
    this.everConnected = true;
    this.brokerUp.set(1);
  }

  brokerDisconnected(): void {
    this.brokerUp.set(0);
  }

  private registerGpuMemory(gpuMemory: () => GpuMemory[]): void {
    const readings = (pick: (gpu: GpuMemory) => number) =>
      function (this: Gauge<"device">) {
        this.reset();
        for (const gpu of gpuMemory()) this.set({ device: gpu.device }, pick(gpu));
      };
    new Gauge({
      name: "robotrain_gpu_memory_used_bytes",
      help: "GPU memory in use, as the driver reports it",
      labelNames: ["device"],
      registers: [this.registry],
      collect: readings((gpu) => gpu.usedBytes),
    });
    new Gauge({
      name: "robotrain_gpu_memory_total_bytes",
      help: "GPU memory in all",
      labelNames: ["device"],
      registers: [this.registry],
      collect: readings((gpu) => gpu.totalBytes),
    });
  }
}
