/**
 * Runs the real `robotrain` command in a child process, with a time limit.
 */
import { spawn } from "node:child_process";
import { CLI, REPO_ROOT } from "./paths.js";

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  timeoutMs?: number;
  cwd?: string;
  /** SIGKILLs the command as soon as it logs a JSON line this accepts: a crash at that point. */
  killWhen?: (line: Record<string, unknown>) => boolean;
}

export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let scanned = 0;
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (!options.killWhen) return;
      const complete = stdout.lastIndexOf("\n") + 1;
      const lines = logLines(stdout.slice(scanned, complete));
      scanned = complete;
      if (lines.some(options.killWhen)) child.kill("SIGKILL");
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

/** The JSON log lines a command printed on stdout. */
export function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
