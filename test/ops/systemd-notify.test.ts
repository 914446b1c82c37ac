import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "../../src/log.js";
import { createSystemdNotifier } from "../../src/ops/systemd-notify.js";
import { startWatchdog, watchdogIntervalMs } from "../../src/ops/systemd-watchdog.js";
import type { Liveness } from "../../src/ops/worker-health.js";
import { type NotifySocket, openNotifySocket } from "../helpers/notify-socket.js";

function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "debug",
    format: "json",
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { log, lines };
}

describe("systemd notifications", () => {
  let socket: NotifySocket;
  before(async () => {
    socket = await openNotifySocket();
  });
  after(() => socket.close());

  test("sends READY=1, a status and STOPPING=1 to NOTIFY_SOCKET, in order", async () => {
    const seen = socket.messages().length;
    const { log, lines } = capturedLog();
    const notifier = createSystemdNotifier({ env: { NOTIFY_SOCKET: socket.path }, log });
    assert.equal(notifier.enabled, true);

    notifier.ready("waiting for jobs");
    notifier.stopping();
    await notifier.settled();

    const messages = (await socket.waitForMessages(seen + 2)).slice(seen);
    assert.deepEqual(messages, ["READY=1\nSTATUS=waiting for jobs", "STOPPING=1"]);
    assert.deepEqual(lines, []);
  });

  test("sends a status line as one assignment, newlines flattened", async () => {
    const seen = socket.messages().length;
    const notifier = createSystemdNotifier({ env: { NOTIFY_SOCKET: socket.path } });

    notifier.status("training job 42, step 300/8000");
    await notifier.settled();
    notifier.status("job 42 failed:\nout of memory");
    await notifier.settled();

    assert.deepEqual((await socket.waitForMessages(seen + 2)).slice(seen), [
      "STATUS=training job 42, step 300/8000",
      "STATUS=job 42 failed: out of memory",
    ]);
  });

  test("sends only the newest of the statuses that wait behind a notification", async () => {
    const seen = socket.messages().length;
    const notifier = createSystemdNotifier({ env: { NOTIFY_SOCKET: socket.path } });

    for (let step = 1; step <= 50; step++) notifier.status(`training job 42, step ${step}/50`);
    await notifier.settled();

    const messages = (await socket.waitForMessages(seen + 2)).slice(seen);
    assert.equal(messages[0], "STATUS=training job 42, step 1/50");
    assert.equal(messages.at(-1), "STATUS=training job 42, step 50/50");
    assert.ok(messages.length < 50, `${messages.length} notifications for 50 statuses`);
  });

  test("does nothing without NOTIFY_SOCKET", async () => {
    const { log, lines } = capturedLog();
    // A command that cannot run: any attempt to notify would be logged as a failure.
    const notifier = createSystemdNotifier({ env: {}, log, command: "/nonexistent/notify" });
    assert.equal(notifier.enabled, false);

    notifier.ready();
    notifier.status("idle");
    notifier.watchdog();
    notifier.stopping();
    await notifier.settled();
    assert.deepEqual(lines, []);
  });

  test("logs, and never throws, when systemd-notify cannot run", async () => {
    const { log, lines } = capturedLog();
    const notifier = createSystemdNotifier({
      env: { NOTIFY_SOCKET: socket.path },
      log,
      command: "/nonexistent/systemd-notify",
    });

    assert.doesNotThrow(() => notifier.ready());
    await notifier.settled();
    notifier.status("idle");
    await notifier.settled();

    assert.equal(lines.length, 1, "the same failure is logged once, not at every notification");
    assert.equal(lines[0]?.msg, "systemd notification failed");
    assert.equal(lines[0]?.notification, "ready");
    assert.equal(lines[0]?.failures, 1);
    assert.match(String(lines[0]?.reason), /ENOENT/);
  });

  test("logs systemd-notify's own complaint when it exits with an error", async () => {
    const { log, lines } = capturedLog();
    const gone = `${socket.path}.gone`;
    const notifier = createSystemdNotifier({ env: { NOTIFY_SOCKET: gone }, log });

    notifier.ready();
    await notifier.settled();
    assert.equal(lines[0]?.msg, "systemd notification failed");
    assert.match(String(lines[0]?.reason), /READY=1/);
  });
});

