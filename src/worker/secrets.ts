/**
 * The secrets a job carries or the worker holds, and their removal from any text that leaves
 * the process: an event, a log line, a failure message.
 */
import type { JobMessage } from "../contract/index.js";

/** The job's tokens and keys, and the worker's own Hub token. */
export function secretsOf(job: Pick<JobMessage, "user_hf_token" | "wandb_api_key">): string[] {
  const candidates = [job.user_hf_token, job.wandb_api_key, process.env.HF_TOKEN];
  // Very short values would blank out ordinary words; real tokens are long.
  return candidates.filter((secret): secret is string => !!secret && secret.length >= 8);
}

export function redactSecrets(text: string, secrets: readonly string[]): string {
  let redacted = text;
  for (const secret of secrets) redacted = redacted.split(secret).join("***");
  return redacted;
}
