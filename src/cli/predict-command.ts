/**
 * `robotrain predict`: one observation (JSON) through a policy, its action chunk printed as
 * JSON. `--model` is an exported `policy.onnx` (run by ONNX Runtime) or a checkpoint folder
 * (run by the native model from its weights).
 */
import { stat } from "node:fs/promises";
import { UsageError } from "../errors.js";
import { findPretrainedModel } from "../export/checkpoint-folder.js";
import { loadCheckpointWeights, nativePolicy } from "../export/export-policy.js";
import { chunkRows, type ExpectedInput, parseObservation } from "../export/observation-json.js";
import { openOnnxPolicy } from "../export/onnx-policy.js";
import { readPretrainedConfig } from "../export/pretrained-config.js";
import type { FloatTensor } from "../train/addon.js";
import { readJson } from "./options.js";

export interface PredictOptions {
  model: string;
  input: string;
}

export async function predictCommand(options: PredictOptions): Promise<void> {
  const input = await readJson("--input", options.input, "file");
  const isFile = await stat(options.model).then(
    (found) => found.isFile(),
    () => {
      throw new UsageError("--model", `'${options.model}' does not exist`);
    },
  );
  const { actions, runtime } = isFile
    ? await predictWithOnnx(options.model, input)
    : await predictWithCheckpoint(options.model, input);
  const [, chunkSize, actionDim] = actions.shape;
  const line = { action: chunkRows(actions), chunkSize, actionDim, runtime, model: options.model };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function predictWithOnnx(path: string, input: unknown) {
  const policy = await openOnnxPolicy(path);
  try {
    const expected: ExpectedInput[] = policy.inputs.map(({ name, shape }) => ({
      name,
      shape: shape.slice(1).map(Number),
    }));
    const actions = await policy.run(parseObservation(input, expected));
    return { actions, runtime: "onnxruntime" };
  } finally {
    await policy.release();
  }
}

async function predictWithCheckpoint(dir: string, input: unknown) {
  const modelDir = await findPretrainedModel(dir);
  const config = await readPretrainedConfig(modelDir);
  const expected = Object.entries(config.inputFeatures).map(([name, feature]) => ({
    name,
    shape: feature.shape,
  }));
  const observation = parseObservation(input, expected);
  const { nativeWeightsPath, cleanUp } = await loadCheckpointWeights(modelDir);
  try {
    const trainer = await nativePolicy(modelDir, nativeWeightsPath, config);
    const actions: FloatTensor = await trainer.predict(observation);
    return { actions, runtime: "native" };
  } finally {
    await cleanUp();
  }
}
