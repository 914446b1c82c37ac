/**
 * The systemd watchdog: with `WatchdogSec=` in the unit, systemd sets `WATCHDOG_USEC` (and
 * `WATCHDOG_PID`) and restarts the worker when no `WATCHDOG=1` arrives within that time.
 *
 * Pings go every half of `WATCHDOG_USEC` from a timer on the event loop, and only while the
 * worker core's `isAlive` check passes. So a worker stops pinging, and is restarted, when
 * - its event loop is blocked (the timer cannot fire), or
 * - the core reports itself wedged, e.g. its broker gone for longer than it waits to reconnect.
 */
import type { Logger } from "../log.js";
import type { SystemdNotifier } from "./systemd-notify.js";
import type { Liveness } from "./worker-health.js";

export interface WatchdogParams {
  notifier: SystemdNotifier;
  /** Asked before every ping; a dead answer withholds the ping. */
  isAlive: () => Liveness;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

export interface Watchdog {
  /** Milliseconds between pings; undefined when systemd asked for no watchdog. */
  readonly intervalMs: number | undefined;
  stop(): void;
}

/**
 * Half of `WATCHDOG_USEC`, in milliseconds, when the watchdog is meant for this process:
 * `WATCHDOG_PID` unset or equal to `pid` (a job's child process inherits the variables, and
 * must not ping for the daemon).
 */
export function watchdogIntervalMs(
  env: NodeJS.ProcessEnv = process.env,
  pid = process.pid,
): number | undefined {
  if (!env.NOTIFY_SOCKET || !env.WATCHDOG_USEC) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

export function startWatchdog(params: WatchdogParams): Watchdog {
  const intervalMs = watchdogIntervalMs(params.env ?? process.env);
  if (intervalMs === undefined) return { intervalMs, stop: () => {} };

  let withholding = false;
  const ping = () => {
    const liveness = params.isAlive();
    if (liveness.alive) {
      if (withholding) params.log?.info("watchdog pings resumed");
      withholding = false;
      params.notifier.watchdog();
      return;
    }
    if (!withholding) {
      params.log?.error("watchdog pings withheld", { reason: liveness.reason, intervalMs });
    }
    withholding = true;
  };

  let due = performance.now() + intervalMs;
  const tick = () => {
    // The timer fires late by as long as the event loop was blocked.
    const lateMs = performance.now() - due;
    due = performance.now() + intervalMs;
    if (lateMs > intervalMs / 2) {
      params.log?.warn("event loop stalled", { stalledMs: Math.round(lateMs), intervalMs });
    }
    ping();
  };

  ping();
  const timer = setInterval(tick, intervalMs);
  // The watchdog never keeps a worker that is done from exiting.
  timer.unref();
  return { intervalMs, stop: () => clearInterval(timer) };
}
