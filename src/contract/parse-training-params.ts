import { actPolicyParamsErrors } from "./act-policy-params.js";
import { foreignParamsKeyErrors } from "./foreign-params-keys.js";
import { checkSchema } from "./issue-to-validation-error.js";
import {
  type ModeledModelType,
  TRAINING_PARAMS_MODELS,
  type TrainingParams,
  type TrainingParamsFor,
} from "./training-params-models.js";
import { ModelType } from "./training-request.js";
import { BODY_LOC, type Loc, unwrapOutcome, type ValidationOutcome } from "./validation-error.js";

/**
 * Parses the params of a job given apart from a request body, e.g. from command-line flags.
 * Errors are located as they would be in a body, so they read the same wherever they come from.
 *
 * @throws RequestValidationError when the model type is unknown or the params do not fit it.
 */
export function parseTrainingParams<T extends ModelType>(
  modelType: T,
  params: unknown,
): TrainingParamsFor<T>;
export function parseTrainingParams(modelType: string, params: unknown): TrainingParams;
export function parseTrainingParams(modelType: string, params: unknown): TrainingParams {
  const checkedType = unwrapOutcome(checkSchema(ModelType, modelType, [...BODY_LOC, "model_type"]));
  return unwrapOutcome(checkTrainingParams(checkedType, params, [...BODY_LOC, "training_params"]));
}

/**
 * Checks `training_params` against the params model of `modelType` and fills in its defaults.
 * Absent and null params both stand for "all defaults", as null is a member of the spec's union.
 */
export function checkTrainingParams<T extends ModelType>(
  modelType: T,
  params: unknown,
  locPrefix: Loc,
): ValidationOutcome<TrainingParamsFor<T>> {
  const model = TRAINING_PARAMS_MODELS[modelType];
  const given = params ?? {};
  const parsed = checkSchema(model, given, locPrefix);

  const foreign =
    isModeled(modelType) && isPlainObject(given)
      ? foreignParamsKeyErrors(modelType, given, locPrefix)
      : [];
  // pi0's strict model also calls a foreign key an extra input; the foreign-key error says more.
  const foreignLocs = new Set(foreign.map((entry) => JSON.stringify(entry.loc)));
  const modelErrors = parsed.ok
    ? []
    : parsed.detail.filter((entry) => !foreignLocs.has(JSON.stringify(entry.loc)));

  // ACT jobs may also set ACT's own config fields; any other key is refused.
  const foreignKeys = new Set(foreign.map((entry) => String(entry.loc.at(-1))));
  const policy =
    modelType === "ACT" && isPlainObject(given)
      ? actPolicyParamsErrors(given, locPrefix, foreignKeys)
      : [];

  const detail = [...modelErrors, ...foreign, ...policy];
  if (!parsed.ok || detail.length > 0) {
    return { ok: false, detail };
  }
  // TypeScript cannot tie the parsed union back to T; the lookup above is keyed by T itself.
  return { ok: true, value: parsed.value as TrainingParamsFor<T> };
}

function isModeled(modelType: ModelType): modelType is ModeledModelType {
  return modelType !== "custom";
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
