/**
 * How long a stopping worker waits for its job, and how long finished jobs' outputs are kept:
 * `ROBOTRAIN_STOP_GRACE_SECONDS` and `ROBOTRAIN_RETENTION_DAYS`. The systemd units' stop
 * timeout is set above the default grace period.
 */
import { UsageError } from "../errors.js";

export const DEFAULT_STOP_GRACE_SECONDS = 120;
export const DEFAULT_RETENTION_DAYS = 7;

/** Seconds a stopping worker gives its running job before it exits. */
export function readStopGraceSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return readWholeNumber(env, "ROBOTRAIN_STOP_GRACE_SECONDS", DEFAULT_STOP_GRACE_SECONDS);
}

/** Days a finished job's output folder is kept; 0 removes it as soon as the job ends. */
export function readRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  return readWholeNumber(env, "ROBOTRAIN_RETENTION_DAYS", DEFAULT_RETENTION_DAYS);
}

function readWholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  if (!/^\d+$/.test(value.trim())) {
    throw new UsageError(name, `'${value}' is not a whole number; unset it for ${fallback}`);
  }
  return Number(value);
}
