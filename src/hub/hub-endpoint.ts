/** Which Hub a call talks to: the one given, else `HF_ENDPOINT`, else huggingface.co. */
import { DEFAULT_HUB_ENDPOINT } from "../contract/start-training-response.js";

/** The Hub's base URL without a trailing `/`. */
export function resolveHubEndpoint(hubUrl?: string): string {
  return (hubUrl ?? (process.env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT)).replace(/\/+$/, "");
}
