/**
 * What a job trains and on what: the trainer, the sampler that feeds it, the plan, and the
 * `config.json` its checkpoints carry. Built either for a LeRobot dataset (ACT) or for the
 * embedded reach task (the addon's small MLP policy).
 */
import type { BatchSampler } from "../dataset/batch-sampler.js";
import type { NativeTrainer } from "./addon.js";
import type { TrainingPlan } from "./plan.js";

export interface TrainingSetup {
  trainer: NativeTrainer;
  sampler: BatchSampler;
  plan: TrainingPlan;
  /** The policy's `config.json`, written beside its weights in every checkpoint. */
  policyConfig: Record<string, unknown>;
  /** What the run trained on, for train_config.json and the logs. */
  dataset: { name: string; revision: string; episodes: number; frames: number; cameras: string[] };
}
