/**
 * `robotrain doctor`: what this machine offers robotrain, one finding per line. Exits non-zero
 * when something training needs is missing; an unreachable broker only matters to the worker
 * and `submit`, so it is a warning.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { brokerConfig, redactUrl } from "../queue/broker-config.js";
import { connectBroker } from "../queue/connect.js";
import { loadAddon } from "../train/addon.js";

type Verdict = "ok" | "warn" | "fail";

interface Finding {
  check: string;
  verdict: Verdict;
  detail: string;
}

export interface DoctorOptions {
  json?: boolean;
}

export async function doctorCommand(options: DoctorOptions): Promise<void> {
  const findings: Finding[] = [
    {
      check: "node",
      verdict: "ok",
      detail: `${process.version} (${process.platform}-${process.arch})`,
    },
    ...(await checkLibtorch()),
    await checkFfmpeg(),
    await checkBroker(),
  ];

  if (options.json) {
    process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
  } else {
    const width = Math.max(...findings.map((finding) => finding.check.length));
    for (const { check, verdict, detail } of findings) {
      process.stdout.write(`${verdict.padEnd(4)} ${check.padEnd(width)}  ${detail}\n`);
    }
  }
  if (findings.some((finding) => finding.verdict === "fail")) process.exitCode = 1;
}

async function checkLibtorch(): Promise<Finding[]> {
  let info: ReturnType<ReturnType<typeof loadAddon>["libtorchInfo"]>;
  try {
    info = loadAddon().libtorchInfo();
  } catch (error) {
    return [{ check: "libtorch", verdict: "fail", detail: (error as Error).message }];
  }

  const cuda: Finding = info.cudaAvailable
    ? { check: "cuda", verdict: "ok", detail: info.cudaDevices.join(", ") }
    : {
        check: "cuda",
        verdict: "warn",
        detail: info.builtWithCuda
          ? "libtorch has CUDA but sees no device (check the driver and CUDA_VISIBLE_DEVICES); " +
            "training runs on cpu"
          : "libtorch was built without CUDA; training runs on cpu",
      };
  return [
    {
      check: "libtorch",
      verdict: "ok",
      detail: `${info.version} at ${info.library ?? "unknown path"}`,
    },
    cuda,
    await checkBlas(),
  ];
}

/** Debian's libtorch multiplies matrices through libblas.so.3: the reference one is ~12x slower. */
async function checkBlas(): Promise<Finding> {
  const maps = await readFile("/proc/self/maps", "utf8").catch(() => "");
  const blas = maps
    .split("\n")
    .map((line) => line.slice(line.indexOf("/")))
    .find((path) => /blas/i.test(path) && path.startsWith("/"));
  if (!blas)
    return {
      check: "blas",
      verdict: "ok",
      detail: "none loaded separately (bundled with libtorch)",
    };
  if (/openblas|mkl|blis/i.test(blas)) return { check: "blas", verdict: "ok", detail: blas };
  return {
    check: "blas",
    verdict: "warn",
    detail: `${blas} is the slow reference BLAS; install libopenblas0-pthread (about 12x faster steps)`,
  };
}

async function checkFfmpeg(): Promise<Finding> {
  try {
    const { stdout } = await promisify(execFile)("ffmpeg", ["-hide_banner", "-version"]);
    return { check: "ffmpeg", verdict: "ok", detail: stdout.split("\n")[0] ?? "" };
  } catch (error) {
    return {
      check: "ffmpeg",
      verdict: "fail",
      detail: `not runnable (${(error as Error).message}); install it (apt-get install ffmpeg)`,
    };
  }
}

async function checkBroker(): Promise<Finding> {
  const config = brokerConfig();
  try {
    const connection = await connectBroker({
      config,
      timeoutMs: 3000,
      connectionName: "robotrain doctor",
    });
    const version = connection.connection.serverProperties?.version ?? "unknown version";
    await connection.close();
    return {
      check: "broker",
      verdict: "ok",
      detail: `${redactUrl(config.url)} (RabbitMQ ${version})`,
    };
  } catch (error) {
    return { check: "broker", verdict: "warn", detail: (error as Error).message };
  }
}
