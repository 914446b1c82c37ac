/**
 * Events of a job on the topic exchange, routing key `training.<id>.<kind>`. `kind` is a
 * status (`queued running succeeded failed canceled`) or `progress` / `checkpoint`.
 */
export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "canceled";
export type JobEventKind = JobStatus | "progress" | "checkpoint";

export interface JobEvent {
  training_id: number;
  kind: JobEventKind;
  /** ISO 8601 time the event was published. */
  ts: string;
  model_name?: string;
  message?: string;
  step?: number;
  total_steps?: number;
  loss?: number;
  samples_per_second?: number;
  eta_seconds?: number;
  /** Hub revision (branch or commit) of an uploaded checkpoint or model. */
  revision?: string;
}

export function eventRoutingKey(trainingId: number, kind: JobEventKind): string {
  return `training.${trainingId}.${kind}`;
}

/** Binding key that matches every event of one job, or of all jobs. */
export function eventBindingKey(trainingId?: number): string {
  return trainingId === undefined ? "training.#" : `training.${trainingId}.*`;
}
