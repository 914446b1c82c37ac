import { z } from "zod";
import { checkSchema } from "./issue-to-validation-error.js";
import { checkTrainingParams, isPlainObject } from "./parse-training-params.js";
import type { TrainingParamsFor } from "./training-params-models.js";
import { ModelType, TrainingRequest } from "./training-request.js";
import { BODY_LOC, unwrapOutcome, type ValidationOutcome } from "./validation-error.js";

/**
 * `Fields` plus `model_type` and the params parsed with that model type's model: narrowing on
 * `model_type` narrows `training_params`.
 */
export type WithTrainingParams<Fields> = {
  [T in ModelType]: Fields & { model_type: T; training_params: TrainingParamsFor<T> };
}[ModelType];

export type ParsedTrainingRequest = WithTrainingParams<
  Omit<z.output<typeof TrainingRequest>, "model_type" | "training_params">
>;

const RequestFields = TrainingRequest.extend({ training_params: z.unknown().optional() });

/**
 * Parses a `POST /training/start` body. It never resolves `model_name`: that happens once, in
 * `buildJobMessage`, so parsing the same body twice gives the same request.
 *
 * @throws RequestValidationError with every problem found, located from "body".
 */
export function parseTrainingRequest(body: unknown): ParsedTrainingRequest {
  return unwrapOutcome(checkWithTrainingParams(RequestFields, body));
}

/**
 * Checks `body` with `fields` (whose `training_params` must accept anything) and its
 * `training_params` with the params model that `model_type` picks.
 */
export function checkWithTrainingParams<
  Fields extends { model_type: ModelType; training_params?: unknown },
>(
  fields: z.ZodType<Fields>,
  body: unknown,
): ValidationOutcome<WithTrainingParams<Omit<Fields, "model_type" | "training_params">>> {
  const parsed = checkSchema(fields, body, BODY_LOC);
  const detail = parsed.ok ? [] : [...parsed.detail];

  // The params are checked even when another field fails, so that a client sees every problem
  // at once as FastAPI reports them; but only a valid model_type says which model they follow.
  const object = isPlainObject(body) ? body : {};
  const modelType = ModelType.safeParse(object.model_type);
  const params = modelType.success
    ? checkTrainingParams(modelType.data, object.training_params, [...BODY_LOC, "training_params"])
    : undefined;
  if (params !== undefined && !params.ok) {
    detail.push(...params.detail);
  }

  if (!parsed.ok || params === undefined || !params.ok) {
    return { ok: false, detail };
  }
  // The spread keeps model_type and the params it picked together, which TypeScript cannot see.
  const value = { ...parsed.value, training_params: params.value };
  return {
    ok: true,
    value: value as WithTrainingParams<Omit<Fields, "model_type" | "training_params">>,
  };
}
