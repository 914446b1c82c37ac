/**
 * Notifications to systemd (`sd_notify`): `READY=1`, `STATUS=...`, `STOPPING=1`, `WATCHDOG=1`,
 * sent to `$NOTIFY_SOCKET`.
 *
 * Node has no unix datagram sockets, so each notification is handed to `systemd-notify`, run as
 * a child process; the unit says `NotifyAccess=all` so that systemd accepts messages from it.
 * systemd-notify follows each message with a barrier and waits until systemd has read both
 * before it exits, so systemd can still tell which unit the message came from. It runs beside the event
 * loop, never on it; notifications go one at a time, in order, and a status or watchdog ping
 * that is still waiting is replaced by the newer one rather than queued behind it.
 *
 * Without `NOTIFY_SOCKET` (not started by systemd, or a unit that is not `Type=notify`) every
 * call does nothing. A failure to notify is logged, never thrown: the worker must keep working
 * whatever systemd-notify does.
 */
import { spawn } from "node:child_process";
import type { Logger } from "../log.js";

export interface SystemdNotifier {
  /** True when `NOTIFY_SOCKET` is set, so notifications go somewhere. */
  readonly enabled: boolean;
  /** Start-up is done: systemd moves the unit to active. */
  ready(status?: string): void;
  /** A line `systemctl status` shows, e.g. "training job 42, step 300/8000". */
  status(text: string): void;
  /** Shutdown has begun. */
  stopping(status?: string): void;
  /** Still alive: resets the unit's `WatchdogSec=` timer. */
  watchdog(): void;
  /** Resolves once every notification asked for so far has been handed over (or failed). */
  settled(): Promise<void>;
}

export interface SystemdNotifierParams {
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** @default "systemd-notify" */
  command?: string;
  /** A systemd-notify still running after this long is killed. @default 10_000 */
  timeoutMs?: number;
}

/** One notification: `NAME=value` assignments, sent as one datagram. */
interface Notification {
  kind: "ready" | "status" | "stopping" | "watchdog";
  assignments: string[];
}

export function createSystemdNotifier(params: SystemdNotifierParams = {}): SystemdNotifier {
  const env = params.env ?? process.env;
  const enabled = Boolean(env.NOTIFY_SOCKET);
  const command = params.command ?? "systemd-notify";
  const timeoutMs = params.timeoutMs ?? 10_000;
  const pending: Notification[] = [];
  let sending: Promise<void> | undefined;
  let failures = 0;

  const send = (notification: Notification): Promise<void> =>
    new Promise((resolve) => {
      let stderr = "";
      let done = false;
      const finish = (failure?: string) => {
        // A child that cannot start reports "error" and then "close": count it once.
        if (done) return;
        done = true;
        if (failure !== undefined) fail(failure);
        resolve();
      };
      const fail = (reason: string) => {
        failures += 1;
        // The first failure says why; later ones would repeat it every watchdog interval.
        if (failures === 1 || failures % 100 === 0) {
          params.log?.warn("systemd notification failed", {
            notification: notification.kind,
            reason,
            failures,
          });
        }
      };
      try {
        const child = spawn(command, notification.assignments, {
          env,
          stdio: ["ignore", "ignore", "pipe"],
        });
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.stderr.on("data", (chunk) => {
          stderr += chunk;
        });
        child.on("error", (error) => {
          clearTimeout(timer);
          finish(`${command}: ${error.message}`);
        });
        child.on("close", (code, signal) => {
          clearTimeout(timer);
          if (code === 0) return finish();
          const detail = stderr.trim() || (signal ? `killed by ${signal}` : `exit ${code}`);
          finish(`${command} ${notification.assignments.join(" ")}: ${detail}`);
        });
      } catch (error) {
        finish(`${command}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });

  const drain = async () => {
    for (let next = pending.shift(); next; next = pending.shift()) await send(next);
    sending = undefined;
  };

  const enqueue = (notification: Notification) => {
    if (!enabled) return;
    const replaceable = notification.kind === "status" || notification.kind === "watchdog";
    const waiting = replaceable ? pending.findIndex(({ kind }) => kind === notification.kind) : -1;
    if (waiting !== -1) pending.splice(waiting, 1);
    pending.push(notification);
    sending ??= drain();
  };

  const withStatus = (assignment: string, status?: string) =>
    status === undefined ? [assignment] : [assignment, statusAssignment(status)];

  return {
    enabled,
    ready: (status) => enqueue({ kind: "ready", assignments: withStatus("READY=1", status) }),
    status: (text) => enqueue({ kind: "status", assignments: [statusAssignment(text)] }),
    stopping: (status) =>
      enqueue({ kind: "stopping", assignments: withStatus("STOPPING=1", status) }),
    watchdog: () => enqueue({ kind: "watchdog", assignments: ["WATCHDOG=1"] }),
    settled: async () => {
      while (sending) await sending;
    },
  };
}

/** A status is one line of the notification; a newline would start another assignment. */
function statusAssignment(text: string): string {
  return `STATUS=${text.replace(/[\r\n]+/g, " ")}`;
}
