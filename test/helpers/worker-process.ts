/**
 * A real `robotrain worker` in a process group of its own, for tests that watch its log lines,
 * signal it as systemd would, or kill the whole group at once as a power cut would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { CLI, REPO_ROOT } from "./paths.js";

export interface WorkerProcess {
  child: ChildProcess;
  /** Every JSON log line so far, in order. */
  lines: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves with the first log line (already seen or to come) that `accept` takes. */
  waitForLog(
    accept: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to the worker and its job process alike. */
  killGroup(): void;
}

export function startWorker(env: NodeJS.ProcessEnv, args: string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [CLI, "worker", "--device", "cpu", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let partial = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    partial += chunk.toString("utf8");
    const complete = partial.split("\n");
    partial = complete.pop() ?? "";
    for (const line of complete) {
      if (line.startsWith("{")) lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    for (const wake of waiters) wake();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );

  return {
    child,
    lines,
    stderr: () => stderr,
    waitForLog: (accept, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(accept);
          if (!found) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          const seen = lines.map((line) => line.msg).join(", ");
          reject(new Error(`no such log line within ${timeoutMs} ms; seen: ${seen}\n${stderr}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    exited,
    killGroup: () => {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    },
  };
}