describe("systemd watchdog", () => {
  let socket: NotifySocket;
  before(async () => {
    socket = await openNotifySocket();
  });
  after(() => socket.close());

  const watchdogPings = (since: number) =>
    socket
      .messages()
      .slice(since)
      .filter((message) => message === "WATCHDOG=1").length;

  test("pings every half of WATCHDOG_USEC while the worker is alive, not while dead", async () => {
    const env = {
      NOTIFY_SOCKET: socket.path,
      WATCHDOG_USEC: "200000",
      WATCHDOG_PID: `${process.pid}`,
    };
    const { log, lines } = capturedLog();
    let liveness: Liveness = { alive: true };
    const notifier = createSystemdNotifier({ env });
    const seen = socket.messages().length;
    const watchdog = startWatchdog({ notifier, env, log, isAlive: () => liveness });
    try {
      assert.equal(watchdog.intervalMs, 100);
      await sleep(650);
      await notifier.settled();
      const alivePings = watchdogPings(seen);
      // One at start and one per 100 ms; systemd-notify takes a few ms each on a loaded machine.
      assert.ok(alivePings >= 3 && alivePings <= 8, `${alivePings} pings in 650 ms`);

      liveness = { alive: false, reason: "the broker has been unreachable for 300 s" };
      await sleep(150);
      await notifier.settled();
      const atDeath = watchdogPings(seen);
      await sleep(500);
      await notifier.settled();
      assert.equal(watchdogPings(seen), atDeath, "no ping while the worker reports itself dead");
      const withheld = lines.filter((line) => line.msg === "watchdog pings withheld");
      assert.equal(withheld.length, 1);
      assert.equal(withheld[0]?.reason, "the broker has been unreachable for 300 s");

      liveness = { alive: true };
      await sleep(250);
      await notifier.settled();
      assert.ok(watchdogPings(seen) > atDeath, "pings resume once alive again");
      assert.ok(lines.some((line) => line.msg === "watchdog pings resumed"));
    } finally {
      watchdog.stop();
    }
  });

  test("misses its pings while the event loop is blocked, and says so", async () => {
    const env = { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: "100000" };
    const { log, lines } = capturedLog();
    const notifier = createSystemdNotifier({ env });
    const watchdog = startWatchdog({ notifier, env, log, isAlive: () => ({ alive: true }) });
    try {
      await sleep(120);
      await notifier.settled();
      const blockedFrom = Date.now();
      const blockedUntil = performance.now() + 400;
      while (performance.now() < blockedUntil) {
        // A wedged event loop: no timer runs, so no ping is sent.
      }
      const blockedTo = Date.now();
      await sleep(150);
      await notifier.settled();

      const pingTimes = socket
        .arrivals()
        .filter(({ message }) => message === "WATCHDOG=1")
        .map(({ atMs }) => atMs);
      const during = pingTimes.filter((atMs) => atMs > blockedFrom + 20 && atMs < blockedTo);
      assert.deepEqual(during, [], "no ping arrives while the event loop is blocked");
      assert.ok(
        pingTimes.some((atMs) => atMs >= blockedTo),
        "pings go on once it turns again",
      );
      // A loaded machine may delay a timer by a little at any time; the block is the long one.
      const stalls = lines.filter((line) => line.msg === "event loop stalled");
      const longest = Math.max(...stalls.map((line) => line.stalledMs as number));
      assert.ok(longest >= 250, `longest stall logged: ${longest} ms`);
    } finally {
      watchdog.stop();
    }
  });

  test("is off without WATCHDOG_USEC, or when WATCHDOG_PID names another process", () => {
    const socketEnv = { NOTIFY_SOCKET: socket.path };
    assert.equal(watchdogIntervalMs({ ...socketEnv, WATCHDOG_USEC: "60000000" }), 30_000);
    assert.equal(watchdogIntervalMs(socketEnv), undefined);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: "60000000" }), undefined);
    const otherPid = { ...socketEnv, WATCHDOG_USEC: "60000000", WATCHDOG_PID: "1" };
    assert.equal(watchdogIntervalMs(otherPid, 4242), undefined);
    assert.equal(watchdogIntervalMs({ ...otherPid, WATCHDOG_PID: "4242" }, 4242), 30_000);
    assert.equal(watchdogIntervalMs({ ...socketEnv, WATCHDOG_USEC: "never" }), undefined);

    const notifier = createSystemdNotifier({ env: socketEnv });
    const watchdog = startWatchdog({ notifier, env: socketEnv, isAlive: () => ({ alive: true }) });
    assert.equal(watchdog.intervalMs, undefined);
    watchdog.stop();
  });
});
