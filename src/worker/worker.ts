/**
 * The worker daemon: takes one job at a time from the job queue and sees it to an end. A job
 * reads like a recipe: read the delivery, check what this machine knows of it, run it in a
 * child process, then ack, requeue or dead-letter its delivery by how it ended. The delivery is
 * acked only after the model is on the Hub (or the job has definitively failed and said so).
 *
 * The broker connection is kept up for the worker's whole life: a lost connection is reopened
 * with backoff while the job goes on in its child process. New jobs are consumed only while no
 * job runs, so a job whose delivery was lost with its channel is never joined by a second one.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from "amqplib";
import type { JobMessage } from "../contract/index.js";
import type { Logger } from "../log.js";
import type { WorkerOps } from "../ops/worker-ops.js";
import { redactUrl } from "../queue/broker-config.js";
import { connectBroker } from "../queue/connect.js";
import { parseControlMessage } from "../queue/control-message.js";
import type { JobEvent } from "../queue/job-event.js";
import { publishEvent } from "../queue/publish-job.js";
import { declareTopology } from "../queue/topology.js";
import { deadLetter } from "./dead-letter.js";
import type { FromJobProcess, GpuMemoryReading } from "./job-ipc.js";
import { JobStore } from "./job-store.js";
import { type JobOutcome, type JobRun, startJobProcess } from "./job-supervisor.js";
import { readDelivery } from "./read-delivery.js";
import { redactSecrets, secretsOf } from "./secrets.js";
import type { WorkerConfig } from "./worker-config.js";

/** One job in progress and the delivery that carries it (gone when its channel closed). */
interface CurrentJob {
  job: JobMessage;
  run: JobRun;
  delivery?: { channel: ConfirmChannel; message: ConsumeMessage };
  log: Logger;
  lastProgress: { step: number; atMs: number };
}

/** What operators see (metrics, health, systemd), told of every change of the worker's state. */
export type WorkerObserver = Pick<
  WorkerOps,
  | "brokerConnected"
  | "brokerDisconnected"
  | "jobStarted"
  | "jobProgress"
  | "jobFinished"
  | "stopping"
>;

export interface WorkerParams {
  config: WorkerConfig;
  log: Logger;
  observer?: WorkerObserver;
}

const MAX_RECONNECT_DELAY_MS = 30_000;

export class Worker {
  private readonly config: WorkerConfig;
  private readonly log: Logger;
  private readonly store: JobStore;
  private readonly observer?: WorkerObserver;
  private connection?: ChannelModel;
  private channel?: ConfirmChannel;
  private consumerTag?: string;
  private consumerArguments: Record<string, number> = {};
  private lastGpuMemory?: GpuMemoryReading;
  private current?: CurrentJob;
  private stopping = false;
  private reconnecting?: Promise<void>;
  /** Deliveries being handled, each from its arrival to its ack, nack or dead-lettering. */
  private readonly handling = new Set<Promise<void>>();

  constructor(params: WorkerParams) {
    this.config = params.config;
    this.log = params.log;
    this.store = new JobStore(params.config.home);
    this.observer = params.observer;
  }

  /** The training device's memory as the running job last read it; none when idle or on a CPU. */
  gpuMemory(): GpuMemoryReading[] {
    return this.current && this.lastGpuMemory ? [this.lastGpuMemory] : [];
  }

  /** Connects, declares the topology and starts taking jobs. */
  async start(): Promise<void> {
    await this.removeOldJobs();
    await this.connect();
  }

