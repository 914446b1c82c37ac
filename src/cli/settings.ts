/**
 * Settings read from the environment by more than one command.
 */
import { DEFAULT_MODEL_NAMESPACE } from "../contract/index.js";

/** Owner of models whose job gives a bare or no `model_name`: `ROBOTRAIN_MODEL_NAMESPACE`. */
export function modelNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.ROBOTRAIN_MODEL_NAMESPACE || DEFAULT_MODEL_NAMESPACE;
}
