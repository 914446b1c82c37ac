/**
 * Reading back what a training run wrote: its losses (metrics.jsonl) and a checkpoint's
 * config.json.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** The loss of every step, in order. */
export async function lossesOf(outputDir: string): Promise<number[]> {
  const text = await readFile(join(outputDir, "metrics.jsonl"), "utf8");
  return text
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { loss: number }).loss);
}

export function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The config.json of a checkpoint (`last` unless named). */
export async function checkpointConfig(
  outputDir: string,
  checkpoint = "last",
): Promise<Record<string, unknown>> {
  const path = join(outputDir, "checkpoints", checkpoint, "pretrained_model", "config.json");
  return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
}