  /**
   * Stops taking jobs; a running job checkpoints and its delivery goes back to the queue (a
   * job that does not stop within the grace period is killed, its newest checkpoint kept).
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.observer?.stopping();
    this.log.info("worker stopping", { graceMs: this.config.stopGraceMs });
    await this.stopConsuming();

    const current = this.current;
    if (current) {
      current.run.stop("shutdown");
      const inTime = await Promise.race([
        current.run.done.then(() => true),
        delay(this.config.stopGraceMs).then(() => false),
      ]);
      if (!inTime) {
        current.log.warn("job killed after the grace period", { graceMs: this.config.stopGraceMs });
        current.run.kill();
      }
    }
    // The delivery's own handling settles it: a stopped job's is requeued.
    await Promise.all([...this.handling]);
    await this.connection?.close().catch(() => {});
    this.log.info("worker stopped");
  }

  // ---- The broker connection ----------------------------------------------------------------

  private async connect(): Promise<void> {
    const { broker } = this.config;
    const connection = await connectBroker({
      config: broker,
      connectionName: `robotrain worker ${process.pid}`,
    });
    const channel = await connection.createConfirmChannel();
    await declareTopology(channel, broker);
    await channel.prefetch(1);
    await this.listenForControl(connection);

    this.connection = connection;
    this.channel = channel;
    connection.on("error", () => {}); // the close that follows says it all
    connection.on("close", (error?: Error) => this.onConnectionLost(connection, error));
    channel.on("error", () => {});
    channel.on("close", () => this.onChannelLost(connection, channel));
    this.consumerArguments = this.consumerTimeoutArguments(connection);
    this.observer?.brokerConnected();
    this.log.info("worker connected", { broker: redactUrl(broker.url), queue: broker.jobQueue });

    if (!this.current) await this.consume(channel);
  }

  private async consume(channel: ConfirmChannel): Promise<void> {
    if (this.stopping || this.consumerTag) return;
    const { consumerTag } = await channel.consume(
      this.config.broker.jobQueue,
      (message) => {
        if (!message) return;
        const handling = this.onDelivery(channel, message);
        this.handling.add(handling);
        void handling.finally(() => this.handling.delete(handling));
      },
      { noAck: false, arguments: this.consumerArguments },
    );
    this.consumerTag = consumerTag;
  }

  private async stopConsuming(): Promise<void> {
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (tag && this.channel) await this.channel.cancel(tag).catch(() => {});
  }

  /** Cancel messages reach every worker through a private queue of its own. */
  private async listenForControl(connection: ChannelModel): Promise<void> {
    const channel = await connection.createChannel();
    channel.on("error", () => {});
    const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, this.config.broker.controlExchange, "");
    await channel.consume(
      queue,
      (message) => {
        const control = message && parseControlMessage(message.content);
        if (control?.type === "cancel") void this.cancel(control.training_id);
      },
      { noAck: true },
    );
  }

  private onChannelLost(connection: ChannelModel, channel: ConfirmChannel): void {
    if (this.channel !== channel) return;
    this.dropDelivery(channel);
    // A channel the broker closed on a live connection: most often an ack that came too late.
    if (!this.stopping && this.connection === connection) {
      this.log.error("broker channel closed", {
        hint:
          "RabbitMQ closes a consumer's channel when a delivery stays unacked longer than its " +
          "consumer_timeout (30 min by default); raise consumer_timeout on the broker",
      });
      void connection.close().catch(() => {});
    }
  }

  private onConnectionLost(connection: ChannelModel, error?: Error): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    if (this.channel) this.dropDelivery(this.channel);
    this.channel = undefined;
    this.consumerTag = undefined;
    if (this.stopping) return;
    this.observer?.brokerDisconnected();
    this.log.error("broker connection lost", { error: error?.message ?? "closed" });
    this.reconnecting ??= this.reconnect().finally(() => {
      this.reconnecting = undefined;
    });
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      await delay(Math.min(1000 * 2 ** (attempt - 1), MAX_RECONNECT_DELAY_MS));
      try {
        await this.connect();
        this.log.info("broker reconnected", { attempt });
        return;
      } catch (error) {
        this.log.warn("broker reconnect failed", { attempt, error: (error as Error).message });
      }
    }
  }

  /** The running job's delivery died with `channel`: the broker has requeued it. */
  private dropDelivery(channel: ConfirmChannel): void {
    const current = this.current;
    if (current?.delivery?.channel !== channel) return;
    current.delivery = undefined;
    current.log.warn("job delivery lost with its channel", {
      hint: "the job goes on here; its requeued delivery is acked once it has ended",
    });
  }

  /**
   * RabbitMQ closes a channel whose delivery stays unacked past its consumer timeout (30 min by
   * default), and trainings last longer. From 3.11.15 a consumer may ask for its own timeout;
   * before that only the broker's configuration can raise it, which the log says.
   */
  private consumerTimeoutArguments(connection: ChannelModel): Record<string, number> {
    const properties = (connection as unknown as { connection?: { serverProperties?: object } })
      .connection?.serverProperties as { version?: string } | undefined;
    const version = properties?.version ?? "";
    const [major = 0, minor = 0, patch = 0] = version.split(".").map(Number);
    const supported = major > 3 || (major === 3 && (minor > 11 || (minor === 11 && patch >= 15)));
    if (supported) return { "x-consumer-timeout": this.config.consumerTimeoutMs };

    // Limitation: before RabbitMQ 3.11.15 a job longer than consumer_timeout loses its delivery
    // and another worker may train it too — only the broker's configuration can raise that
    // timeout; it is said here, at start, and when the channel closes.
    this.log.warn("broker may time out long jobs", {
      brokerVersion: version,
      hint:
        "RabbitMQ before 3.11.15 has no per-consumer timeout: a job longer than the broker's " +
        "consumer_timeout (30 min by default) loses its delivery; set consumer_timeout in " +
        "rabbitmq.conf above the longest job, or upgrade the broker",
    });
    return {};
  }

  // ---- One delivery ---------------------------------------------------------------------------

  private async onDelivery(channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    try {
      await this.takeDelivery(channel, message);
    } catch (error) {
      // Only the broker can fail here (an ack on a dead channel): the delivery is requeued by
      // the broker, and the job's folder makes the next delivery pick up where this one ended.
      this.log.error("delivery not settled", { error: (error as Error).message });
    }
  }

  private async takeDelivery(channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    // One that arrived as the consumer was being canceled goes back for another worker.
    if (this.stopping) return channel.nack(message, false, true);

    const read = readDelivery(message, this.config.maxMessageBytes);
    if ("rejection" in read) {
      const { reason, detail, trainingId } = read.rejection;
      this.log.error("job rejected", { jobId: trainingId ?? null, reason });
      this.observer?.jobFinished(trainingId ?? 0, "dead_lettered");
      if (trainingId !== undefined) {
        await this.publish(channel, { training_id: trainingId, kind: "failed", message: reason });
      }
      await deadLetter({ channel, config: this.config.broker, delivery: message, reason, detail });
      return;
    }

    const { job } = read;
    const log = this.log.child({ jobId: job.training_id });
    if (this.current?.job.training_id === job.training_id) {
      // The running job's own delivery, back after a reconnect: it now carries the job.
      this.current.delivery = { channel, message };
      log.info("job delivery taken over");
      return;
    }
    if (await this.settledAlready(channel, message, job, log)) return;

    const free = await this.store.freeBytes();
    if (free < this.config.minFreeBytes) {
      log.error("job waits for disk space", {
        freeBytes: free,
        minFreeBytes: this.config.minFreeBytes,
      });
      await this.requeueLater(channel, message, 1);
      return;
    }
    await this.runJob(channel, message, job, log);
  }

  /** A delivery of a job that already ended here is acked at once, its end said again. */
  private async settledAlready(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    job: JobMessage,
    log: Logger,
  ): Promise<boolean> {
    const state = await this.store.read(job.training_id);
    if (state?.status !== "succeeded" && state?.status !== "canceled") return false;
    log.info("job ended already", { status: state.status });
    await this.publish(channel, {
      training_id: job.training_id,
      kind: state.status,
      model_name: job.model_name,
      ...(state.repo_url && { message: state.repo_url }),
    });
    channel.ack(message);
    return true;
  }

  private async runJob(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    job: JobMessage,
    log: Logger,
  ): Promise<void> {
    await this.store.write(job.training_id, "running");
    this.observer?.jobStarted(job.training_id);
    log.info("job running", { modelType: job.model_type, dataset: job.dataset_name });
    await this.publish(channel, {
      training_id: job.training_id,
      kind: "running",
      model_name: job.model_name,
    });

    const run = startJobProcess({
      job,
      outputDir: this.store.outputDir(job.training_id),
      device: this.config.device,
      onReport: (report) => void this.onReport(report),
    });
    this.current = {
      job,
      run,
      delivery: { channel, message },
      log,
      lastProgress: { step: 0, atMs: 0 },
    };
    log.info("job process started", { pid: run.pid });

    const outcome = await run.done;
    const delivery = this.current.delivery;
    this.current = undefined;
    await this.finish(job, outcome, log, delivery);

    await this.removeOldJobs();
    if (!this.stopping && this.channel && !this.consumerTag) await this.consume(this.channel);
  }

  // ---- How a job ends -------------------------------------------------------------------------

  private async finish(
    job: JobMessage,
    outcome: JobOutcome,
    log: Logger,
    delivery: CurrentJob["delivery"],
  ): Promise<void> {
    const id = job.training_id;
    const secrets = secretsOf(job);
    const channel = delivery?.channel ?? this.channel;

    if (outcome.kind === "succeeded") {
      this.observer?.jobFinished(id, "succeeded");
      await this.store.write(id, "succeeded", { repo_url: outcome.repoUrl });
      log.info("job succeeded", {
        steps: outcome.steps,
        repoUrl: outcome.repoUrl,
        lossAtEnd: outcome.lossAtEnd,
      });
      await this.publish(channel, {
        training_id: id,
        kind: "succeeded",
        model_name: job.model_name,
        message: outcome.repoUrl,
        revision: outcome.revision,
      });
      delivery?.channel.ack(delivery.message);
    } else if (outcome.kind === "canceled") {
      this.observer?.jobFinished(id, "canceled");
      await this.store.write(id, "canceled");
      log.info("job canceled", { step: outcome.step });
      await this.publish(channel, {
        training_id: id,
        kind: "canceled",
        model_name: job.model_name,
        step: outcome.step,
      });
      delivery?.channel.ack(delivery.message);
    } else if (outcome.kind === "stopped") {
      this.observer?.jobFinished(id, "requeued");
      log.info("job requeued", { step: outcome.step, reason: "worker stopping" });
      delivery?.channel.nack(delivery.message, false, true);
    } else {
      const message = redactSecrets(outcome.failure.message, secrets);
      await this.fail(job, { ...outcome.failure, message }, log, delivery);
    }
    if (!delivery) log.info("job ended without its delivery", { outcome: outcome.kind });
  }

  /** Requeued while it may heal and deliveries are left; else dead-lettered with its reason. */
  private async fail(
    job: JobMessage,
    failure: { name: string; message: string; retryable: boolean },
    log: Logger,
    delivery: CurrentJob["delivery"],
  ): Promise<void> {
    const attempt = deliveryAttempt(delivery?.message);
    const lastTry = attempt >= this.config.broker.deliveryLimit;
    if (failure.retryable && !lastTry && delivery) {
      this.observer?.jobFinished(job.training_id, "requeued");
      log.warn("job failed, will retry", { error: failure.message, attempt });
      await this.requeueLater(delivery.channel, delivery.message, attempt);
      return;
    }

    const reason = failure.retryable
      ? `${failure.message} (gave up after ${attempt} deliveries)`
      : failure.message;
    this.observer?.jobFinished(job.training_id, "failed");
    await this.store.write(job.training_id, "failed", { message: reason });
    log.error("job failed", { error: reason, errorName: failure.name, attempt });
    const channel = delivery?.channel ?? this.channel;
    await this.publish(channel, {
      training_id: job.training_id,
      kind: "failed",
      model_name: job.model_name,
      message: reason,
    });
    if (delivery) {
      await deadLetter({
        channel: delivery.channel,
        config: this.config.broker,
        delivery: delivery.message,
        reason,
      });
    }
  }

  /** Holds the delivery a while (backing off as deliveries add up), then requeues it. */
  private async requeueLater(channel: ConfirmChannel, message: ConsumeMessage, attempt: number) {
    const delayMs = Math.min(this.config.retryDelayMs * 2 ** (attempt - 1), 300_000);
    const until = Date.now() + delayMs;
    while (Date.now() < until && !this.stopping) await delay(Math.min(250, until - Date.now()));
    channel.nack(message, false, true);
  }

  // ---- Control and events ---------------------------------------------------------------------

  private async cancel(trainingId: number): Promise<void> {
    const current = this.current;
    if (current?.job.training_id === trainingId) {
      current.log.info("job cancel asked");
      current.run.stop("cancel");
      return;
    }
    // Not running here: whichever worker the job reaches acks it as canceled.
    // Limitation: a worker started after the cancel does not know of it — cancels are not kept
    // by the broker; a shared record of canceled ids (a retained control queue) would lift it.
    const state = await this.store.read(trainingId);
    if (!state || state.status === "running") await this.store.write(trainingId, "canceled");
    this.log.info("job cancel recorded", { jobId: trainingId });
  }

  private async onReport(report: FromJobProcess): Promise<void> {
    const current = this.current;
    if (!current) return;
    const { job } = current;
    const base = { training_id: job.training_id, model_name: job.model_name };

    if (report.type === "progress") {
      const { progress } = report;
      if (report.gpuMemory) this.lastGpuMemory = report.gpuMemory;
      this.observer?.jobProgress(job.training_id, {
        step: progress.step,
        totalSteps: progress.totalSteps,
        samplesPerSecond: progress.samplesPerSecond,
        loss: progress.loss,
      });
      const now = Date.now();
      const { step: lastStep, atMs } = current.lastProgress;
      const due =
        progress.step - lastStep >= this.config.progressEverySteps ||
        now - atMs >= this.config.progressEveryMs ||
        progress.step === progress.totalSteps;
      if (!due) return;
      current.lastProgress = { step: progress.step, atMs: now };
      await this.publish(current.delivery?.channel ?? this.channel, {
        ...base,
        kind: "progress",
        step: progress.step,
        total_steps: progress.totalSteps,
        loss: progress.loss,
        samples_per_second: progress.samplesPerSecond,
        eta_seconds: progress.etaSeconds,
      });
    } else if (report.type === "uploaded") {
      await this.publish(current.delivery?.channel ?? this.channel, {
        ...base,
        kind: "checkpoint",
        step: report.step,
        revision: report.revision,
      });
    }
  }

  /** Events are news, not state: one that cannot be published is logged and let go. */
  private async publish(
    channel: ConfirmChannel | undefined,
    event: Omit<JobEvent, "ts">,
  ): Promise<void> {
    if (!channel) return;
    try {
      await publishEvent(channel, this.config.broker, { ...event, ts: new Date().toISOString() });
    } catch (error) {
      this.log.warn("event not published", { kind: event.kind, error: (error as Error).message });
    }
  }

  private async removeOldJobs(): Promise<void> {
    const before = new Date(Date.now() - this.config.retentionMs);
    const removed = await this.store.removeEnded(before).catch(() => []);
    if (removed.length > 0) this.log.info("old jobs removed", { jobIds: removed });
  }
}

/** Which delivery of its job this is: 1 for the first; quorum queues count the ones before. */
function deliveryAttempt(message: ConsumeMessage | undefined): number {
  const count = Number(message?.properties.headers?.["x-delivery-count"] ?? 0);
  return (Number.isFinite(count) ? count : 0) + 1;
}
