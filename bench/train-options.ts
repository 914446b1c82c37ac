/**
 * The flags of `npm run bench:train`, and how many steps each configuration is timed for when
 * the flags leave it open: enough for a stable median, few enough that the whole run stays
 * within about ten minutes on a 2-core CPU (LeRobot's default ACT at 480x640 takes 15-20 s a
 * step there).
 */
import { parseArgs } from "node:util";
import { TRAIN_BENCH_CONFIGS, type TrainBenchConfig } from "./train-configs.js";

export interface BenchOptions {
  configs: string[];
  device: string;
  precision: string;
  steps?: number;
  warmup?: number;
}

const CPU_COUNTS: Record<string, { warmup: number; steps: number }> = {
  small: { warmup: 2, steps: 10 },
  "default-240x320": { warmup: 1, steps: 4 },
  "default-480x640": { warmup: 1, steps: 3 },
};
/** On a GPU every configuration takes well under a second a step. */
const CUDA_COUNTS = { warmup: 5, steps: 30 };

export function parseBenchOptions(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      configs: { type: "string", default: TRAIN_BENCH_CONFIGS.map((c) => c.name).join(",") },
      device: { type: "string", default: "auto" },
      precision: { type: "string", default: "auto" },
      steps: { type: "string" },
      warmup: { type: "string" },
    },
  });
  const configs = values.configs.split(",").filter(Boolean);
  const known = TRAIN_BENCH_CONFIGS.map((c) => c.name);
  const unknown = configs.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(`--configs: unknown ${unknown.join(", ")}; known: ${known.join(", ")}`);
  }
  return {
    configs,
    device: values.device,
    precision: values.precision,
    steps: count("--steps", values.steps, 1),
    warmup: count("--warmup", values.warmup, 0),
  };
}

function count(flag: string, text: string | undefined, least: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < least) {
    throw new Error(`${flag} must be an integer of at least ${least}, got '${text}'`);
  }
  return value;
}

export function stepCounts(
  config: TrainBenchConfig,
  options: BenchOptions,
  cuda: boolean,
): { warmup: number; steps: number } {
  const planned = cuda ? CUDA_COUNTS : (CPU_COUNTS[config.name] ?? { warmup: 1, steps: 3 });
  return { warmup: options.warmup ?? planned.warmup, steps: options.steps ?? planned.steps };
}
