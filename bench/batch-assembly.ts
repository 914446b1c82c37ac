/**
 * Benchmark of batch assembly beside the training step it feeds, in one run on the same
 * dataset: samples/s the BatchSampler assembles (state, action chunk with padding, each
 * camera's frame copied out of the frame cache) against samples/s of an ACT training step at
 * the same batch size. Assembly runs while the step runs, so it only has to be faster.
 * Not a test: it asserts nothing.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchSampler } from "../src/dataset/batch-sampler.js";
import { loadDataset } from "../src/dataset/load-dataset.js";
import { writeSampleDataset } from "../src/dataset/sample/write-sample-dataset.js";
import { loadAddon } from "../src/train/addon.js";
import { prepareDatasetTraining } from "../src/train/dataset-setup.js";

export interface BatchAssemblyOptions {
  episodes?: number;
  framesPerEpisode?: number;
  width?: number;
  height?: number;
  cameras?: number;
  batchSizes?: number[];
  /** ACT training steps timed per batch size, after one warm-up step. */
  steps?: number;
}

export interface BatchAssemblyRow {
  batchSize: number;
  cameras: number;
  width: number;
  height: number;
  assemblySamplesPerSecond: number;
  stepSamplesPerSecond: number;
  /** assembly / step samples per second: above 1, assembly never holds a step up. */
  ratio: number;
  peakRssMiB: number;
}

export interface BatchAssemblyFigures {
  measuredAt: string;
  rows: BatchAssemblyRow[];
}

export async function measureBatchAssembly(
  overrides: BatchAssemblyOptions = {},
): Promise<BatchAssemblyFigures> {
  const options: Required<BatchAssemblyOptions> = {
    episodes: 10,
    framesPerEpisode: 100,
    width: 320,
    height: 240,
    cameras: 2,
    // LeRobot's default ACT takes seconds a step on a CPU: the larger batch only where there is a GPU.
    batchSizes: loadAddon().libtorchInfo().cudaAvailable ? [8, 60] : [8],
    steps: 2,
    ...overrides,
  };
  const workDir = await mkdtemp(join(tmpdir(), "robotrain-bench-batches-"));
  try {
    const source = join(workDir, "dataset");
    await writeSampleDataset({ output: source, version: "v3.0", ...options });
    const framesDir = join(workDir, "frames");
    const dataset = await loadDataset({ source, framesDir });

    const rows: BatchAssemblyRow[] = [];
    for (const batchSize of options.batchSizes) {
      const sampler = new BatchSampler(
        dataset.frames,
        { batchSize, chunkSize: 100, seed: 0 },
        { cameras: dataset.cameras },
      );
      const assembly = timeAssembly(sampler, batchSize);
      const step = await timeSteps(source, framesDir, batchSize, options.steps);
      rows.push({
        batchSize,
        cameras: options.cameras,
        width: options.width,
        height: options.height,
        assemblySamplesPerSecond: Math.round(assembly),
        stepSamplesPerSecond: Number(step.toFixed(2)),
        ratio: Math.round(assembly / step),
        peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      });
    }
    return { measuredAt: new Date().toISOString(), rows };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Samples/s over batches assembled for at least a second. */
function timeAssembly(sampler: BatchSampler, batchSize: number): number {
  sampler.next(); // first touch of the buffers and the mapped frames
  let batches = 0;
  const started = performance.now();
  while (performance.now() - started < 1000) {
    sampler.next();
    batches += 1;
  }
  return (batches * batchSize * 1000) / (performance.now() - started);
}

/** Samples/s of LeRobot's default ACT on the same dataset and batch size, here on this machine. */
async function timeSteps(
  source: string,
  framesDir: string,
  batchSize: number,
  steps: number,
): Promise<number> {
  const setup = await prepareDatasetTraining({
    dataset: source,
    framesDir,
    batchSize,
    seed: 0,
    device: "auto",
  });
  await setup.trainer.step(setup.sampler.next());
  const started = performance.now();
  for (let step = 0; step < steps; step++) await setup.trainer.step(setup.sampler.next());
  return (steps * batchSize * 1000) / (performance.now() - started);
}

export function batchAssemblyMarkdown(figures: BatchAssemblyFigures): string {
  return [
    "# Batch assembly vs the training step",
    "",
    `Measured ${figures.measuredAt}. Assembly: BatchSampler filling preallocated buffers from the`,
    "frame cache. Step: LeRobot's default ACT config, one AdamW update, on the device `auto` picks.",
    "",
    "| batch | cameras | size | assembly samples/s | step samples/s | ratio | peak RSS MiB |",
    "|---|---|---|---|---|---|---|",
    ...figures.rows.map(
      (row) =>
        `| ${row.batchSize} | ${row.cameras} | ${row.width}x${row.height} | ` +
        `${row.assemblySamplesPerSecond} | ${row.stepSamplesPerSecond} | ${row.ratio}x | ${row.peakRssMiB} |`,
    ),
    "",
  ].join("\n");
}
