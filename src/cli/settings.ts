/**
 * Settings read from the environment by more than one command.
 */
import { DEFAULT_HUB_ENDPOINT, DEFAULT_MODEL_NAMESPACE } from "../contract/index.js";

/** The Hub robotrain talks to: `HF_ENDPOINT`, as the Hugging Face tools read it. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, "");
}

/** Owner of models whose job gives a bare or no `model_name`: `ROBOTRAIN_MODEL_NAMESPACE`. */
export function modelNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.ROBOTRAIN_MODEL_NAMESPACE || DEFAULT_MODEL_NAMESPACE;
}
