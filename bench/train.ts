/**
 * `npm run bench:train`: the training step's host overhead, in one run, for each configuration
 * of bench/train-configs.ts on the same batch and device:
 *   ours — the real path: BatchSampler batches from a frame-cache-like pixel array, runTrainLoop
 *          driving the addon's step through N-API (bench/train-ours.ts);
 *   bare — a bare libtorch loop of the same model on the same tensors, already on the device:
 *          forward, backward, clipping, AdamW (robotrain-native bench --loop bare).
 * Each runs in a process of its own, so its peak memory is its own. Prints a table and writes
 * bench/results/train.{json,md}. Not a test: it asserts nothing.
 *
 *   npm run bench:train -- [--configs small,default-240x320,default-480x640] [--steps N]
 *                          [--warmup N] [--device auto|cpu|cuda] [--precision auto|fp32|bf16]
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadAddon, type Precision } from "../src/train/addon.js";
import { BENCH_BATCH_SIZE, TRAIN_BENCH_CONFIGS, type TrainBenchConfig } from "./train-configs.js";
import { type BenchOptions, parseBenchOptions, stepCounts } from "./train-options.js";
import type { OursFigures, OursRequest } from "./train-ours.js";
import { type TrainBenchFigures, type TrainBenchRow, trainBenchMarkdown } from "./train-report.js";

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OURS_SCRIPT = fileURLToPath(new URL("./train-ours.js", import.meta.url));
const NATIVE_BIN =
  process.env.ROBOTRAIN_NATIVE_BIN ?? join(REPO_ROOT, "native/build/robotrain-native");
/** DESIGN.md's target for the host overhead of a step. */
const TARGET_PERCENT = 5;

interface BareFigures {
  device: string;
  precision: string;
  bareStepMs: number[];
  bareStepMsMedian: number;
  peakRssMiB: number;
  barePeakAllocatedMiB?: number;
  barePeakReservedMiB?: number;
}

async function measureOurs(request: OursRequest): Promise<OursFigures> {
  const { stdout } = await run(process.execPath, [OURS_SCRIPT, JSON.stringify(request)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(lastLine(stdout)) as OursFigures;
}

async function measureBare(
  config: TrainBenchConfig,
  options: BenchOptions,
  counts: { warmup: number; steps: number },
  batchFile: string,
): Promise<BareFigures> {
  const args = [
    "bench",
    ...["--loop", "bare", "--device", options.device, "--precision", options.precision],
    ...["--act-fields", config.actFieldsFile, "--batch-file", batchFile],
    ...["--cameras", "1", "--height", String(config.height), "--width", String(config.width)],
    ...["--warmup", String(counts.warmup), "--steps", String(counts.steps)],
  ];
  try {
    const { stdout } = await run(NATIVE_BIN, args, { maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(lastLine(stdout)) as BareFigures;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new Error(
        `${NATIVE_BIN} is not built; build it with ` +
          "`cmake -S native -B native/build -DCMAKE_BUILD_TYPE=Release && " +
          "cmake --build native/build -j` (or set ROBOTRAIN_NATIVE_BIN)",
      );
    }
    throw error;
  }
}

function lastLine(stdout: string): string {
  return stdout.trim().split("\n").at(-1) ?? "";
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

async function measureConfig(
  config: TrainBenchConfig,
  options: BenchOptions,
  cuda: boolean,
  workDir: string,
): Promise<TrainBenchRow> {
  const counts = stepCounts(config, options, cuda);
  const batchFile = join(workDir, `${config.name}.safetensors`);
  const ours = await measureOurs({
    config,
    device: options.device,
    precision: options.precision as Precision,
    ...counts,
    batchFile,
  });
  const bare = await measureBare(config, options, counts, batchFile);

  const oursMs = median(ours.stepMs);
  const bareMs = bare.bareStepMsMedian;
  const overheadPercent = (100 * (oursMs - bareMs)) / bareMs;
  return {
    config: config.name,
    description: config.description,
    device: ours.device,
    precision: ours.precision,
    parameters: ours.parameters,
    batchSize: BENCH_BATCH_SIZE,
    warmup: counts.warmup,
    steps: counts.steps,
    oursStepMs: round(oursMs),
    bareStepMs: round(bareMs),
    oursStepMsAll: ours.stepMs.map((ms) => round(ms)),
    bareStepMsAll: bare.bareStepMs.map((ms) => round(ms)),
    hostOverheadPercent: round(overheadPercent, 2),
    meetsTarget: overheadPercent < TARGET_PERCENT,
    oursSamplesPerSecond: round((BENCH_BATCH_SIZE * 1000) / oursMs, 2),
    bareSamplesPerSecond: round((BENCH_BATCH_SIZE * 1000) / bareMs, 2),
    oursPeakRssMiB: Math.round(ours.peakRssMiB),
    barePeakRssMiB: Math.round(bare.peakRssMiB),
    ...(ours.peakAllocatedMiB !== undefined && {
      oursPeakAllocatedMiB: Math.round(ours.peakAllocatedMiB),
      oursPeakReservedMiB: Math.round(ours.peakReservedMiB ?? 0),
      barePeakAllocatedMiB: Math.round(bare.barePeakAllocatedMiB ?? 0),
      barePeakReservedMiB: Math.round(bare.barePeakReservedMiB ?? 0),
    }),
  };
}

const options = parseBenchOptions(process.argv.slice(2));
const info = loadAddon().libtorchInfo();
const cuda = info.cudaAvailable && options.device !== "cpu";
const workDir = await mkdtemp(join(tmpdir(), "robotrain-bench-train-"));
const rows: TrainBenchRow[] = [];
try {
  for (const config of TRAIN_BENCH_CONFIGS.filter((c) => options.configs.includes(c.name))) {
    process.stderr.write(`bench:train: ${config.name}...\n`);
    rows.push(await measureConfig(config, options, cuda, workDir));
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}

const figures: TrainBenchFigures = {
  measuredAt: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    libtorch: info.version,
    threads: info.threads,
    cudaDevices: info.cudaDevices,
  },
  targetPercent: TARGET_PERCENT,
  rows,
};
const markdown = trainBenchMarkdown(figures);
const resultsDir = fileURLToPath(new URL("../../bench/results/", import.meta.url));
await mkdir(resultsDir, { recursive: true });
await writeFile(join(resultsDir, "train.json"), `${JSON.stringify(figures, null, 2)}\n`);
await writeFile(join(resultsDir, "train.md"), markdown);
process.stdout.write(markdown);
