import { z } from "zod";
import { hubRepoIdString } from "./hub-repo-id.js";
import { type RandomIndex, resolveModelName } from "./model-name.js";
import {
  checkWithTrainingParams,
  type ParsedTrainingRequest,
  type WithTrainingParams,
} from "./parse-training-request.js";
import { TrainingRequest } from "./training-request.js";
import { unwrapOutcome } from "./validation-error.js";

/**
 * The body of the AMQP message that carries a job: the TrainingRequest, its training id and
 * the model name resolved at submission. Its JSON Schema ships as
 * `schema/job-message.schema.json` for producers.
 *
 * Like `TrainingRequest`, it declares `training_params` as the spec's union; parse messages
 * with `parseJobMessage`, which checks the params with the model `model_type` picks.
 */
export const JobMessage = TrainingRequest.extend({
  model_name: hubRepoIdString().meta({
    title: "Model Name",
    description:
      "Hub repo the trained model is uploaded to, resolved once when the job was submitted",
  }),
  training_id: z.int().nonnegative().meta({
    title: "Training Id",
    description: "ID of the training; also the AMQP message_id of the delivery",
  }),
}).meta({
  title: "JobMessage",
  description:
    "A training job on the queue: the TrainingRequest, its training id and its resolved " +
    "model name.",
});

export type JobMessage = WithTrainingParams<
  Omit<z.output<typeof JobMessage>, "model_type" | "training_params">
>;

const JobFields = JobMessage.extend({ training_params: z.unknown().optional() });

/**
 * Parses the body of a delivery. The model name is checked, never resolved again, so a job
 * parsed any number of times keeps the name it was submitted with.
 *
 * @throws RequestValidationError with every problem found, located from "body".
 */
export function parseJobMessage(json: unknown): JobMessage {
  return unwrapOutcome(checkWithTrainingParams(JobFields, json));
}

export interface BuildJobMessageOptions {
  trainingId: number;
  /** Owner for a bare or missing model name; default `DEFAULT_MODEL_NAMESPACE`. */
  namespace?: string;
  random?: RandomIndex;
}

/**
 * Resolves the model name of a parsed request and returns the job to publish.
 *
 * @throws RequestValidationError when the resolved name is not a Hub repo id or the training
 *   id is not a non-negative integer.
 */
export function buildJobMessage(
  request: ParsedTrainingRequest,
  options: BuildJobMessageOptions,
): JobMessage {
  const modelName = resolveModelName(request, options);

  // Parsing what we built checks the resolved name and the id with the same rules a worker
  // applies on arrival, so a job that leaves here is one every worker accepts.
  return parseJobMessage({ ...request, model_name: modelName, training_id: options.trainingId });
}
