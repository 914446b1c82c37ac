/**
 * The three ACT configurations `npm run bench:train` and scripts/gpu-check.sh time, one camera,
 * batch 8, state and action of a six-joint arm. The ACT fields live in bench/configs/*.json so
 * that the bare libtorch loop (robotrain-native bench --act-fields) reads the very same ones;
 * act-small.json is the embedded job's EMBEDDED_ACT (a test holds them equal).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ActConfig } from "../src/train/addon.js";

export interface TrainBenchConfig {
  name: string;
  description: string;
  /** ACTConfig fields over LeRobot's defaults, as a file robotrain-native can read. */
  actFieldsFile: string;
  height: number;
  width: number;
}

export const BENCH_BATCH_SIZE = 8;
export const BENCH_STATE_DIM = 6;
export const BENCH_ACTION_DIM = 6;
/** The camera's key, as robotrain-native bench names its synthetic camera. */
export const BENCH_CAMERA = "observation.images.cam0";

const configFile = (name: string) =>
  fileURLToPath(new URL(`../../bench/configs/${name}`, import.meta.url));

export const TRAIN_BENCH_CONFIGS: TrainBenchConfig[] = [
  {
    name: "small",
    description: "small ACT (the embedded job's), 96x128",
    actFieldsFile: configFile("act-small.json"),
    height: 96,
    width: 128,
  },
  {
    name: "default-240x320",
    description: "LeRobot's default ACT, 240x320",
    actFieldsFile: configFile("act-default.json"),
    height: 240,
    width: 320,
  },
  {
    name: "default-480x640",
    description: "LeRobot's default ACT, 480x640",
    actFieldsFile: configFile("act-default.json"),
    height: 480,
    width: 640,
  },
];

export function readActFields(config: TrainBenchConfig): Partial<ActConfig> {
  return JSON.parse(readFileSync(config.actFieldsFile, "utf8")) as Partial<ActConfig>;
}
