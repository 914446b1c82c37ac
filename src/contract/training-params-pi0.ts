import { z } from "zod";

/** Parameters of a pi0 fine-tuning job. Unlike the others, this model accepts no extra keys. */
export const TrainingParamsPi0 = z
  .strictObject({
    batch_size: z.int().gt(0).lte(128).nullish().meta({
      title: "Batch Size",
      description: "Batch size for training, leave it to None to auto-detect based on your dataset",
    }),
    data_dir: z
      .string()
      .default("data/")
      .meta({ title: "Data Dir", description: "The directory to save the dataset to" }),
    epochs: z
      .int()
      .gt(0)
      .lte(50)
      .default(10)
      .meta({ title: "Epochs", description: "Number of epochs to train for, default is 10" }),
    learning_rate: z.number().gt(0).lte(1).default(0.0001).meta({
      title: "Learning Rate",
      description: "Learning rate for training, default is 0.0001",
    }),
    output_dir: z
      .string()
      .default("outputs/")
      .meta({ title: "Output Dir", description: "The directory to save the model to" }),
    path_to_pi0_repo: z.string().default(".").meta({
      title: "Path To Pi0 Repo",
      description: "The path to the openpi repo. If not provided, will assume we are in the repo.",
    }),
    train_test_split: z.number().gt(0).lte(1).default(1).meta({
      title: "Train Test Split",
      description: "Train test split ratio, default is 1.0 (no split), should be between 0 and 1",
    }),
    validation_dataset_name: z.string().nullish().meta({
      title: "Validation Dataset Name",
      description: "Optional dataset repository ID on Hugging Face to use for validation",
    }),
  })
  .meta({
    id: "TrainingParamsPi0",
    title: "TrainingParamsPi0",
    description: "Training parameters for Pi0 model",
  });

export type TrainingParamsPi0 = z.output<typeof TrainingParamsPi0>;
