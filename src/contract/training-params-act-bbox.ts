import { z } from "zod";
import { TrainingParamsAct } from "./training-params-act.js";

/**
 * Parameters of an ACT job that first detects a target object in one camera and trains on its
 * bounding box. It is ACT's parameters plus the detection settings.
 */
export const TrainingParamsActWithBbox = TrainingParamsAct.extend({
  image_key: z
    .string()
    .min(1)
    .default("main")
    .meta({
      title: "Image Key",
      description: "Key for the image to run detection on, e.g. 'main' or 'images.main'",
      examples: ["main", "images.main"],
    }),
  image_keys_to_keep: z.array(z.string()).optional().meta({
    title: "Image Keys To Keep",
    description: "Optional list of image keys to keep. If none, all image keys will be dropped.",
  }),
  target_detection_instruction: z
    .string()
    .min(4)
    .default("e.g.: green lego brick, red ball, blue plushy...")
    .meta({
      title: "Target Detection Instruction",
      description: "Instruction for the target object to detect, e.g. 'red/orange lego brick'",
      examples: ["red/orange lego brick", "brown plushy", "blue ball"],
    }),
}).meta({
  id: "TrainingParamsActWithBbox",
  title: "TrainingParamsActWithBbox",
  description: "Training parameters for ACT with bounding box",
});

export type TrainingParamsActWithBbox = z.output<typeof TrainingParamsActWithBbox>;
