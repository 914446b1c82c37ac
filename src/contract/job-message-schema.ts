import { z } from "zod";
import { JobMessage } from "./job-message.js";

/** Path of the job message's JSON Schema, relative to the repository root. */
export const JOB_MESSAGE_SCHEMA_PATH = "schema/job-message.schema.json";

/**
 * JSON Schema of a job message, for producers. It is the input side, so a producer may leave
 * out fields that have defaults; the worker fills them in.
 *
 * Limitation: the file does not tie `training_params` to `model_type` — zod emits the spec's
 * union and has no "member picked by a sibling field" to emit; a worker still rejects such a job
 * on arrival, and an `if`/`then` per model type added to the emitted schema would lift it.
 */
export function jobMessageJsonSchema(): z.core.JSONSchema.BaseSchema {
  return z.toJSONSchema(JobMessage, { target: "draft-2020-12", io: "input" });
}

/** The file's exact text: two-space indent and a final newline, stable from build to build. */
export function jobMessageSchemaText(): string {
  return `${JSON.stringify(jobMessageJsonSchema(), null, 2)}\n`;
}
