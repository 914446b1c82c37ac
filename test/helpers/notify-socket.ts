/**
 * A real `NOTIFY_SOCKET` for tests: a unix datagram socket, bound by python3 (Node has no unix
 * datagram sockets), that records every message it receives, as systemd's would. It closes
 * the file descriptors that come with a message, as systemd does with systemd-notify's
 * barrier, so systemd-notify returns at once.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const RECEIVER = `
import json, os, socket, sys, time
receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
receiver.bind(sys.argv[1])
print(json.dumps({"listening": True}), flush=True)
while True:
    message, fds, _flags, _address = socket.recv_fds(receiver, 65536, 16)
    for fd in fds:
        os.close(fd)
    print(json.dumps({"message": message.decode(), "atMs": time.time() * 1000}), flush=True)
`;

export interface Arrival {
  message: string;
  atMs: number;
}

export interface NotifySocket {
  /** The value for `NOTIFY_SOCKET`. */
  path: string;
  /** Messages received so far, without systemd-notify's `BARRIER=1`. */
  messages(): string[];
  /** The same, with when each arrived (ms since the epoch). */
  arrivals(): Arrival[];
  /** Waits until at least `count` messages have arrived, or fails after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<string[]>;
  close(): Promise<void>;
}

export async function openNotifySocket(): Promise<NotifySocket> {
  const dir = await mkdtemp(join(tmpdir(), "robotrain-notify-"));
  const path = join(dir, "notify.sock");
  const receiver = spawn("python3", ["-c", RECEIVER, path]);
  const received: Arrival[] = [];
  await listening(receiver, received);

  const arrivals = () => received.filter(({ message }) => message !== "BARRIER=1");
  const messages = () => arrivals().map(({ message }) => message);
  return {
    path,
    messages,
    arrivals,
    waitForMessages: async (count, timeoutMs = 10_000) => {
      const deadline = performance.now() + timeoutMs;
      while (messages().length < count) {
        if (performance.now() > deadline) {
          throw new Error(`expected ${count} notifications, got ${JSON.stringify(messages())}`);
        }
        await sleep(10);
      }
      return messages();
    },
    close: async () => {
      receiver.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function listening(receiver: ChildProcessWithoutNullStreams, received: Arrival[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    receiver.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    receiver.on("error", reject);
    receiver.on("exit", (code) => reject(new Error(`python3 receiver exited ${code}: ${stderr}`)));
    receiver.stdout.on("data", (chunk) => {
      stdout += chunk;
      const lines = stdout.split("\n");
      stdout = lines.pop() ?? "";
      for (const line of lines) {
        const parsed = JSON.parse(line) as { listening?: true } & Partial<Arrival>;
        if (parsed.listening) resolve();
        if (parsed.message !== undefined && parsed.atMs !== undefined) {
          received.push({ message: parsed.message, atMs: parsed.atMs });
        }
      }
    });
  });
}
