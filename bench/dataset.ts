/**
 * `npm run bench:dataset`: the dataset pipeline's figures in one run, each beside its baseline
 * measured in the same run — the frame cache build against a bare ffmpeg decode of the same
 * files, and batch assembly against the training step it feeds. Writes
 * bench/results/dataset.{json,md}. Not a test: it asserts nothing.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { batchAssemblyMarkdown, measureBatchAssembly } from "./batch-assembly.js";
import { frameCacheMarkdown, measureFrameCache } from "./frame-cache.js";

const frameCache = await measureFrameCache();
const batchAssembly = await measureBatchAssembly();

const resultsDir = fileURLToPath(new URL("../../bench/results/", import.meta.url));
await mkdir(resultsDir, { recursive: true });
const markdown = `${frameCacheMarkdown(frameCache)}\n${batchAssemblyMarkdown(batchAssembly)}`;
await writeFile(
  join(resultsDir, "dataset.json"),
  `${JSON.stringify({ frameCache, batchAssembly }, null, 2)}\n`,
);
await writeFile(join(resultsDir, "dataset.md"), markdown);
process.stdout.write(markdown);
