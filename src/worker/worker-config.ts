/**
 * The worker's settings, from the environment (the service's environment file), checked once
 * when the worker is built: a bad value stops it at start, never in the middle of a job.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { readRetentionDays, readStopGraceSeconds } from "../ops/worker-timing.js";
import { type BrokerConfig, brokerConfig } from "../queue/broker-config.js";

export interface WorkerConfig {
  broker: BrokerConfig;
  /** `ROBOTRAIN_HOME`: jobs live under `<home>/jobs/<training id>/`. */
  home: string;
  /** `ROBOTRAIN_DEVICE`: auto, cpu, cuda or cuda:<index>. */
  device: string;
  /** `ROBOTRAIN_STOP_GRACE_SECONDS`: how long a stop waits for the job's checkpoint. */
  stopGraceMs: number;
  /** `ROBOTRAIN_RETENTION_DAYS`: finished jobs' folders are removed after this. */
  retentionMs: number;
  /** `ROBOTRAIN_MIN_FREE_GB`: a job starts only with this much free disk under home. */
  minFreeBytes: number;
  /** `ROBOTRAIN_MAX_MESSAGE_BYTES`: larger deliveries are dead-lettered unread. */
  maxMessageBytes: number;
  /** A progress event every this many steps, and at least every progressEveryMs. */
  progressEverySteps: number;
  progressEveryMs: number;
  /** `ROBOTRAIN_RETRY_DELAY_SECONDS`: wait before requeueing a job that may heal; doubles. */
  retryDelayMs: number;
  /**
   * `ROBOTRAIN_CONSUMER_TIMEOUT_HOURS`: how long the broker lets a job's delivery go unacked,
   * asked per consumer where the broker supports it (RabbitMQ 3.11.15 and later).
   */
  consumerTimeoutMs: number;
}

export function workerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return {
    broker: brokerConfig(env),
    home: env.ROBOTRAIN_HOME || join(homedir(), ".robotrain"),
    device: env.ROBOTRAIN_DEVICE || "auto",
    stopGraceMs: readStopGraceSeconds(env) * 1000,
    retentionMs: readRetentionDays(env) * 86_400_000,
    minFreeBytes: numberSetting(env, "ROBOTRAIN_MIN_FREE_GB", 10) * 2 ** 30,
    maxMessageBytes: numberSetting(env, "ROBOTRAIN_MAX_MESSAGE_BYTES", 1 << 20),
    progressEverySteps: numberSetting(env, "ROBOTRAIN_PROGRESS_EVERY_STEPS", 50),
    progressEveryMs: 30_000,
    retryDelayMs: numberSetting(env, "ROBOTRAIN_RETRY_DELAY_SECONDS", 10) * 1000,
    // The broker takes at most 2^31 - 1 ms (about 24 days).
    consumerTimeoutMs: Math.min(
      numberSetting(env, "ROBOTRAIN_CONSUMER_TIMEOUT_HOURS", 72) * 3_600_000,
      2 ** 31 - 1,
    ),
  };
}

/** A non-negative number from the environment, or its default. */
function numberSetting(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new UsageError(name, `expected a non-negative number, got '${text}'`);
  }
  return value;
}
