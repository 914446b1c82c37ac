/**
 * What a job's validated `training_params` ask of the trainer: ACT's fields, the camera frame
 * size, the steps, batch and checkpoint frequency (unset ones are planned from the dataset).
 */
import { actPolicyParams } from "../contract/index.js";
import type { FrameSize } from "../dataset/frame-cache.js";
import type { ActConfig } from "./addon.js";

export interface JobSettings {
  act: Partial<ActConfig>;
  imageSize?: FrameSize;
  steps?: number;
  batchSize?: number;
  saveFreq: number;
}

/** The contract's default checkpoint frequency. */
const SAVE_FREQ = 5000;

export function jobSettings(modelType: string, params: object): JobSettings {
  const fields = params as Record<string, unknown>;
  const { image_size: imageSize, ...act } = modelType === "ACT" ? actPolicyParams(fields) : {};
  return {
    act: act as Partial<ActConfig>,
    ...(imageSize && { imageSize: { height: imageSize[0], width: imageSize[1] } }),
    ...numberSetting(fields, "steps", "steps"),
    ...numberSetting(fields, "batch_size", "batchSize"),
    saveFreq: typeof fields.save_freq === "number" ? fields.save_freq : SAVE_FREQ,
  };
}

function numberSetting<K extends string>(
  fields: Record<string, unknown>,
  key: string,
  as: K,
): Partial<Record<K, number>> {
  const value = fields[key];
  return typeof value === "number" ? ({ [as]: value } as Record<K, number>) : {};
}
