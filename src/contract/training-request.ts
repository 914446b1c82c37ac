import { z } from "zod";
import { hubRepoIdString } from "./hub-repo-id.js";
import { TrainingParamsAct } from "./training-params-act.js";
import { TrainingParamsActWithBbox } from "./training-params-act-bbox.js";
import { TrainingParamsGr00T } from "./training-params-gr00t.js";
import { TrainingParamsPi0 } from "./training-params-pi0.js";

/** The policies a job can ask for, in the spec's order (which error messages list them in). */
export const MODEL_TYPES = ["ACT", "ACT_BBOX", "gr00t", "pi0", "custom"] as const;

export const ModelType = z.enum(MODEL_TYPES).meta({
  title: "Model Type",
  description: "Type of model to train, supports 'ACT', 'gr00t', and 'pi0'",
});

export type ModelType = z.output<typeof ModelType>;

/**
 * The body of `POST /training/start`, as the OpenAPI spec describes it.
 *
 * `training_params` is declared as the spec's union so the emitted JSON Schema matches it, but a
 * union of open objects cannot tell the models apart (any object passes as ACT's params). Parse
 * bodies with `parseTrainingRequest`, which picks the params model from `model_type`.
 *
 * zod lists `required` in declaration order, so `model_type` comes before `dataset_name` as in
 * the spec's `required`.
 */
export const TrainingRequest = z
  .object({
    model_type: ModelType,
    dataset_name: hubRepoIdString().meta({
      title: "Dataset Name",
      description: "Dataset repository ID on Hugging Face, should be a public dataset",
    }),
    model_name: z
      .string()
      .nullish()
      .meta({
        title: "Model Name",
        description:
          "Name of the trained model to upload to Hugging Face, should be in the format " +
          "phospho-app/<model_name> or <model_name>",
      }),
    training_params: z
      .union([
        TrainingParamsAct,
        TrainingParamsActWithBbox,
        TrainingParamsGr00T,
        TrainingParamsPi0,
        z.null(),
      ])
      .optional()
      .meta({ title: "Training Params", description: "Training parameters for the model." }),
    private_mode: z.boolean().default(false).meta({
      title: "Private Mode",
      description: "Whether to use private training (PRO users only)",
    }),
    user_hf_token: z.string().nullish().meta({
      title: "User Hf Token",
      description: "User's personal HF token for private training",
    }),
    wandb_api_key: z.string().nullish().meta({
      title: "Wandb Api Key",
      description:
        "WandB API key for tracking training, you can find it at https://wandb.ai/authorize",
    }),
  })
  .meta({
    id: "TrainingRequest",
    title: "TrainingRequest",
    description: [
      "Pydantic model for training request validation.",
      "This version consolidates all model name and parameter logic into a single",
      "validator to prevent redundant operations and fix the duplicate suffix bug.",
    ].join("\n"),
  });

/** A request body as a client writes it. */
export type TrainingRequestBody = z.input<typeof TrainingRequest>;
