/**
 * The figures of `npm run bench:train` and their Markdown table.
 */

const COLUMNS = [
  "config",
  "device",
  "precision",
  "steps",
  "ours ms",
  "bare ms",
  "host overhead",
  "fastest step ours / bare ms",
  "ours samples/s",
  "bare samples/s",
  "ours peak memory",
  "bare peak memory",
];
export interface TrainBenchRow {
  config: string;
  description: string;
  device: string;
  precision: string;
  parameters: number;
  batchSize: number;
  warmup: number;
  steps: number;
  /** Medians over the timed steps, ms. */
  oursStepMs: number;
  bareStepMs: number;
  /** Every timed step, ms: the spread shows how busy the machine was. */
  oursStepMsAll: number[];
  bareStepMsAll: number[];
  /** (ours - bare) / bare, percent. */
  hostOverheadPercent: number;
  meetsTarget: boolean;
  oursSamplesPerSecond: number;
  bareSamplesPerSecond: number;
  /** Peak RSS of each measurement's own process, MiB. */
  oursPeakRssMiB: number;
  barePeakRssMiB: number;
  /** CUDA only: the caching allocator's peaks, MiB. */
  oursPeakAllocatedMiB?: number;
  oursPeakReservedMiB?: number;
  barePeakAllocatedMiB?: number;
  barePeakReservedMiB?: number;
}

export interface TrainBenchFigures {
  measuredAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    libtorch: string;
    threads: number;
    cudaDevices: string[];
  };
  targetPercent: number;
  rows: TrainBenchRow[];
}

function memory(row: TrainBenchRow, side: "ours" | "bare"): string {
  const rss = side === "ours" ? row.oursPeakRssMiB : row.barePeakRssMiB;
  const allocated = side === "ours" ? row.oursPeakAllocatedMiB : row.barePeakAllocatedMiB;
  const reserved = side === "ours" ? row.oursPeakReservedMiB : row.barePeakReservedMiB;
  return allocated === undefined ? `${rss} RSS` : `${allocated} / ${reserved}`;
}

export function trainBenchMarkdown(figures: TrainBenchFigures): string {
  const { machine } = figures;
  const devices =
    machine.cudaDevices.length > 0 ? machine.cudaDevices.join(", ") : "no CUDA device";
  return [
    "# Training step: ours vs a bare libtorch loop",
    "",
    `Measured ${figures.measuredAt} on ${machine.cpus} CPUs (${machine.cpuModel}), ${devices}, ` +
      `libtorch ${machine.libtorch} (${machine.threads} threads), Node ${machine.node}.`,
    "",
    "Ours: BatchSampler batches from a frame-cache-like pixel array (one camera, batch " +
      `${figures.rows[0]?.batchSize ?? 8}, state and action 6), runTrainLoop driving the addon's ` +
      "step through N-API. Bare: the same model on the same first batch, already on the device, " +
      "forward, backward, clipping and AdamW with nothing around them (`robotrain-native bench " +
      "--loop bare`). Step times are medians of the timed steps after the warm-up ones. Host " +
      `overhead is (ours - bare) / bare; the target is under ${figures.targetPercent}%. Memory is ` +
      "the peak RSS of each measurement's own process (CPU), or the CUDA caching allocator's " +
      "peak allocated / reserved (GPU), MiB.",
    "",
    `| ${COLUMNS.join(" | ")} |`,
    `|${COLUMNS.map(() => "---|").join("")}`,
    ...figures.rows.map(
      (row) =>
        `| ${row.description} | ${row.device} | ${row.precision} | ${row.warmup} + ${row.steps} | ` +
        `${row.oursStepMs} | ${row.bareStepMs} | ${row.hostOverheadPercent}% ` +
        `${row.meetsTarget ? "(< target)" : "(over target)"} | ` +
        `${Math.min(...row.oursStepMsAll)} / ${Math.min(...row.bareStepMsAll)} | ` +
        `${row.oursSamplesPerSecond} | ` +
        `${row.bareSamplesPerSecond} | ${memory(row, "ours")} | ${memory(row, "bare")} |`,
    ),
    "",
  ].join("\n");
}
