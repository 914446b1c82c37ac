/**
 * A batch of a LeRobot dataset's own samples as an export's input set: the dataset loaded as a
 * training job loads it (frames decoded once into the frame cache, at the checkpoint's image
 * size), one seeded batch drawn from it.
 */
import { BatchSampler } from "../dataset/batch-sampler.js";
import { loadDataset } from "../dataset/load-dataset.js";
import { ExportError } from "./export-errors.js";
import type { PretrainedActConfig } from "./pretrained-config.js";
import { type InputSet, inputSetFromBatch } from "./verify-export.js";

export interface DatasetInputSetParams {
  /** A Hub repo id or a dataset folder. */
  dataset: string;
  config: PretrainedActConfig;
  /** @default 8 (fewer when the dataset has fewer frames) */
  batchSize?: number;
  seed?: number;
  /** Folder of the frame caches; default as for training. */
  framesDir?: string;
}

export async function datasetInputSet(params: DatasetInputSetParams): Promise<InputSet> {
  const { config } = params;
  const cameras = Object.entries(config.inputFeatures).filter(([, f]) => f.type === "VISUAL");
  // Frames are decoded at the size the policy was trained at, when its cameras share one.
  const sizes = new Set(cameras.map(([, feature]) => feature.shape.slice(1).join("x")));
  const [height, width] = (cameras[0]?.[1].shape.slice(1) ?? []) as number[];
  const dataset = await loadDataset({
    source: params.dataset,
    cameras: cameras.map(([key]) => key),
    ...(sizes.size === 1 && height && width && { imageSize: { height, width } }),
    ...(params.framesDir !== undefined && { framesDir: params.framesDir }),
  });

  const { frames } = dataset;
  const batchSize = Math.min(params.batchSize ?? 8, frames.timestamp.length);
  const sampler = new BatchSampler(
    frames,
    { batchSize, chunkSize: config.act.chunk_size, seed: params.seed ?? 0 },
    {
      cameras: dataset.cameras,
      environmentState: frames.environmentState && {
        values: frames.environmentState,
        width: frames.environmentStateDim,
      },
    },
  );
  const batch = sampler.next();
  for (const [key, feature] of Object.entries(config.inputFeatures)) {
    const shape = batch[key]?.shape.slice(1);
    if (shape?.join(",") !== feature.shape.join(",")) {
      throw new ExportError(
        params.dataset,
        `the dataset's '${key}' has shape ${shape ? `[${shape}]` : "none"}; the checkpoint ` +
          `expects [${feature.shape}]: verify against the dataset the policy was trained on`,
      );
    }
  }
  return inputSetFromBatch(`${batchSize} samples of ${dataset.meta.name}`, config, batch);
}
