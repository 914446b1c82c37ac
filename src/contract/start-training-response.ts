import { z } from "zod";
import type { JobMessage } from "./job-message.js";

/** The answer to `POST /training/start`. */
export const StartTrainingResponse = z
  .looseObject({
    status: z.enum(["ok", "error"]).default("ok").meta({ title: "Status" }),
    training_id: z.int().nullable().meta({
      title: "Training Id",
      description: "ID of the training to start. This is the ID returned by the training request.",
    }),
    model_url: z
      .string()
      .nullish()
      .meta({ title: "Model Url", description: "URL to the Hugging Face model card." }),
    message: z.string().nullish().meta({ title: "Message" }),
  })
  .meta({ id: "StartTrainingResponse", title: "StartTrainingResponse" });

export type StartTrainingResponse = z.output<typeof StartTrainingResponse>;

export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

/**
 * The answer for a job that was queued. `hubEndpoint` is the Hub the model goes to (a mirror or
 * a local Hub-compatible server), default huggingface.co.
 */
export function startTrainingResponse(
  job: Pick<JobMessage, "training_id" | "model_name" | "model_type" | "dataset_name">,
  hubEndpoint: string = DEFAULT_HUB_ENDPOINT,
): StartTrainingResponse {
  if (!/^https?:\/\/[^/]/.test(hubEndpoint)) {
    throw new RangeError(
      `hub endpoint '${hubEndpoint}' is not an http(s) URL; set it like ${DEFAULT_HUB_ENDPOINT}`,
    );
  }
  const modelUrl = `${hubEndpoint.replace(/\/+$/, "")}/${job.model_name}`;

  return StartTrainingResponse.parse({
    status: "ok",
    training_id: job.training_id,
    model_url: modelUrl,
    message:
      `Training ${job.training_id} queued: ${job.model_type} on ${job.dataset_name}; ` +
      `the model will be uploaded to ${modelUrl}`,
  });
}
