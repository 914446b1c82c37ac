/**
 * The child process a job runs in (forked by job-supervisor.ts): it takes the job from the
 * `start` message, runs it, reports over IPC, and exits. A crash here, a CUDA error or the OOM
 * killer, ends this process only; the worker reports it and lives on.
 */
import { RobotrainError } from "../errors.js";
import { isTransientFailure } from "../hub/retry-transient.js";
import { createLogger } from "../log.js";
import type { FromJobProcess, JobFailure, ToJobProcess } from "./job-ipc.js";
import { runJob } from "./run-job.js";
import { redactSecrets, secretsOf } from "./secrets.js";

const controller = new AbortController();
let stopReason: "cancel" | "shutdown" | undefined;

const sending = new Set<Promise<void>>();

/** Sends a message to the worker; `flush` waits until every message sent has left. */
function report(message: FromJobProcess): Promise<void> {
  const sent = new Promise<void>((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
  sending.add(sent);
  void sent.then(() => sending.delete(sent));
  return sent;
}

async function flush(): Promise<void> {
  await Promise.all([...sending]);
}

function failureOf(error: unknown, secrets: string[]): JobFailure {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  const retryable = error instanceof RobotrainError ? error.retryable : isTransientFailure(error);
  return { name, message: redactSecrets(message, secrets), retryable };
}

process.on("message", (message: ToJobProcess) => {
  if (message.type === "stop") {
    stopReason ??= message.reason;
    controller.abort(new Error(`job stopped: ${message.reason}`));
    return;
  }
  if (message.type !== "start") return;

  const { job } = message;
  const secrets = secretsOf(job);
  const log = createLogger().child({ jobId: job.training_id });
  runJob({
    job,
    outputDir: message.outputDir,
    device: message.device,
    log,
    signal: controller.signal,
    stopReason: () => stopReason,
    report: (sent) => void report(sent),
  })
    .catch(async (error: unknown) => {
      // A stop can cut a download or an upload short: that is the stop, not a failure.
      if (stopReason) return report({ type: "stopped", reason: stopReason, step: 0 });
      log.error("job failed", { error: redactSecrets(String(error), secrets) });
      await report({ type: "failed", failure: failureOf(error, secrets) });
    })
    // Uploads a cancel left in flight are not waited for: nothing more is uploaded.
    .finally(async () => {
      await flush();
      process.exit(0);
    });
});

// Ctrl-C in a terminal reaches the whole process group: the worker stops this job itself, with
// a checkpoint, so the signal is the worker's to act on, not this process's.
process.on("SIGINT", () => {});

// The worker gone (its IPC channel closed): nobody is left to report to or to ack the delivery.
process.on("disconnect", () => {
  if (!controller.signal.aborted) {
    stopReason ??= "shutdown";
    controller.abort(new Error("the worker went away"));
  }
});
