import { z } from "zod";
import { StartTrainingResponse } from "./start-training-response.js";
import { TrainingParamsAct } from "./training-params-act.js";
import { TrainingParamsActWithBbox } from "./training-params-act-bbox.js";
import { TrainingParamsGr00T } from "./training-params-gr00t.js";
import { TrainingParamsPi0 } from "./training-params-pi0.js";
import { TrainingRequest } from "./training-request.js";
import { HTTPValidationError, ValidationError } from "./validation-error.js";

/** Where OpenAPI 3.1 keeps named schemas, and where `$ref`s between them point. */
export const OPENAPI_SCHEMAS_POINTER = "#/components/schemas/";

/** The schemas of `POST /training/start` that the spec names, under their spec names. */
export const openApiComponents = z.registry<{ id: string }>();

for (const schema of [
  TrainingRequest,
  StartTrainingResponse,
  HTTPValidationError,
  ValidationError,
  TrainingParamsAct,
  TrainingParamsActWithBbox,
  TrainingParamsGr00T,
  TrainingParamsPi0,
]) {
  // The id given with .meta() is the one the spec uses, so it is the single source of names.
  const id = schema.meta()?.id;
  if (typeof id !== "string") {
    throw new Error("every OpenAPI component needs an id in its .meta(); one has none");
  }
  openApiComponents.add(schema, { id });
}

/**
 * JSON Schema of every component, keyed by name, with `$ref`s between them written as
 * `#/components/schemas/<name>`. The input side is emitted, as OpenAPI describes request
 * bodies: a field with a default is optional and shows its default.
 */
export function openApiComponentSchemas(): Record<string, z.core.JSONSchema.BaseSchema> {
  const { schemas } = z.toJSONSchema(openApiComponents, {
    target: "draft-2020-12",
    io: "input",
    uri: (id) => `${OPENAPI_SCHEMAS_POINTER}${id}`,
  });
  return schemas;
}
