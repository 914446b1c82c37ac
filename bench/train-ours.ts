/**
 * One "ours" measurement of `npm run bench:train`, run as a child process so its peak RSS is
 * its own: the real training path — a BatchSampler filling batches from a frame-cache-like
 * pixel array, runTrainLoop driving the addon's step through N-API — on one configuration.
 * It first writes the sampler's first batch to a safetensors file, for the bare loop to run on
 * the same tensors, and prints one JSON line of figures.
 *
 *   node dist/bench/train-ours.js '<OursRequest as JSON>'
 */
import { writeFile } from "node:fs/promises";
import { BatchSampler } from "../src/dataset/batch-sampler.js";
import type { EpisodeTable } from "../src/dataset/episode-table.js";
import { encodeSafetensors } from "../src/safetensors/write-safetensors.js";
import { createTrainer, loadAddon, type Precision } from "../src/train/addon.js";
import { runTrainLoop } from "../src/train/train-loop.js";
import {
  BENCH_ACTION_DIM,
  BENCH_BATCH_SIZE,
  BENCH_CAMERA,
  BENCH_STATE_DIM,
  readActFields,
  type TrainBenchConfig,
} from "./train-configs.js";

export interface OursRequest {
  config: TrainBenchConfig;
  device: string;
  precision: Precision;
  warmup: number;
  steps: number;
  /** Where to write the first batch. */
  batchFile: string;
}

export interface OursFigures {
  device: string;
  precision: string;
  parameters: number;
  /** Wall time of each timed step of the loop, ms. */
  stepMs: number[];
  peakRssMiB: number;
  /** CUDA only: the caching allocator's peaks over the whole run. */
  peakAllocatedMiB?: number;
  peakReservedMiB?: number;
}

/** Episodes of 50 frames: chunks near an episode's end are padded, as in a real dataset. */
const EPISODES = 4;
const FRAMES_PER_EPISODE = 50;
const MIB = 1024 * 1024;

function syntheticTable(): EpisodeTable {
  const frames = EPISODES * FRAMES_PER_EPISODE;
  const wave = (i: number) => Math.sin(i * 0.01);
  return {
    stateDim: BENCH_STATE_DIM,
    actionDim: BENCH_ACTION_DIM,
    state: Float32Array.from({ length: frames * BENCH_STATE_DIM }, (_, i) => wave(i)),
    action: Float32Array.from({ length: frames * BENCH_ACTION_DIM }, (_, i) => wave(i + 1)),
    episodeStarts: Uint32Array.from({ length: EPISODES + 1 }, (_, e) => e * FRAMES_PER_EPISODE),
    fps: 30,
  };
}

/** (frames, H, W, 3) RGB, as a camera's frame cache holds them. */
function syntheticPixels(frames: number, height: number, width: number): Uint8Array {
  const pixels = new Uint8Array(frames * height * width * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  return pixels;
}

async function measureOurs(request: OursRequest): Promise<OursFigures> {
  const { config } = request;
  const act = { ...readActFields(config), pretrained_backbone_weights: null };
  const chunkSize = act.chunk_size ?? 100;
  const table = syntheticTable();
  const camera = {
    key: BENCH_CAMERA,
    pixels: syntheticPixels(EPISODES * FRAMES_PER_EPISODE, config.height, config.width),
    height: config.height,
    width: config.width,
  };
  const samplerOf = () =>
    new BatchSampler(
      table,
      { batchSize: BENCH_BATCH_SIZE, chunkSize, seed: 0 },
      { cameras: [camera] },
    );
  // A sampler of the same seed draws the same first batch as the loop's.
  await writeFile(request.batchFile, encodeSafetensors(samplerOf().next()));

  // The statistics robotrain-native bench gives its policy: the same model, buffer for buffer.
  const trainer = createTrainer({
    policy: "act",
    act,
    inputFeatures: {
      "observation.state": { type: "STATE", shape: [BENCH_STATE_DIM] },
      [BENCH_CAMERA]: { type: "VISUAL", shape: [3, config.height, config.width] },
    },
    outputFeatures: { action: { type: "ACTION", shape: [BENCH_ACTION_DIM] } },
    stats: {
      "observation.state": { mean: zeros(BENCH_STATE_DIM), std: ones(BENCH_STATE_DIM) },
      action: { mean: zeros(BENCH_ACTION_DIM), std: ones(BENCH_ACTION_DIM) },
      [BENCH_CAMERA]: { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225] },
    },
    seed: 0,
    device: request.device,
    precision: request.precision,
  });

  const ends: number[] = [];
  await runTrainLoop({
    trainer,
    sampler: samplerOf(),
    batchSize: BENCH_BATCH_SIZE,
    steps: request.warmup + request.steps,
    onProgress: (progress) => ends.push(progress.elapsedMs),
  });
  const stepMs = ends
    .slice(request.warmup)
    .map((end, i) => end - (ends[request.warmup + i - 1] ?? 0));

  const figures: OursFigures = {
    device: trainer.device,
    precision: trainer.precision,
    parameters: trainer.parameterCount,
    stepMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  if (trainer.device.startsWith("cuda")) {
    const memory = loadAddon().cudaMemory(trainer.device.split(" ")[0] as string);
    figures.peakAllocatedMiB = memory.peakAllocatedBytes / MIB;
    figures.peakReservedMiB = memory.peakReservedBytes / MIB;
  }
  return figures;
}

const zeros = (n: number) => new Array<number>(n).fill(0);
const ones = (n: number) => new Array<number>(n).fill(1);

const request = JSON.parse(process.argv[2] ?? "") as OursRequest;
process.stdout.write(`${JSON.stringify(await measureOurs(request))}\n`);
