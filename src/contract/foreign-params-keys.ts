import { ACT_POLICY_KEYS } from "./act-policy-params.js";
import {
  declaredParamsKeys,
  MODELED_MODEL_TYPES,
  type ModeledModelType,
  paramsModelName,
} from "./training-params-models.js";
import type { Loc, ValidationError } from "./validation-error.js";

/** The model types whose params model lets keys it does not declare through. */
export type OpenParamsModelType = Exclude<ModeledModelType, "pi0">;

/**
 * Keys a params model accepts beyond the ones the spec declares for it, by model type. They are
 * never reported as belonging to another model. ACT jobs may set ACT's own config fields.
 */
export const EXTRA_PARAMS_KEYS: Readonly<Record<OpenParamsModelType, readonly string[]>> = {
  ACT: ACT_POLICY_KEYS,
  ACT_BBOX: [],
  gr00t: [],
};

/** The keys params of `modelType` may hold without being taken for another model's. */
export function knownParamsKeys(modelType: ModeledModelType): readonly string[] {
  const extra = modelType === "pi0" ? [] : EXTRA_PARAMS_KEYS[modelType];
  return [...declaredParamsKeys(modelType), ...extra];
}

/**
 * Reports each key of `params` that another params model declares but the chosen one does not
 * know, e.g. `num_epochs` (gr00t) on an ACT job.
 *
 * The open models would otherwise let such a key through unread, and the job would train with
 * a default the client believes it overrode. Keys no model declares are left alone here: the
 * open models accept them, and pi0's strict model rejects them itself.
 */
export function foreignParamsKeyErrors(
  modelType: ModeledModelType,
  params: Readonly<Record<string, unknown>>,
  locPrefix: Loc,
): ValidationError[] {
  const known = new Set(knownParamsKeys(modelType));

  return Object.keys(params).flatMap((key) => {
    if (known.has(key)) {
      return [];
    }
    const owners = MODELED_MODEL_TYPES.filter((other) => declaredParamsKeys(other).includes(key));
    if (owners.length === 0) {
      return [];
    }

    const ownedBy = owners.map((owner) => `${paramsModelName(owner)} (model_type '${owner}')`);
    const hint = owners.length === 1 ? `set model_type to '${owners[0]}'` : "change model_type";
    return [
      {
        loc: [...locPrefix, key],
        msg:
          `Value error, '${key}' is a field of ${ownedBy.join(" and ")}, not of ` +
          `${paramsModelName(modelType)} (model_type '${modelType}'); remove it or ${hint}`,
        type: "value_error",
      },
    ];
  });
}
