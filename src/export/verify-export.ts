/**
 * The check every export passes before it is used: ONNX Runtime runs the file on sets of
 * observations (a dataset's samples when the caller has them, and seeded random ones at several
 * batch sizes, which also proves the batch dimension dynamic) and its action chunks are compared
 * with the native model's `predict` on the same observations. The report is written beside the
 * file (`policy.onnx.verification.json`) whether it passes or not.
 */
import { rename, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { type Random, seededRandom } from "../dataset/seeded-random.js";
import type { FloatTensor, NativeTrainer, PolicyFeature } from "../train/addon.js";
import { OPSET_VERSION } from "./act-onnx-model.js";
import { ExportVerificationError } from "./export-errors.js";
import { ORT_VERSION, openOnnxPolicy } from "./onnx-policy.js";
import type { PolicyWeights } from "./policy-weights.js";
import type { PretrainedActConfig } from "./pretrained-config.js";

/**
 * Float32: the graph and libtorch order their sums differently (matrix products, convolutions),
 * which moves actions by ~1e-6 on small models; 1e-4 leaves room for wider ones and still
 * catches any wrong weight, layout or operator.
 */
export const EXPORT_TOLERANCE = 1e-4;

/** Observations of one set: each input feature, float32, with a leading batch dimension. */
export interface InputSet {
  name: string;
  observations: Record<string, FloatTensor>;
}

export interface InputSetResult {
  name: string;
  batchSize: number;
  maxAbsDiff: number;
  /** The largest action magnitude seen, to read the difference against. */
  maxAbsAction: number;
}

export interface VerificationReport {
  onnx: string;
  passed: boolean;
  maxAbsDiff: number;
  tolerance: number;
  opset: number;
  onnxRuntimeVersion: string;
  inputSets: InputSetResult[];
  verifiedAt: string;
}

export interface VerifyParams {
  onnxPath: string;
  /** The name the file takes once verified; the report goes beside it. @default onnxPath */
  finalPath?: string;
  /** The native model the file was exported from, weights loaded. */
  trainer: NativeTrainer;
  inputSets: InputSet[];
  tolerance?: number;
}

export function verificationPath(onnxPath: string): string {
  return `${onnxPath}.verification.json`;
}

export async function verifyExport(params: VerifyParams): Promise<VerificationReport> {
  const tolerance = params.tolerance ?? EXPORT_TOLERANCE;
  const policy = await openOnnxPolicy(params.onnxPath);
  const results: InputSetResult[] = [];
  try {
    for (const set of params.inputSets) {
      const ours = await policy.run(set.observations);
      const native = await params.trainer.predict(set.observations);
      results.push({
        name: set.name,
        batchSize: native.shape[0] as number,
        maxAbsDiff: maxAbsDiff(ours, native),
        maxAbsAction: native.data.reduce((max, value) => Math.max(max, Math.abs(value)), 0),
      });
    }
  } finally {
    await policy.release();
  }

  const worst = results.reduce((max, result) => Math.max(max, result.maxAbsDiff), 0);
  const finalPath = params.finalPath ?? params.onnxPath;
  const report: VerificationReport = {
    onnx: basename(finalPath),
    passed: worst <= tolerance,
    maxAbsDiff: worst,
    tolerance,
    opset: OPSET_VERSION,
    onnxRuntimeVersion: ORT_VERSION,
    inputSets: results,
    verifiedAt: new Date().toISOString(),
  };
  const path = verificationPath(finalPath);
  await writeFile(`${path}.partial`, `${JSON.stringify(report, null, 2)}\n`);
  await rename(`${path}.partial`, path);

  const failed = results.find((result) => !(result.maxAbsDiff <= tolerance));
  if (failed) {
    throw new ExportVerificationError(params.onnxPath, failed.name, failed.maxAbsDiff, tolerance);
  }
  return report;
}

/** Max |a - b|; NaN anywhere, or a shape mismatch, is infinitely different. */
function maxAbsDiff(a: FloatTensor, b: FloatTensor): number {
  if (a.shape.join(",") !== b.shape.join(",")) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const diff = Math.abs((a.data[i] as number) - (b.data[i] as number));
    if (!(diff <= max)) max = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
  }
  return max;
}

/**
 * Seeded random observations of `batchSize`: images uniform in [0, 1]; vectors spread around
 * the dataset's statistics (mean ± 2 std, or [min, max]) when the weights hold them.
 */
export function randomInputSet(
  config: PretrainedActConfig,
  weights: PolicyWeights,
  batchSize: number,
  seed: number,
): InputSet {
  const random = seededRandom(seed);
  const observations: Record<string, FloatTensor> = {};
  for (const [key, feature] of Object.entries(config.inputFeatures)) {
    const shape = [batchSize, ...feature.shape];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (feature.type === "VISUAL") {
      for (let i = 0; i < data.length; i++) data[i] = random();
    } else {
      fillAroundStats(data, vectorRange(key, feature, weights), random);
    }
    observations[key] = { data, shape };
  }
  return { name: `random batch of ${batchSize} (seed ${seed})`, observations };
}

interface Range {
  low: Float32Array;
  high: Float32Array;
}

function vectorRange(key: string, feature: PolicyFeature, weights: PolicyWeights): Range {
  const width = feature.shape[0] as number;
  const prefix = `normalize_inputs.buffer_${key.replaceAll(".", "_")}`;
  const read = (stat: string) => {
    const tensor = weights.has(`${prefix}.${stat}`)
      ? weights.tensor(`${prefix}.${stat}`, [width])
      : undefined;
    return tensor && new Float32Array(new Uint8Array(tensor.bytes).buffer);
  };
  const [mean, std, min, max] = ["mean", "std", "min", "max"].map(read);
  if (mean && std) {
    return {
      low: mean.map((m, i) => m - 2 * (std[i] as number)),
      high: mean.map((m, i) => m + 2 * (std[i] as number)),
    };
  }
  if (min && max) return { low: min, high: max };
  return { low: new Float32Array(width).fill(-1), high: new Float32Array(width).fill(1) };
}

function fillAroundStats(data: Float32Array, range: Range, random: Random): void {
  const width = range.low.length;
  for (let i = 0; i < data.length; i++) {
    const low = range.low[i % width] as number;
    const high = range.high[i % width] as number;
    data[i] = low + (high - low) * random();
  }
}

/**
 * A training batch's observations as an input set: the config's input features only, uint8
 * camera frames scaled to [0, 1] floats as the native model scales them.
 */
export function inputSetFromBatch(
  name: string,
  config: PretrainedActConfig,
  batch: Record<string, { data: Float32Array | Uint8Array; shape: number[] }>,
): InputSet {
  const observations: Record<string, FloatTensor> = {};
  for (const key of Object.keys(config.inputFeatures)) {
    const view = batch[key];
    if (!view) throw new RangeError(`the batch '${name}' lacks the input feature '${key}'`);
    const data =
      view.data instanceof Uint8Array
        ? Float32Array.from(view.data, (value) => value / 255)
        : view.data;
    observations[key] = { data, shape: view.shape };
  }
  return { name, observations };
}
