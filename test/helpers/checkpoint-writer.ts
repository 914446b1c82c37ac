/**
 * A process that writes checkpoints of a real trainer into `argv[2]` without end, printing
 * each step once its checkpoint is in place: something for a test to kill at any moment.
 */
import { createTrainer } from "../../src/train/addon.js";
import { writeCheckpoint } from "../../src/train/write-checkpoint.js";

const outputDir = process.argv[2] as string;
// Wide layers make files of a few MB, so a kill often lands inside a write.
const trainer = createTrainer({
  stateDim: 64,
  actionDim: 32,
  chunkSize: 16,
  hiddenDim: 1024,
  device: "cpu",
});
const sampler = { samples_drawn: 0, epoch_size: 1000, batch_size: 8, seed: 0 };
const policyConfig = { type: "mlp" };

for (let step = 1; ; step++) {
  await writeCheckpoint({ outputDir, step, trainer, policyConfig, sampler });
  process.stdout.write(`${step}\n`);
}
