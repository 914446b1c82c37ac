import type { z } from "zod";
import { TrainingParamsAct } from "./training-params-act.js";
import { TrainingParamsActWithBbox } from "./training-params-act-bbox.js";
import { TrainingParamsCustom } from "./training-params-custom.js";
import { TrainingParamsGr00T } from "./training-params-gr00t.js";
import { TrainingParamsPi0 } from "./training-params-pi0.js";
import type { ModelType } from "./training-request.js";

/** The params model each `model_type` is parsed with. */
export const TRAINING_PARAMS_MODELS = {
  ACT: TrainingParamsAct,
  ACT_BBOX: TrainingParamsActWithBbox,
  gr00t: TrainingParamsGr00T,
  pi0: TrainingParamsPi0,
  custom: TrainingParamsCustom,
} as const satisfies Record<ModelType, z.ZodType>;

/** The model types whose params are a model of the spec (every one but `custom`). */
export type ModeledModelType = Exclude<ModelType, "custom">;

export const MODELED_MODEL_TYPES = [
  "ACT",
  "ACT_BBOX",
  "gr00t",
  "pi0",
] as const satisfies readonly ModeledModelType[];

/**
 * Parsed params, by model type. Any key can be read (as unknown) whatever the model, so code
 * that handles several model types may probe a key before narrowing on `model_type`; pi0's
 * strict model would otherwise be the one member without an index signature.
 */
export type TrainingParamsFor<T extends ModelType> = z.output<(typeof TRAINING_PARAMS_MODELS)[T]> &
  Readonly<Record<string, unknown>>;

/** Parsed params of any model type. */
export type TrainingParams = TrainingParamsFor<ModelType>;

/** The spec's name of a params model, for error messages ("TrainingParamsGr00T"). */
export function paramsModelName(modelType: ModeledModelType): string {
  const name = TRAINING_PARAMS_MODELS[modelType].meta()?.title;
  if (typeof name !== "string") {
    throw new Error(`params model of '${modelType}' has no title; give it one with .meta()`);
  }
  return name;
}

/** The keys a params model declares. */
export function declaredParamsKeys(modelType: ModeledModelType): readonly string[] {
  return Object.keys(TRAINING_PARAMS_MODELS[modelType].shape);
}
