import { z } from "zod";

/** Parameters of a gr00t fine-tuning job. */
export const TrainingParamsGr00T = z
  .looseObject({
    batch_size: z.int().gt(0).lte(128).nullable().default(64).meta({
      title: "Batch Size",
      description: "Batch size for training. Decrease it if you get an Out Of Memory (OOM) error",
    }),
    data_dir: z
      .string()
      .default("data/")
      .meta({ title: "Data Dir", description: "The directory to save the dataset to" }),
    learning_rate: z
      .number()
      .gt(0)
      .lte(1)
      .default(0.0001)
      .meta({ title: "Learning Rate", description: "Learning rate for training." }),
    num_epochs: z
      .int()
      .gt(0)
      .lte(100)
      .default(10)
      .meta({ title: "Num Epochs", description: "Number of epochs to train for." }),
    output_dir: z
      .string()
      .default("outputs/")
      .meta({ title: "Output Dir", description: "The directory to save the model to" }),
    save_steps: z
      .int()
      .gt(0)
      .lte(100_000)
      .default(1000)
      .meta({ title: "Save Steps", description: "Number of steps between saving the model." }),
    validation_data_dir: z.string().nullish().meta({
      title: "Validation Data Dir",
      description:
        "Optional directory to save the validation dataset to. If None, validation is not run.",
    }),
    validation_dataset_name: z.string().nullish().meta({
      title: "Validation Dataset Name",
      description: "Optional dataset repository ID on Hugging Face to use for validation",
    }),
  })
  // The spec gives this model a title but no description.
  .meta({ id: "TrainingParamsGr00T", title: "TrainingParamsGr00T" });

export type TrainingParamsGr00T = z.output<typeof TrainingParamsGr00T>;
