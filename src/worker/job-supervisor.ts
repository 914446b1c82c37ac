/**
 * Runs a job in a child process (job-process.ts) and watches it: messages are relayed as they
 * come, a stop is passed on, and the end becomes one outcome, whether the child said how it
 * ended or died without a word (a segfault, the OOM killer, a kill -9).
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { JobMessage } from "../contract/index.js";
import type { FromJobProcess, JobFailure, ToJobProcess } from "./job-ipc.js";

const JOB_PROCESS = fileURLToPath(new URL("./job-process.js", import.meta.url));

export type JobOutcome =
  | { kind: "succeeded"; steps: number; repoUrl: string; revision: string; lossAtEnd: number }
  | { kind: "canceled"; step: number }
  /** Stopped for a shutdown, its steps checkpointed: the delivery goes back to the queue. */
  | { kind: "stopped"; step: number }
  | { kind: "failed"; failure: JobFailure };

export interface StartJobParams {
  job: JobMessage;
  outputDir: string;
  device: string;
  /** Progress, checkpoints and uploads, as the child reports them. */
  onReport: (message: FromJobProcess) => void;
}

export interface JobRun {
  readonly pid: number | undefined;
  /** Settles once the child has exited; never rejects. */
  readonly done: Promise<JobOutcome>;
  /** Asks the child to stop after the step in flight. */
  stop(reason: "cancel" | "shutdown"): void;
  /** Ends the child at once (SIGKILL): what a stop that overran its grace period comes to. */
  kill(): void;
}

export function startJobProcess(params: StartJobParams): JobRun {
  const child = fork(JOB_PROCESS, [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: childEnvironment(),
  });
  let ending: JobOutcome | undefined;

  child.on("message", (message: FromJobProcess) => {
    if (message.type === "succeeded") {
      const { type: _type, ...result } = message;
      ending = { kind: "succeeded", ...result };
    } else if (message.type === "stopped") {
      ending =
        message.reason === "cancel"
          ? { kind: "canceled", step: message.step }
          : { kind: "stopped", step: message.step };
    } else if (message.type === "failed") {
      ending = { kind: "failed", failure: message.failure };
    } else {
      params.onReport(message);
    }
  });

  const done = new Promise<JobOutcome>((resolve) => {
    child.on("error", (error) => {
      ending ??= { kind: "failed", failure: crash(`could not be started: ${error.message}`) };
    });
    child.on("exit", (code, signal) => {
      resolve(ending ?? { kind: "failed", failure: crash(describeExit(code, signal)) });
    });
  });

  send(child, {
    type: "start",
    job: params.job,
    outputDir: params.outputDir,
    device: params.device,
  });
  return {
    pid: child.pid,
    done,
    stop: (reason) => send(child, { type: "stop", reason }),
    kill: () => {
      child.kill("SIGKILL");
    },
  };
}

/**
 * The worker's environment, but JSON logs always (the journal reads them as the worker's own)
 * and nothing of systemd's: only the worker talks to systemd.
 */
function childEnvironment(): NodeJS.ProcessEnv {
  const { NOTIFY_SOCKET: _socket, WATCHDOG_USEC: _usec, WATCHDOG_PID: _pid, ...env } = process.env;
  return { ...env, ROBOTRAIN_LOG_FORMAT: "json" };
}

function send(child: ChildProcess, message: ToJobProcess): void {
  if (child.connected) child.send(message);
}

/** A child that died without saying why may fare better on another try (or another box). */
function crash(message: string): JobFailure {
  return { name: "JobCrashedError", message: `the training process ${message}`, retryable: true };
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === "SIGKILL") {
    return (
      "was killed (SIGKILL), most often by the kernel's out-of-memory killer; check `dmesg` " +
      "and lower batch_size or image_size"
    );
  }
  if (signal === "SIGSEGV" || signal === "SIGBUS") {
    return `crashed in native code (${signal}); a libtorch or CUDA fault: check the driver and libtorch`;
  }
  if (signal === "SIGABRT") {
    return "aborted (SIGABRT), as a failed libtorch or CUDA assertion does";
  }
  if (signal) return `was ended by ${signal}`;
  return `exited with code ${code} without saying how the job ended`;
}
