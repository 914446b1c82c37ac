/**
 * `robotrain worker`: the daemon. It runs until SIGTERM or SIGINT, then stops taking jobs,
 * checkpoints the running one, requeues its delivery and exits 0.
 */
import { createLogger, type LogFormat } from "../log.js";
import { startWorkerOps } from "../ops/worker-ops.js";
import { Worker } from "../worker/worker.js";
import { workerConfig } from "../worker/worker-config.js";

export interface WorkerOptions {
  device?: string;
  logFormat?: LogFormat;
}

export async function workerCommand(options: WorkerOptions): Promise<void> {
  const config = workerConfig();
  if (options.device) config.device = options.device;
  const log = createLogger({ format: options.logFormat });
  let worker: Worker | undefined;
  const ops = await startWorkerOps({
    log,
    device: config.device,
    gpuMemory: () => worker?.gpuMemory() ?? [],
  });
  worker = new Worker({ config, log, observer: ops });

  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info("signal received", { signal });
      void worker.stop().then(resolve);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  try {
    await worker.start();
    ops.ready();
    log.info("worker ready", { home: config.home, device: config.device });
    await stopped;
  } finally {
    await ops.close();
  }
}
