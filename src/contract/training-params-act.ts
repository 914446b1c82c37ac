import { z } from "zod";

/** Parameters of an ACT job; unset values are chosen from the dataset when the job is planned. */
export const TrainingParamsAct = z
  .looseObject({
    batch_size: z
      .int()
      .gt(0)
      .lte(150)
      .nullish()
      .meta({
        title: "Batch Size",
        description:
          "Batch size for training, we run this on an A10G. " +
          "Leave it to None to auto-detect based on your dataset",
      }),
    save_freq: z
      .int()
      .gt(0)
      .lte(1_000_000)
      .default(5000)
      .meta({ title: "Save Freq", description: "Number of steps between saving the model." }),
    steps: z.int().gt(0).lte(1_000_000).nullish().meta({
      title: "Steps",
      description:
        "Number of training steps. Leave it to None to auto-detect based on your dataset",
    }),
  })
  .meta({
    id: "TrainingParamsAct",
    title: "TrainingParamsAct",
    description:
      "Training parameters are left to None by default and are set depending on the dataset " +
      "in the training pipeline.",
  });

export type TrainingParamsAct = z.output<typeof TrainingParamsAct>;
