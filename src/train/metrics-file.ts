/**
 * `<output>/metrics.jsonl`: the loss of every step, one JSON line each (`{"step", "loss"}`). It
 * is rewritten whole, through a temporary file, before each checkpoint, so a resumed job finds
 * the losses of every step its checkpoint covers.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

const METRICS_FILE = "metrics.jsonl";

export async function writeMetrics(outputDir: string, losses: ArrayLike<number>): Promise<void> {
  const lines = Array.from(losses, (loss, i) => JSON.stringify({ step: i + 1, loss }));
  const path = join(outputDir, METRICS_FILE);
  await writeFile(`${path}.partial`, `${lines.join("\n")}\n`);
  await rename(`${path}.partial`, path);
}

/** The recorded losses by step (index 0 is step 1); empty when there are none yet. */
export async function readMetrics(outputDir: string): Promise<number[]> {
  const text = await readFile(join(outputDir, METRICS_FILE), "utf8").catch(() => "");
  const losses: number[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const { step, loss } = JSON.parse(line) as { step: number; loss: number | null };
    losses[step - 1] = loss ?? Number.NaN;
  }
  return losses;
}
