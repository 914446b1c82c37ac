/**
 * The output folder of a small finished run, as the train job leaves it: checkpoints written
 * by writeCheckpoint from a real (tiny MLP) trainer, `train_config.json` with the fields the
 * train job writes, and `metrics.jsonl` with one falling loss per step.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTrainer } from "../../src/train/addon.js";
import { writeMetrics } from "../../src/train/metrics-file.js";
import { writeCheckpoint } from "../../src/train/write-checkpoint.js";

export interface TrainingRunOptions {
  steps: number;
  /** Steps at which a checkpoint is written. */
  checkpointSteps: number[];
}

export async function writeTrainingRun(outputDir: string, options: TrainingRunOptions) {
  const trainer = createTrainer({
    stateDim: 3,
    actionDim: 2,
    chunkSize: 4,
    hiddenDim: 8,
    device: "cpu",
  });
  // The MLP's config: the fields the model card shows, without ACT's features.
  const policyConfig = { type: "mlp", chunk_size: 4, n_action_steps: 4, optimizer_lr: 1e-4 };
  for (const step of options.checkpointSteps) {
    const sampler = { samples_drawn: step * 8, epoch_size: 1200, batch_size: 8, seed: 0 };
    await writeCheckpoint({ outputDir, step, trainer, policyConfig, sampler });
  }

  const trainConfig = {
    model_type: "ACT",
    dataset: {
      name: "robotrain/reach-sample",
      revision: "0123456789abcdef0123456789abcdef01234567",
      episodes: 12,
      frames: 1200,
      cameras: ["observation.images.main"],
    },
    policy: policyConfig,
    steps: options.steps,
    batch_size: 8,
    save_freq: options.checkpointSteps[0] ?? options.steps,
    seed: 0,
    device: "cpu",
    param_groups: [{ name: "default", lr: 1e-4, weightDecay: 1e-4 }],
  };
  await writeFile(
    join(outputDir, "train_config.json"),
    `${JSON.stringify(trainConfig, null, 2)}\n`,
  );

  const losses = Array.from({ length: options.steps }, (_, i) => 2 / (1 + i / 10));
  await writeMetrics(outputDir, losses);
  return { trainConfig, losses };
}
