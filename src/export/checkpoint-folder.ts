/**
 * Where a checkpoint's `pretrained_model` is, given any of the folders a user may name, and
 * where its export goes by default.
 *
 * Accepted: a `pretrained_model` folder (config.json beside model.safetensors), a checkpoint
 * folder holding one (`checkpoints/000300`), `checkpoints/last`, or a run's output folder
 * (its `checkpoints/last` is taken).
 */
import { realpath, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CheckpointReadError } from "./export-errors.js";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The `pretrained_model` folder under `dir`, with symlinks (`last`) resolved. */
export async function findPretrainedModel(dir: string): Promise<string> {
  const candidates = [dir, join(dir, "pretrained_model"), join(dir, "checkpoints", "last")];
  candidates.push(join(candidates[2] as string, "pretrained_model"));
  for (const candidate of candidates) {
    if (await isFile(join(candidate, "config.json"))) {
      if (!(await isFile(join(candidate, "model.safetensors")))) {
        throw new CheckpointReadError(candidate, "it has a config.json but no model.safetensors");
      }
      return realpath(candidate);
    }
  }
  throw new CheckpointReadError(
    dir,
    "no pretrained_model found there (config.json and model.safetensors); give a checkpoint " +
      "folder, its pretrained_model, checkpoints/last or a run's output folder",
  );
}

/**
 * `<output>/export/policy.onnx` when the model sits in `<output>/checkpoints/<step>/`, as the
 * run's layout has it; otherwise `policy.onnx` beside the model's config.json (the layout of a
 * Hub model repo).
 */
export function defaultOnnxPath(modelDir: string): string {
  const checkpoint = basename(modelDir) === "pretrained_model" ? dirname(modelDir) : modelDir;
  const checkpoints = dirname(checkpoint);
  if (basename(checkpoints) === "checkpoints") {
    return join(dirname(checkpoints), "export", "policy.onnx");
  }
  return join(modelDir, "policy.onnx");
}
